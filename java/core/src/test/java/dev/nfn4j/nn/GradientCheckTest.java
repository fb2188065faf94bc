package dev.nfn4j.nn;

import static dev.nfn4j.nn.TestData.download;
import static dev.nfn4j.nn.TestData.gaussian;
import static dev.nfn4j.nn.TestData.upload;
import static dev.nfn4j.nn.TestData.uploadLike;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.testing.TestBackends;
import dev.nfn4j.train.Loss;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite differences against every module's backward: the input gradient and every parameter's
 * accumulated gradient, on small shapes (L = 1 where defined, 2, 3, 5, conv and mixed layers,
 * 1-2 channels). The loss is sum(out * G) for a fixed random G, or BCE for the whole model.
 *
 * <p>Tolerances ({@link GradCheck} adds a bound on the float32 rounding of the outputs that moved):
 * <ul>
 *   <li>NF-Layers, Pointwise, pools, Linear, Flatten are affine in their input and in each
 *       parameter, so a step of 1 is exact: rtol 1e-5, atol 1e-6 of the tensor's largest entry.</li>
 *   <li>StatFeaturizer is quadratic (variance) and piecewise linear (quantiles), so a central
 *       difference is exact too while the step keeps the sort order: inputs are a shuffled grid
 *       spaced > 2 steps apart; step 1e-2, same tolerances.</li>
 *   <li>Smooth activations and chains of modules: step 1e-2 (truncation ~h^2 f'''),
 *       rtol 1e-3..2e-3, atol 1e-4 of the tensor's largest entry.</li>
 *   <li>ReLU: inputs at least 0.1 from the kink, step 1e-2; inside whole models the check skips
 *       coordinates whose step flips a ReLU input's sign (at most 10% of them).</li>
 *   <li>Whole models end in one sigmoid per sample, so an input coordinate's effect can sit below
 *       an ulp of the output: their noise bound counts the rounding of every output.</li>
 * </ul>
 */
class GradientCheckTest {
    static final GradCheck.Fd LINEAR = GradCheck.Fd.linear();
    static final GradCheck.Fd STATS = new GradCheck.Fd(1e-2, 1e-5, 1e-6);
    static final GradCheck.Fd SMOOTH = new GradCheck.Fd(1e-2, 1e-3, 1e-4);
    static final GradCheck.Fd MODEL = new GradCheck.Fd(1e-2, 2e-3, 1e-4);

    /** A layer setting: spec, batch, channels in and out. */
    record Shape(String name, NetworkSpec spec, int batch, int cin, int cout) {
        @Override
        public String toString() {
            return name + " " + spec + " B=" + batch + " C=" + cin + "->" + cout;
        }

        WsLayout layout() {
            return new WsLayout(spec, batch, cin);
        }
    }

    static List<Shape> npShapes() {
        return List.of(
                new Shape("L1", NetworkSpec.mlp(3, 2), 2, 1, 2),
                new Shape("L2", NetworkSpec.mlp(2, 3, 2), 2, 2, 1),
                new Shape("L3", NetworkSpec.mlp(2, 3, 1, 2), 1, 1, 2),
                new Shape("L2-conv", new NetworkSpec(new int[]{2, 3, 2}, new int[][]{{2, 3}, null}), 2, 2, 2),
                new Shape("L3-conv", new NetworkSpec(new int[]{1, 2, 2, 2}, new int[][]{{3, 3}, {1, 1}, {2, 3}}), 1, 1, 1));
    }

    static List<Shape> hnpShapes() {
        return List.of(
                new Shape("L2", NetworkSpec.mlp(2, 3, 2), 2, 2, 2),
                new Shape("L2-conv", new NetworkSpec(new int[]{2, 2, 3}, new int[][]{{3, 3}, {2, 3}}), 1, 1, 2),
                new Shape("L3", NetworkSpec.mlp(2, 3, 2, 2), 2, 1, 1),
                new Shape("L3-mixed", new NetworkSpec(new int[]{2, 2, 3, 2}, new int[][]{{2, 3}, null, {3, 3}}), 1, 2, 1),
                // L = 5 has a middle layer touching neither end (i = 2), and i = 1, L-2 distinct.
                new Shape("L5", NetworkSpec.mlp(2, 2, 3, 2, 2, 2), 1, 1, 2));
    }

    static List<Shape> poolShapes() {
        return List.of(
                new Shape("L1", NetworkSpec.mlp(3, 2), 2, 2, 2),
                new Shape("L2-conv", new NetworkSpec(new int[]{2, 3, 2}, new int[][]{{2, 3}, {3, 3}}), 2, 1, 1),
                new Shape("L3-mixed", new NetworkSpec(new int[]{3, 2, 1, 2}, new int[][]{null, {1, 1}, {2, 3}}), 1, 2, 2));
    }

    // Every check runs on the reference and on every fast backend (a missing one is reported as skipped, see TestBackends).

    static Stream<Arguments> allBackends() {
        return TestBackends.allNamed().stream().map(Arguments::of);
    }

    static Stream<Arguments> npShapesOnAllBackends() {
        return TestBackends.onAll(npShapes());
    }

    static Stream<Arguments> hnpShapesOnAllBackends() {
        return TestBackends.onAll(hnpShapes());
    }

    static Stream<Arguments> poolShapesOnAllBackends() {
        return TestBackends.onAll(poolShapes());
    }

    // ---- affine modules: step 1, tight tolerance ----------------------------------------------

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("npShapesOnAllBackends")
    void npLinear(Ops ops, Shape s) {
        for (boolean io : new boolean[]{false, true}) {
            Params params = new Params(ops);
            NPLinear m = new NPLinear(params, "", s.spec, s.cin, s.cout, io, Init.Type.PYTORCH_DEFAULT);
            params.allocate(7);
            checkWeightSpace(ops, m, params, s, LINEAR);
        }
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("hnpShapesOnAllBackends")
    void hnpLinear(Ops ops, Shape s) {
        Params params = new Params(ops);
        HNPLinear m = new HNPLinear(params, "", s.spec, s.cin, s.cout, Init.Type.PYTORCH_DEFAULT);
        params.allocate(8);
        checkWeightSpace(ops, m, params, s, LINEAR);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("poolShapesOnAllBackends")
    void pointwise(Ops ops, Shape s) {
        Params params = new Params(ops);
        Pointwise m = new Pointwise(params, "", s.spec, s.cin, s.cout);
        params.allocate(9);
        checkWeightSpace(ops, m, params, s, LINEAR);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("poolShapesOnAllBackends")
    void pools(Ops ops, Shape s) {
        checkWeightSpace(ops, WeightPool.np(ops, s.spec), null, s, LINEAR);
        checkWeightSpace(ops, WeightPool.hnp(ops, s.spec), null, s, LINEAR);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void linear(Ops ops) {
        Params params = new Params(ops);
        Linear m = new Linear(params, "", 4, 5);
        params.allocate(10);
        checkTensor(ops, m, params, new int[]{3, 4}, LINEAR, new Random(10));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void flatten(Ops ops) {
        checkTensor(ops, new Flatten(), null, new int[]{2, 3, 4}, LINEAR, new Random(11));
    }

    // ---- nonlinear modules --------------------------------------------------------------------

    static Stream<Arguments> smoothActivationsOnAllBackends() {
        return TestBackends.onAll(List.of(Act.IDENTITY, Act.SIGMOID, Act.TANH, Act.GELU));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("smoothActivationsOnAllBackends")
    void smoothActivationOnWeightSpace(Ops ops, Act act) {
        Shape s = new Shape("L2-conv", new NetworkSpec(new int[]{2, 3, 2}, new int[][]{{2, 3}, null}), 2, 2, 2);
        checkWeightSpace(ops, new Activation(ops, act), null, s, SMOOTH);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void reluAwayFromItsKink(Ops ops) {
        Random rnd = new Random(12);
        float[] x = new float[2 * 3 * 4];
        // |x| >= 0.1 > step: no value crosses 0, and both sides of the kink are covered.
        for (int i = 0; i < x.length; i++) x[i] = (float) ((0.1 + rnd.nextDouble()) * (i % 2 == 0 ? 1 : -1));
        Tensor like = new Tensor(new int[]{2, 3, 4}, ops.alloc(x.length).at(0));
        new GradCheck(ops, new Activation(ops, Act.RELU), null, GradCheck.weighted(gaussian(rnd, x.length)), SMOOTH).run(like, x);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("poolShapesOnAllBackends")
    void statFeaturizer(Ops ops, Shape s) {
        StatFeaturizer m = new StatFeaturizer(ops);
        WsLayout lay = s.layout();
        float[] x = distinctGrid(Math.toIntExact(lay.size()), 0.05, new Random(13));
        WeightSpace like = new WeightSpace(lay, ops.alloc(lay.size()).at(0));
        int outSize = s.batch * s.cin * StatFeaturizer.width(s.spec);
        new GradCheck(ops, m, null, GradCheck.weighted(gaussian(new Random(14), outSize)), STATS).run(like, x);
    }

    /** Fourier input features: smooth (sin), with conv filter positions kept apart. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void fourierFeatures(Ops ops) {
        Shape s = new Shape("L2-conv", new NetworkSpec(new int[]{2, 3, 2}, new int[][]{{2, 3}, null}), 2, 2, 2);
        // scale 0.1: frequencies 2 pi 0.1 |B| ~ 1, so a 1e-2 central difference is accurate to ~1e-5
        FourierFeatures m = new FourierFeatures(ops, s.spec, s.cin, 3, 0.1, 5);
        WsLayout lay = s.layout();
        Random rnd = new Random(21);
        WeightSpace like = new WeightSpace(lay, ops.alloc(lay.size()).at(0));
        int outSize = Math.toIntExact(lay.withChannels(m.outChannels()).size());
        new GradCheck(ops, m, null, GradCheck.weighted(gaussian(rnd, outSize)), SMOOTH).run(like, gaussian(rnd, Math.toIntExact(lay.size())));
    }

    /** n distinct values, consecutive ones {@code gap} apart (plus a jitter below gap/4), shuffled. */
    static float[] distinctGrid(int n, double gap, Random rnd) {
        List<Float> v = new ArrayList<>();
        for (int i = 0; i < n; i++) v.add((float) ((i - n / 2.0) * gap + rnd.nextDouble() * gap / 4));
        Collections.shuffle(v, rnd);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = v.get(i);
        return a;
    }

    /** A chain of NF-Layers through smooth activations: Sequential's backward and the layers' composition. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void sequentialChainOfNfLayers(Ops ops) {
        Params params = new Params(ops);
        NetworkSpec spec = new NetworkSpec(new int[]{2, 3, 2, 2}, new int[][]{{1, 2}, null, null});
        Sequential m = new Sequential(List.of(
                new NPLinear(params, "0.", spec, 1, 2, true, Init.Type.PYTORCH_DEFAULT),
                new Activation(ops, Act.TANH),
                new HNPLinear(params, "2.", spec, 2, 2, Init.Type.PYTORCH_DEFAULT),
                new Activation(ops, Act.GELU),
                new Pointwise(params, "4.", spec, 2, 1)));
        params.allocate(15);
        checkWeightSpace(ops, m, params, new Shape("chain", spec, 2, 1, 1), SMOOTH);
    }

    // ---- whole invariant NFNs -----------------------------------------------------------------

    /**
     * Model settings with their seed. The seeds are picked so that few finite-difference steps
     * cross a kink of the head's ReLUs (those coordinates are skipped, at most 10% of them).
     */
    static List<Object[]> models() {
        return List.of(
                new Object[]{InvariantNfn.Mode.HNP, false, InvariantNfn.Pool.HNP, Act.TANH, NetworkSpec.mlp(2, 3, 2), 2},
                new Object[]{InvariantNfn.Mode.NP, true, InvariantNfn.Pool.HNP, Act.GELU, new NetworkSpec(new int[]{2, 2, 1}, new int[][]{{2, 3}, null}), 1},
                new Object[]{InvariantNfn.Mode.NP, false, InvariantNfn.Pool.NP, Act.SIGMOID, NetworkSpec.mlp(3, 2), 0},
                new Object[]{InvariantNfn.Mode.NP, false, InvariantNfn.Pool.STATS, Act.TANH, new NetworkSpec(new int[]{2, 3, 2}, new int[][]{{1, 2}, null}), 3},
                new Object[]{InvariantNfn.Mode.POINTWISE, false, InvariantNfn.Pool.NP, Act.TANH, NetworkSpec.mlp(2, 2, 3, 1), 2});
    }

    /** Everything at once through sum(out * G): NF-Layers, activations, pool, flatten, head, sigmoid. */
    static Stream<Arguments> modelsOnAllBackends() {
        return TestBackends.onAll(models());
    }

    @ParameterizedTest(name = "{0}: {1} io={2} pool={3} {4} {5}")
    @MethodSource("modelsOnAllBackends")
    void invariantNfn(Ops ops, InvariantNfn.Mode mode, boolean io, InvariantNfn.Pool pool, Act act, NetworkSpec spec, int seed) {
        Params params = new Params(ops);
        Sequential m = InvariantNfn.build(params, spec, mode, io, 1, new int[]{3, 2}, act, pool, new int[]{8, 8}, Init.Type.PYTORCH_DEFAULT, 0, 1, 0);
        params.allocate(seed);
        WsLayout lay = new WsLayout(spec, 3, 1);
        WeightSpace like = new WeightSpace(lay, ops.alloc(lay.size()).at(0));
        // Statistics pooling sorts every plane for its quantiles: a step that reorders two entries
        // crosses a kink, and tanh outputs sit close together, so about half the coordinates are.
        double kinks = pool == InvariantNfn.Pool.STATS ? 0.5 : 0.1;
        new GradCheck(ops, m, params, GradCheck.weighted(gaussian(new Random(seed + 100), 3)), MODEL).fewOutputs().allowKinkSkips(kinks)
                .run(like, gaussian(new Random(seed + 200), Math.toIntExact(lay.size())));
    }

    /**
     * nfn's append_stats: the gradient reaches the parameters through the head's input, whose
     * columns after the pooled features are the input's statistics (no parameters, but the head's
     * first Linear reads them), and the input gradient adds both paths.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void invariantNfnWithInputStatistics(Ops ops) {
        Params params = new Params(ops);
        NetworkSpec spec = NetworkSpec.mlp(2, 3, 2);
        Sequential m = InvariantNfn.build(params, spec, InvariantNfn.Mode.HNP, false, 1, new int[]{3, 2}, Act.TANH, InvariantNfn.Pool.HNP,
                new int[]{8, 8}, Init.Type.PYTORCH_DEFAULT, 0, 1, 0, true);
        int seed = 2;
        params.allocate(seed);
        WsLayout lay = new WsLayout(spec, 3, 1);
        WeightSpace like = new WeightSpace(lay, ops.alloc(lay.size()).at(0));
        // The quantiles sort each tensor: steps that reorder two entries cross kinks (as for STATS pooling).
        new GradCheck(ops, m, params, GradCheck.weighted(gaussian(new Random(seed + 100), 3)), MODEL).fewOutputs().allowKinkSkips(0.5)
                .run(like, gaussian(new Random(seed + 200), Math.toIntExact(lay.size())));
    }

    /** The training path: BCE of the sigmoid output against 0/1 labels, back through the whole model. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void invariantNfnWithBinaryCrossEntropy(Ops ops) {
        Params params = new Params(ops);
        NetworkSpec spec = new NetworkSpec(new int[]{2, 3, 2, 2}, new int[][]{null, {2, 3}, null});
        Sequential m = InvariantNfn.build(params, spec, InvariantNfn.Mode.HNP, false, 2, new int[]{3, 2}, Act.TANH, true, 8,
                Init.Type.PYTORCH_DEFAULT);
        int seed = 4; // few kink crossings, as for models()
        params.allocate(seed);
        WsLayout lay = new WsLayout(spec, 4, 2);
        float[] target = {0, 1, 1, 0};
        GradCheck.Objective bce = new GradCheck.Objective() {
            @Override
            public double loss(float[] out) {
                return Loss.BINARY_CROSS_ENTROPY.compute(out, target, new float[out.length]);
            }

            @Override
            public float[] grad(float[] out) {
                float[] g = new float[out.length];
                Loss.BINARY_CROSS_ENTROPY.compute(out, target, g);
                return g;
            }
        };
        WeightSpace like = new WeightSpace(lay, ops.alloc(lay.size()).at(0));
        new GradCheck(ops, m, params, bce, MODEL).fewOutputs().allowKinkSkips(0.1)
                .run(like, gaussian(new Random(seed + 200), Math.toIntExact(lay.size())));
    }

    // ---- the accumulation contract -------------------------------------------------------------

    /**
     * backward ADDS parameter gradients (a training step sums them over the modules that share a
     * buffer, and zeroGrad clears them) and returns a fresh input gradient each time.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void backwardAccumulatesParameterGradientsAndReturnsFreshInputGradients(Ops ops) {
        Params params = new Params(ops);
        NetworkSpec spec = new NetworkSpec(new int[]{2, 3, 2}, new int[][]{{2, 3}, null});
        List<Layer> modules = List.of(
                new NPLinear(params, "np.", spec, 2, 2, true, Init.Type.PYTORCH_DEFAULT),
                new HNPLinear(params, "hnp.", spec, 2, 2, Init.Type.PYTORCH_DEFAULT),
                new Pointwise(params, "pw.", spec, 2, 2));
        params.allocate(21);
        WsLayout lay = new WsLayout(spec, 2, 2);
        float[] x = gaussian(new Random(22), Math.toIntExact(lay.size()));
        float[] g = gaussian(new Random(23), Math.toIntExact(lay.size()));
        for (Layer m : modules) {
            params.zeroGrad();
            float[] dx1 = download(ops, m.backward(uploadLike(ops, m.forward(upload(ops, lay, x)), g)));
            List<float[]> once = readGrads(params);
            float[] dx2 = download(ops, m.backward(uploadLike(ops, m.forward(upload(ops, lay, x)), g)));
            List<float[]> twice = readGrads(params);
            assertArrayEquals(dx1, dx2, m + ": the second backward's input gradient differs from the first");
            boolean any = false;
            for (int p = 0; p < once.size(); p++) {
                // A fast backend may add each sample's part to the buffer in turn, so the second pass
                // rounds (G + d_0) + d_1 where the first rounded d_0 + d_1: an error of a few ulps of
                // the partial sums, bounded by 1e-5 of the tensor's largest gradient (~80 ulps).
                double largest = 0;
                for (float v : once.get(p)) largest = Math.max(largest, Math.abs(v));
                for (int q = 0; q < once.get(p).length; q++) {
                    assertEquals(2 * once.get(p)[q], twice.get(p)[q], 1e-6 * Math.abs(once.get(p)[q]) + 1e-5 * largest + 1e-30,
                            m + ": " + params.all().get(p).name() + "[" + q + "] not accumulated");
                    any |= once.get(p)[q] != 0;
                }
            }
            assertTrue(any, m + " produced no parameter gradient");
        }
        params.zeroGrad();
        for (float[] a : readGrads(params)) for (float v : a) assertEquals(0f, v, "zeroGrad left a gradient");
    }

    private static List<float[]> readGrads(Params params) {
        List<float[]> out = new ArrayList<>();
        for (Param p : params.all()) out.add(params.readGrad(p));
        return out;
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** Gradient check of a weight-space module at a Gaussian input, with sum(out * G). */
    static void checkWeightSpace(Ops ops, Layer m, Params params, Shape s, GradCheck.Fd fd) {
        WsLayout lay = s.layout();
        Random rnd = new Random(s.name.hashCode() * 31L + s.cin);
        float[] x = gaussian(rnd, Math.toIntExact(lay.size()));
        WeightSpace like = new WeightSpace(lay, ops.alloc(lay.size()).at(0));
        int outSize = Math.toIntExact(m.forward(upload(ops, lay, x)).size());
        new GradCheck(ops, m, params, GradCheck.weighted(gaussian(rnd, outSize)), fd).seed(rnd.nextLong()).run(like, x);
    }

    static void checkTensor(Ops ops, Layer m, Params params, int[] shape, GradCheck.Fd fd, Random rnd) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] x = gaussian(rnd, n);
        Tensor like = new Tensor(shape, ops.alloc(n).at(0));
        int outSize = Math.toIntExact(m.forward(upload(ops, shape, x)).size());
        new GradCheck(ops, m, params, GradCheck.weighted(gaussian(rnd, outSize)), fd).seed(rnd.nextLong()).run(like, x);
    }
}
