package dev.nfn4j.nn;

import static dev.nfn4j.nn.GradientCheckTest.LINEAR;
import static dev.nfn4j.nn.GradientCheckTest.SMOOTH;
import static dev.nfn4j.nn.GradientCheckTest.checkTensor;
import static dev.nfn4j.nn.GradientCheckTest.checkWeightSpace;

import dev.nfn4j.nn.GradientCheckTest.Shape;
import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.testing.TestBackends;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite differences against the backward of nfn's other layers (norms, LearnedScale, the
 * sinusoidal encoding, NPAttention, ResBlock), input and parameter gradients, on every backend.
 * Attention is smooth: step 1e-2, rtol 1e-3 (GradientCheckTest.SMOOTH); the norms (and the
 * ResBlock around one) curve more where a group's spread is small: step 1e-3 ({@link #NORM}); the
 * encoding and LearnedScale are linear in the input and in each parameter: step 1, exact.
 * Norm parameters are drawn away from their 1 and 0 starts, so every term of the gradient shows.
 */
class NfnLayersGradientTest {
    static final NetworkSpec CONV = new NetworkSpec(new int[]{2, 3, 2}, new int[][]{{2, 3}, null});

    static List<Shape> denseShapes() {
        return List.of(
                new Shape("L1", NetworkSpec.mlp(3, 2), 2, 3, 3),
                new Shape("L2", NetworkSpec.mlp(2, 3, 2), 2, 3, 3),
                new Shape("L3", NetworkSpec.mlp(2, 3, 1, 2), 1, 4, 4),
                new Shape("L5", NetworkSpec.mlp(2, 2, 3, 2, 2, 2), 1, 3, 3));
    }

    static Stream<Arguments> denseOnAllBackends() {
        return TestBackends.onAll(denseShapes());
    }

    static Stream<Arguments> allBackends() {
        return TestBackends.allNamed().stream().map(Arguments::of);
    }

    /**
     * A norm's curvature grows as 1/std^2: a smaller step than SMOOTH's keeps the central
     * difference's truncation (h^2 f'''/6) below the tolerance on groups of 3 or 4 channels.
     */
    static final GradCheck.Fd NORM = new GradCheck.Fd(1e-3, 1e-3, 1e-4);

    /** Norm and scale parameters drawn from N(1, 0.5) (scales) or N(0, 0.5) (shifts), away from their identity start; others keep their init. */
    static void randomize(Params params, long seed) {
        Random rnd = new Random(seed);
        for (Param p : params.all()) {
            if (!p.name().contains("norm") && !p.name().contains("scales")) continue;
            float[] v = new float[Math.toIntExact(p.numel())];
            double center = p.name().endsWith("gamma") || p.name().endsWith("weight") || p.name().contains("scales") ? 1 : 0;
            for (int i = 0; i < v.length; i++) v[i] = (float) (center + 0.5 * rnd.nextGaussian());
            params.write(p, v);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void simpleLayerNormOnConvAndDenseLayers(Ops ops) {
        for (Shape s : List.of(new Shape("L2-conv", CONV, 2, 3, 3), new Shape("L2", NetworkSpec.mlp(2, 3, 2), 2, 4, 4))) {
            Params params = new Params(ops);
            SimpleLayerNorm m = new SimpleLayerNorm(params, "", s.spec(), s.cin());
            params.allocate(1);
            randomize(params, 2);
            checkWeightSpace(ops, m, params, s, NORM);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void channelLayerNormOnATensor(Ops ops) {
        Params params = new Params(ops);
        ChannelLayerNorm m = new ChannelLayerNorm(params, "", 3);
        params.allocate(3);
        randomize(params, 4);
        checkTensor(ops, m, params, new int[]{2, 3, 4, 2}, NORM, new Random(5));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("denseOnAllBackends")
    void paramLayerNorm(Ops ops, Shape s) {
        Params params = new Params(ops);
        ParamLayerNorm m = new ParamLayerNorm(params, "", s.spec(), s.cin());
        params.allocate(6);
        randomize(params, 7);
        checkWeightSpace(ops, m, params, s, NORM);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void learnedScale(Ops ops) {
        Shape s = new Shape("L2-conv", CONV, 2, 2, 2);
        Params params = new Params(ops);
        LearnedScale m = new LearnedScale(params, "", s.spec(), 0.37);
        params.allocate(8);
        randomize(params, 9);
        checkWeightSpace(ops, m, params, s, LINEAR);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void ioSinusoidalEncoding(Ops ops) {
        for (Shape s : List.of(new Shape("L2-conv", CONV, 2, 2, 2), new Shape("L1", NetworkSpec.mlp(3, 2), 1, 1, 1)))
            for (boolean layers : new boolean[]{true, false})
                checkWeightSpace(ops, new IOSinusoidalEncoding(ops, s.spec(), s.cin(), 10, 3, layers), null, s, LINEAR);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("denseOnAllBackends")
    void npAttention(Ops ops, Shape s) {
        int heads = s.cin() % 2 == 0 ? 2 : 3;
        Params params = new Params(ops);
        NPAttention m = new NPAttention(params, "", s.spec(), s.cin(), heads);
        params.allocate(10);
        checkWeightSpace(ops, m, params, s, SMOOTH);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("denseOnAllBackends")
    void resBlockThroughASmoothActivation(Ops ops, Shape s) {
        Params params = new Params(ops);
        ResBlock m = ResBlock.npBlock(params, "", s.spec(), s.cin(), Act.TANH, Init.Type.PYTORCH_DEFAULT);
        params.allocate(11);
        randomize(params, 12);
        checkWeightSpace(ops, m, params, s, NORM);
    }
}
