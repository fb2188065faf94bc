package dev.nfn4j.nn;

import static dev.nfn4j.nn.EquivarianceTest.assertEquivariant;

import dev.nfn4j.nn.EquivarianceTest.Case;
import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.Permutation;
import dev.nfn4j.testing.TestBackends;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * nfn's other layers commute with the permutations they claim to (EquivarianceTest's random
 * specs, every backend): SimpleLayerNorm, LearnedScale, NPAttention and the NP ResBlock with every
 * neuron permutation; ParamLayerNorm and IOSinusoidalEncoding, which tell inputs and outputs
 * apart, with hidden-neuron permutations. Norm parameters are random (not their 1 and 0 starts).
 */
class NfnLayersEquivarianceTest {
    static Stream<Arguments> onAllBackends() {
        return EquivarianceTest.onAllBackends();
    }

    /** The cases on MLP weight spaces only, for the layers nfn defines on those alone. */
    static Stream<Arguments> denseOnAllBackends() {
        return TestBackends.onAll(EquivarianceTest.cases().stream().filter(NfnLayersEquivarianceTest::dense).toList());
    }

    /** The case with at least {@code min} channels in and out (a channel norm of one value has no spread). */
    private static Case withChannels(Case c, int channels) {
        return new Case(c.name(), c.spec(), c.batch(), channels, channels, c.seed());
    }

    static boolean dense(Case c) {
        for (int i = 0; i < c.spec().numLayers(); i++) if (c.spec().isConv(i)) return false;
        return true;
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("onAllBackends")
    void simpleLayerNormIsEquivariantToAllNeuronPermutations(Ops ops, Case c) {
        Case k = withChannels(c, c.cin() + 1);
        Params params = new Params(ops);
        SimpleLayerNorm layer = new SimpleLayerNorm(params, "", k.spec(), k.cin());
        params.allocate(k.seed());
        NfnLayersGradientTest.randomize(params, k.seed());
        assertEquivariant(ops, layer, k, Permutation::randomAll, k.cin());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("denseOnAllBackends")
    void paramLayerNormIsEquivariantToHiddenPermutations(Ops ops, Case c) {
        Case k = withChannels(c, c.cin());
        Params params = new Params(ops);
        ParamLayerNorm layer = new ParamLayerNorm(params, "", k.spec(), k.cin());
        params.allocate(k.seed());
        NfnLayersGradientTest.randomize(params, k.seed());
        assertEquivariant(ops, layer, k, Permutation::randomHidden, k.cin());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("onAllBackends")
    void learnedScaleIsEquivariantToAllNeuronPermutations(Ops ops, Case c) {
        Case k = withChannels(c, c.cin());
        Params params = new Params(ops);
        LearnedScale layer = new LearnedScale(params, "", k.spec(), 0.01);
        params.allocate(k.seed());
        NfnLayersGradientTest.randomize(params, k.seed());
        assertEquivariant(ops, layer, k, Permutation::randomAll, k.cin());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("onAllBackends")
    void ioSinusoidalEncodingIsEquivariantToHiddenPermutations(Ops ops, Case c) {
        IOSinusoidalEncoding layer = new IOSinusoidalEncoding(ops, c.spec(), c.cin(), 10, 2, true);
        assertEquivariant(ops, layer, c, Permutation::randomHidden, layer.outChannels());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("denseOnAllBackends")
    void npAttentionIsEquivariantToAllNeuronPermutations(Ops ops, Case c) {
        Case k = withChannels(c, 2 * c.cin());
        Params params = new Params(ops);
        NPAttention layer = new NPAttention(params, "", k.spec(), k.cin(), 2);
        params.allocate(k.seed());
        assertEquivariant(ops, layer, k, Permutation::randomAll, k.cin());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("onAllBackends")
    void npResBlockIsEquivariantToAllNeuronPermutations(Ops ops, Case c) {
        Case k = withChannels(c, c.cin() + 1);
        Params params = new Params(ops);
        ResBlock layer = ResBlock.npBlock(params, "", k.spec(), k.cin(), Act.RELU, Init.Type.PYTORCH_DEFAULT);
        params.allocate(k.seed());
        NfnLayersGradientTest.randomize(params, k.seed());
        assertEquivariant(ops, layer, k, Permutation::randomAll, k.cin());
    }
}
