package dev.nfn4j.nn;

import static dev.nfn4j.nn.TestData.download;
import static dev.nfn4j.nn.TestData.downloadWeights;
import static dev.nfn4j.nn.TestData.randomWeights;
import static dev.nfn4j.nn.TestData.relL2;
import static dev.nfn4j.nn.TestData.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Permutation;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.testing.TestBackends;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The symmetry properties the NF-Layers are built for, on random specs: f(P x) = P f(x) for the
 * equivariant layers, f(P x) = f(x) for the pools, the featurizer and whole invariant NFNs. The
 * conformance fixtures pin a few shapes; these cover odd sizes, size-1 layers, conv filters of
 * several shapes, mixed dense/conv networks, L = 1..5, several channels and batch sizes, and the
 * sensitivity that shows the layers are not trivially symmetric.
 */
class EquivarianceTest {
    /** Outputs of P x and of x are the same sums taken in another order: float32 rounding only. */
    static final double TOL = 1e-5;
    /** A symmetry-breaking input must move the output by far more than rounding. */
    static final double SENSITIVE = 1e-3;
    static final int PERMS_PER_CASE = 3;

    /** One random setting: a spec, the batch and channel counts, and a seed for inputs, parameters and permutations. */
    record Case(String name, NetworkSpec spec, int batch, int cin, int cout, long seed) {
        @Override
        public String toString() {
            return name + " " + spec + " B=" + batch + " C=" + cin + "->" + cout;
        }

        WsLayout layout() {
            return new WsLayout(spec, batch, cin);
        }
    }

    static final int[] SIZES = {1, 2, 3, 7, 13};
    static final int[][] FILTERS = {{1, 1}, {3, 3}, {2, 3}};

    /** L in {1, 2, 3, 5} x {dense, conv, mixed} x 2 draws; sizes from {1, 2, 3, 7, 13}; channels and batch 1..3. */
    static List<Case> cases() {
        Random rnd = new Random(0x5eed_2026L);
        List<Case> out = new ArrayList<>();
        for (int L : new int[]{1, 2, 3, 5})
            for (String mode : new String[]{"dense", "conv", "mixed"})
                for (int rep = 0; rep < 2; rep++) {
                    int[] sizes = new int[L + 1];
                    for (int m = 0; m <= L; m++) sizes[m] = SIZES[rnd.nextInt(SIZES.length)];
                    int[][] filters = new int[L][];
                    for (int i = 0; i < L; i++)
                        filters[i] = switch (mode) {
                            case "dense" -> null;
                            case "conv" -> FILTERS[rnd.nextInt(FILTERS.length)];
                            default -> rnd.nextInt(FILTERS.length + 1) == 0 ? null : FILTERS[rnd.nextInt(FILTERS.length)];
                        };
                    out.add(new Case("L" + L + "-" + mode + "-" + rep, new NetworkSpec(sizes, filters),
                            1 + rnd.nextInt(3), 1 + rnd.nextInt(3), 1 + rnd.nextInt(3), rnd.nextLong()));
                }
        // Fixed corners the draws may miss: every size 1, and a 1x1 conv next to a dense layer.
        out.add(new Case("all-ones", new NetworkSpec(new int[]{1, 1, 1}, new int[][]{null, {2, 3}}), 2, 2, 1, 11));
        out.add(new Case("mixed-1x1", new NetworkSpec(new int[]{3, 7, 2, 2}, new int[][]{{1, 1}, null, {3, 3}}), 3, 1, 2, 12));
        return out;
    }

    /** Every case on the reference and on every fast backend (a missing one is reported as skipped, see TestBackends). */
    static Stream<Arguments> onAllBackends() {
        return TestBackends.onAll(cases());
    }

    static Stream<Arguments> sensitivityOnAllBackends() {
        return TestBackends.onAll(sensitivityCases());
    }

    // ---- equivariant layers -------------------------------------------------------------------

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("onAllBackends")
    void npLinearIsEquivariantToAllNeuronPermutations(Ops ops, Case c) {
        Params params = new Params(ops);
        NPLinear layer = new NPLinear(params, "", c.spec, c.cin, c.cout, false, Init.Type.PYTORCH_DEFAULT);
        params.allocate(c.seed);
        // Without io_embed, inputs and outputs are as interchangeable as hidden neurons.
        assertEquivariant(ops, layer, c, Permutation::randomAll);
        assertEquivariant(ops, layer, c, Permutation::randomHidden);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("onAllBackends")
    void fourierFeaturesAreEquivariantToAllNeuronPermutations(Ops ops, Case c) {
        // Each entry is encoded on its own, so any permutation of neurons commutes with it.
        FourierFeatures layer = new FourierFeatures(ops, c.spec, c.cin, 2, 0.7, c.seed);
        assertEquivariant(ops, layer, c, Permutation::randomAll);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("onAllBackends")
    void npLinearWithIoEmbedIsEquivariantToHiddenPermutations(Ops ops, Case c) {
        Params params = new Params(ops);
        NPLinear layer = new NPLinear(params, "", c.spec, c.cin, c.cout, true, Init.Type.PYTORCH_DEFAULT);
        params.allocate(c.seed);
        assertEquivariant(ops, layer, c, Permutation::randomHidden);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("onAllBackends")
    void hnpLinearIsEquivariantToHiddenPermutations(Ops ops, Case c) {
        Params params = new Params(ops);
        if (c.spec.numLayers() < 2) {
            // A 1-layer network has no hidden neurons; the layer says so instead of building nonsense.
            assertThrows(IllegalArgumentException.class, () -> new HNPLinear(params, "", c.spec, c.cin, c.cout, Init.Type.PYTORCH_DEFAULT));
            return;
        }
        HNPLinear layer = new HNPLinear(params, "", c.spec, c.cin, c.cout, Init.Type.KAIMING_NORMAL);
        params.allocate(c.seed);
        assertEquivariant(ops, layer, c, Permutation::randomHidden);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("onAllBackends")
    void pointwiseIsEquivariantToAllNeuronPermutations(Ops ops, Case c) {
        Params params = new Params(ops);
        Pointwise layer = new Pointwise(params, "", c.spec, c.cin, c.cout);
        params.allocate(c.seed);
        assertEquivariant(ops, layer, c, Permutation::randomAll);
    }

    /** Each sample of a batch is processed on its own: a batched kernel must not mix samples. */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("onAllBackends")
    void layersTreatBatchSamplesIndependently(Ops ops, Case c) {
        Params params = new Params(ops);
        List<Layer> layers = new ArrayList<>(List.of(
                new NPLinear(params, "np.", c.spec, c.cin, c.cout, true, Init.Type.PYTORCH_DEFAULT),
                new Pointwise(params, "pw.", c.spec, c.cin, c.cout)));
        if (c.spec.numLayers() >= 2) layers.add(new HNPLinear(params, "hnp.", c.spec, c.cin, c.cout, Init.Type.PYTORCH_DEFAULT));
        params.allocate(c.seed);
        HostWeights x = randomWeights(c.layout(), new Random(c.seed));
        for (Layer layer : layers) {
            HostWeights all = downloadWeights(ops, layer.forward(upload(ops, x)));
            for (int b = 0; b < c.batch; b++) {
                float[] one = downloadWeights(ops, layer.forward(upload(ops, TestData.sample(x, b)))).data();
                float[] fromBatch = TestData.sample(all, b).data();
                double err = relL2(fromBatch, one);
                assertTrue(err <= TOL, layer + ": sample " + b + " of the batch differs from the sample alone, rel. L2 error " + err);
            }
        }
    }

    // ---- invariant modules --------------------------------------------------------------------

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("onAllBackends")
    void npPoolIsInvariantToAllNeuronPermutations(Ops ops, Case c) {
        WeightPool pool = WeightPool.np(ops, c.spec);
        assertInvariant(ops, pool, c, Permutation::randomAll);
        assertEquals(List.of(c.batch, c.cin, pool.width()), shape(pool.forward(upload(ops, randomWeights(c.layout(), new Random(1))))));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("onAllBackends")
    void hnpPoolIsInvariantToHiddenPermutations(Ops ops, Case c) {
        WeightPool pool = WeightPool.hnp(ops, c.spec);
        assertInvariant(ops, pool, c, Permutation::randomHidden);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("onAllBackends")
    void statFeaturizerIsInvariantToAllNeuronPermutations(Ops ops, Case c) {
        StatFeaturizer stat = new StatFeaturizer(ops);
        assertInvariant(ops, stat, c, Permutation::randomAll);
        assertEquals(List.of(c.batch, c.cin, StatFeaturizer.width(c.spec)), shape(stat.forward(upload(ops, randomWeights(c.layout(), new Random(1))))));
    }

    /** Whole models: NF-Layers, activations, pool, MLP head, sigmoid (hidden {3, 2}, head 8). */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("onAllBackends")
    void invariantNfnIsInvariantToHiddenPermutations(Ops ops, Case c) {
        int[] hidden = {3, 2};
        if (c.spec.numLayers() >= 2) {
            Params params = new Params(ops);
            Sequential hnp = InvariantNfn.build(params, c.spec, InvariantNfn.Mode.HNP, false, c.cin, hidden, Act.RELU, true, 8,
                    Init.Type.PYTORCH_DEFAULT);
            params.allocate(c.seed);
            assertInvariant(ops, hnp, c, Permutation::randomHidden);
        }
        Params params = new Params(ops);
        Sequential npIo = InvariantNfn.build(params, c.spec, InvariantNfn.Mode.NP, true, c.cin, hidden, Act.TANH, true, 8,
                Init.Type.PYTORCH_DEFAULT);
        params.allocate(c.seed + 1);
        assertInvariant(ops, npIo, c, Permutation::randomHidden);
        // Without io_embed and with NPPool the model ignores input and output order too.
        Params params2 = new Params(ops);
        Sequential np = InvariantNfn.build(params2, c.spec, InvariantNfn.Mode.NP, false, c.cin, hidden, Act.GELU, false, 8,
                Init.Type.PYTORCH_DEFAULT);
        params2.allocate(c.seed + 2);
        assertInvariant(ops, np, c, Permutation::randomAll);
        // Statistics pooling reads every tensor's entries as a set: invariant to all of them too.
        Params params3 = new Params(ops);
        Sequential npStats = InvariantNfn.build(params3, c.spec, InvariantNfn.Mode.NP, false, c.cin, hidden, Act.RELU, InvariantNfn.Pool.STATS,
                new int[]{8, 8}, Init.Type.PYTORCH_DEFAULT, 0, 1, 0);
        params3.allocate(c.seed + 3);
        assertInvariant(ops, npStats, c, Permutation::randomAll);
        // nfn's append_stats: the input's statistics beside the pooled features, invariant as both are.
        if (c.spec.numLayers() >= 2) {
            Params params4 = new Params(ops);
            Sequential hnpStats = InvariantNfn.build(params4, c.spec, InvariantNfn.Mode.HNP, false, c.cin, hidden, Act.RELU,
                    InvariantNfn.Pool.HNP, new int[]{8}, Init.Type.PYTORCH_DEFAULT, 0, 1, 0, true);
            params4.allocate(c.seed + 4);
            assertInvariant(ops, hnpStats, c, Permutation::randomHidden);
        }
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("onAllBackends")
    void equivariantNfnIsEquivariant(Ops ops, Case c) {
        // pool NONE: NF-Layers with activations between them, weight space out with the last layer's channels
        int[] hidden = {3, c.cout};
        if (c.spec.numLayers() >= 2) {
            Params params = new Params(ops);
            Sequential hnp = new ModelConfig("HNP", hidden, "relu", InvariantNfn.Pool.NONE, new int[0]).build(params, c.spec, c.cin);
            params.allocate(c.seed);
            assertEquivariant(ops, hnp, c, Permutation::randomHidden);
        }
        Params params = new Params(ops);
        Sequential np = new ModelConfig("NP", hidden, "tanh", InvariantNfn.Pool.NONE, new int[0], 2, 1, 0).build(params, c.spec, c.cin);
        params.allocate(c.seed + 1);
        assertEquivariant(ops, np, c, Permutation::randomAll);
    }

    // ---- sensitivity: the symmetries are exactly the coupled ones ------------------------------

    static List<Case> sensitivityCases() {
        return List.of(
                new Case("mlp-L2", NetworkSpec.mlp(4, 5, 3), 2, 2, 2, 21),
                new Case("mlp-L3", NetworkSpec.mlp(3, 7, 5, 2), 2, 1, 2, 22),
                new Case("mlp-L5", NetworkSpec.mlp(2, 3, 2, 7, 3, 2), 1, 2, 1, 23),
                new Case("conv-L3", new NetworkSpec(new int[]{2, 3, 4, 3}, new int[][]{{3, 3}, {2, 3}, null}), 2, 2, 3, 24),
                new Case("conv-L2", new NetworkSpec(new int[]{3, 2, 2}, new int[][]{{1, 1}, {3, 3}}), 3, 1, 1, 25));
    }

    /**
     * As nfn's own test: permuting the rows of W_i alone (not b_i nor the columns of W_{i+1}) is not
     * a symmetry of the network, so f(Q x) must differ from Q f(x). An NF-Layer that ignored how
     * neurons couple across layers would pass the equivariance tests and fail here.
     */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("sensitivityOnAllBackends")
    void npAndHnpLayersAreSensitiveToUncoupledRowPermutations(Ops ops, Case c) {
        Params params = new Params(ops);
        Layer np = new NPLinear(params, "np.", c.spec, c.cin, c.cout, false, Init.Type.PYTORCH_DEFAULT);
        Layer npIo = new NPLinear(params, "npio.", c.spec, c.cin, c.cout, true, Init.Type.PYTORCH_DEFAULT);
        Layer hnp = new HNPLinear(params, "hnp.", c.spec, c.cin, c.cout, Init.Type.PYTORCH_DEFAULT);
        Layer pw = new Pointwise(params, "pw.", c.spec, c.cin, c.cout);
        params.allocate(c.seed);
        Random rnd = new Random(c.seed);
        HostWeights x = randomWeights(c.layout(), rnd);
        int checked = 0;
        for (int i = 0; i < c.spec.numLayers() - 1; i++) {
            if (c.spec.rows(i) < 2) continue;
            int[] p = Permutation.randomNonIdentity(c.spec.rows(i), rnd);
            HostWeights qx = Permutation.permuteRowsOnly(x, i, p);
            for (Layer layer : List.of(np, npIo, hnp)) {
                double d = uncoupledError(ops, layer, x, qx, i, p);
                assertTrue(d > SENSITIVE, layer + " is blind to permuting the rows of W_" + i + " alone: rel. difference " + d);
            }
            // Pointwise never mixes entries, so it commutes with any permutation of any axis (nfn checks this too).
            double d = uncoupledError(ops, pw, x, qx, i, p);
            assertTrue(d <= TOL, "Pointwise should commute with an uncoupled row permutation of W_" + i + ": rel. error " + d);
            checked++;
        }
        assertTrue(checked > 0, "case has no layer to permute");
    }

    /** rel. L2 distance between f(Q x) and Q f(x), Q moving the rows of W_i only. */
    private static double uncoupledError(Ops ops, Layer layer, HostWeights x, HostWeights qx, int i, int[] p) {
        HostWeights fx = downloadWeights(ops, layer.forward(upload(ops, x)));
        float[] fqx = download(ops, layer.forward(upload(ops, qx)));
        return relL2(fqx, Permutation.permuteRowsOnly(fx, i, p).data());
    }

    /**
     * HNP layers and io-embedded NP layers know which input is which: permuting the inputs (or
     * outputs) of the network must change their output. Plain NPLinear must not notice.
     */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("sensitivityOnAllBackends")
    void hnpAndIoEmbeddedLayersAreSensitiveToInputAndOutputOrder(Ops ops, Case c) {
        Params params = new Params(ops);
        Layer npIo = new NPLinear(params, "npio.", c.spec, c.cin, c.cout, true, Init.Type.PYTORCH_DEFAULT);
        Layer hnp = new HNPLinear(params, "hnp.", c.spec, c.cin, c.cout, Init.Type.PYTORCH_DEFAULT);
        params.allocate(c.seed);
        Random rnd = new Random(c.seed);
        HostWeights x = randomWeights(c.layout(), rnd);
        Permutation p = nonTrivialIo(c.spec, rnd);
        for (Layer layer : List.of(npIo, hnp)) {
            HostWeights fx = downloadWeights(ops, layer.forward(upload(ops, x)));
            float[] fpx = download(ops, layer.forward(upload(ops, p.apply(x))));
            double d = relL2(fpx, p.apply(fx).data());
            assertTrue(d > SENSITIVE, layer + " ignores the order of the network's inputs/outputs: rel. difference " + d);
        }
        WeightPool hnpPool = WeightPool.hnp(ops, c.spec);
        float[] px = download(ops, hnpPool.forward(upload(ops, p.apply(x))));
        double d = relL2(px, download(ops, hnpPool.forward(upload(ops, x))));
        assertTrue(d > SENSITIVE, "HNPPool ignores the order of the network's inputs/outputs: rel. difference " + d);
    }

    /** A random NP permutation that moves the inputs or the outputs (so not an HNP symmetry). */
    private static Permutation nonTrivialIo(NetworkSpec spec, Random rnd) {
        int L = spec.numLayers();
        for (int t = 0; t < 100; t++) {
            Permutation p = Permutation.randomAll(spec, rnd);
            if (!isIdentity(p.of(0)) || !isIdentity(p.of(L))) return p;
        }
        throw new AssertionError("no io permutation drawn for " + spec);
    }

    private static boolean isIdentity(int[] p) {
        for (int i = 0; i < p.length; i++) if (p[i] != i) return false;
        return true;
    }

    /**
     * The oracle itself: a hidden-neuron permutation maps a network to one computing the same
     * function, so a ReLU MLP read from P x must give the outputs of the one read from x.
     */
    @Test
    void hiddenPermutationPreservesTheNetworkFunction() {
        NetworkSpec spec = NetworkSpec.mlp(3, 4, 5, 2);
        WsLayout lay = new WsLayout(spec, 1, 1);
        Random rnd = new Random(5);
        HostWeights x = randomWeights(lay, rnd);
        float[] in = TestData.gaussian(rnd, spec.nIn());
        Permutation hidden = Permutation.randomHidden(spec, rnd);
        assertTrue(relL2(mlp(hidden.apply(x), in), mlp(x, in)) < TOL, "a hidden permutation changed the network's function");
        assertTrue(relL2(hidden.apply(x).data(), x.data()) > SENSITIVE, "the drawn permutation did nothing");
    }

    /** A ReLU MLP of a canonical host weight space (batch 1, channel 1), the function the permutations preserve. */
    private static float[] mlp(HostWeights w, float[] in) {
        WsLayout lay = w.layout();
        NetworkSpec spec = lay.spec();
        float[] h = in;
        for (int i = 0; i < spec.numLayers(); i++) {
            float[] o = new float[spec.rows(i)];
            for (int j = 0; j < o.length; j++) {
                double acc = w.data()[(int) lay.bOffset(i) + j];
                for (int k = 0; k < h.length; k++) acc += (double) w.data()[(int) lay.wOffset(i) + j * h.length + k] * h[k];
                o[j] = (float) (i < spec.numLayers() - 1 ? Math.max(acc, 0) : acc);
            }
            h = o;
        }
        return h;
    }

    // ---- checks -------------------------------------------------------------------------------

    /** f(P x) = P f(x) for a few random P of the given group. */
    private static void assertEquivariant(Ops ops, Layer layer, Case c, BiFunction<NetworkSpec, Random, Permutation> group) {
        assertEquivariant(ops, layer, c, group, layer instanceof FourierFeatures ff ? ff.outChannels() : c.cout);
    }

    /** f(P x) = P f(x), f giving {@code outChannels} channels. */
    static void assertEquivariant(Ops ops, Layer layer, Case c, BiFunction<NetworkSpec, Random, Permutation> group, int outChannels) {
        Random rnd = new Random(c.seed ^ 0x9e3779b97f4a7c15L);
        HostWeights x = randomWeights(c.layout(), rnd);
        HostWeights fx = downloadWeights(ops, layer.forward(upload(ops, x)));
        assertEquals(new WsLayout(c.spec, c.batch, outChannels), fx.layout());
        for (int t = 0; t < PERMS_PER_CASE; t++) {
            Permutation p = group.apply(c.spec, rnd);
            float[] fpx = download(ops, layer.forward(upload(ops, p.apply(x))));
            double err = relL2(fpx, p.apply(fx).data());
            assertTrue(err <= TOL, layer + " is not equivariant: rel. L2 error " + err + " > " + TOL);
        }
    }

    /** f(P x) = f(x) for a few random P of the given group. */
    private static void assertInvariant(Ops ops, Layer m, Case c, BiFunction<NetworkSpec, Random, Permutation> group) {
        Random rnd = new Random(c.seed ^ 0x632be59bd9b4e019L);
        HostWeights x = randomWeights(c.layout(), rnd);
        float[] fx = download(ops, m.forward(upload(ops, x)));
        for (int t = 0; t < PERMS_PER_CASE; t++) {
            Permutation p = group.apply(c.spec, rnd);
            float[] fpx = download(ops, m.forward(upload(ops, p.apply(x))));
            double err = relL2(fpx, fx);
            assertTrue(err <= TOL, m + " is not invariant: rel. L2 error " + err + " > " + TOL);
        }
    }

    private static List<Integer> shape(Value v) {
        return Arrays.stream(((Tensor) v).shape()).boxed().toList();
    }
}
