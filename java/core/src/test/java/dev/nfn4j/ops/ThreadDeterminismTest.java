package dev.nfn4j.ops;

import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.Param;
import dev.nfn4j.ops.OpsHarness.Arg;
import dev.nfn4j.ops.simd.SimdOps;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.testing.Compare;
import dev.nfn4j.testing.TestBackends;
import dev.nfn4j.testing.TrainStep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The SIMD backend's results do not depend on its thread count (DESIGN section 5: reductions use
 * a fixed partition): {@code new SimdOps(1)}, {@code (2)} and {@code (3)} must agree bit for bit,
 * no tolerance. Shapes are large enough that every multithreaded path splits into several tasks:
 * 65x70 and 100x100 planes (several 1024-position mix tiles, the tiled 4096-position weight
 * gradient), batches of many small planes, Linear layers with many output blocks, activation and
 * Adam lengths of several 64K chunks, and a whole training step.
 */
class ThreadDeterminismTest {
    private static List<Ops> backends;

    /** SIMD with 1, 2 and 3 threads (made once: each owns a thread pool). */
    static synchronized List<Ops> simdByThreads() {
        TestBackends.assumeSimd();
        if (backends == null) backends = List.of(new SimdOps(1), new SimdOps(2), new SimdOps(3));
        return backends;
    }

    private static OpsHarness harness(long seed) {
        return new OpsHarness(simdByThreads(), seed, false);
    }

    @Test
    void backendsRunWithTheirThreadCounts() {
        List<Ops> b = simdByThreads();
        for (int t = 0; t < 3; t++) assertEquals(t + 1, ((SimdOps) b.get(t)).threads(), b.get(t).describe());
    }

    record Mix(int batch, int cin, int cout, int rows, int cols, int opt) {
        boolean has(int bit) {
            return (opt & bit) != 0;
        }

        MixShape shape() {
            return new MixShape(batch, cin, cout, rows, cols);
        }
    }

    /** Big planes (tiles), many planes, a Linear layer with a large batch; {@code opt} as in BackendEquivalenceTest. */
    static List<Mix> mixes() {
        return List.of(new Mix(3, 33, 33, 65, 70, 15), new Mix(2, 16, 7, 100, 100, 6), new Mix(17, 33, 33, 1, 1, 15),
                new Mix(3, 7, 16, 13, 17, 9), new Mix(3, 33, 5, 31, 100, 0), new Mix(3, 16, 16, 33, 33, 15),
                new Mix(2, 32, 5, 300, 201, 1), // 59 mix tiles a plane: output pools in 15 stripes
                new Mix(1, 13, 7, 129, 257, 15), // odd sides past simd's POOLED_MIX_MIN_PLANE: pools taken in the mix
                new Mix(9, 40, 33, 1, 12, 15), new Mix(8, 33, 17, 1, 16, 15), new Mix(7, 19, 9, 3, 7, 15)); // short planes: several samples a tile
    }

    @ParameterizedTest
    @MethodSource("mixes")
    void channelMix(Mix c) {
        OpsHarness h = harness(c.hashCode());
        int B = c.batch, plane = c.rows * c.cols;
        Arg x = h.in("x", h.gaussian(B * c.cin * plane));
        Arg a = h.in("a", h.gaussian(c.cout * c.cin));
        Arg bias = c.has(1) ? h.in("bias", h.gaussian(c.cout)) : null;
        Arg row = c.has(2) ? h.in("row", h.gaussian(B * c.cout * c.cols)) : null;
        Arg col = c.has(4) ? h.in("col", h.gaussian(B * c.cout * c.rows)) : null;
        Arg glob = c.has(8) ? h.in("glob", h.gaussian(B * c.cout)) : null;
        Arg y = h.out("y", B * c.cout * plane);
        h.run((ops, p) -> ops.channelMix(c.shape(), p.at(x), p.at(a), MixEpilogue.terms(p.at(bias), p.at(row), p.at(col), p.at(glob)), p.at(y)));
        h.expect(y, 0);
    }

    /** The mix that also takes its output's plane means: the means are summed in stripes fixed by the shape. */
    @ParameterizedTest
    @MethodSource("mixes")
    void channelMixWithOutputPools(Mix c) {
        OpsHarness h = harness(c.hashCode() + 1);
        int B = c.batch, plane = c.rows * c.cols;
        Arg x = h.in("x", h.gaussian(B * c.cin * plane));
        Arg a = h.in("a", h.gaussian(c.cout * c.cin));
        Arg y = h.out("y", B * c.cout * plane);
        Arg row = h.out("rowMean", B * c.cout * c.cols), col = h.out("colMean", B * c.cout * c.rows), all = h.out("allMean", B * c.cout);
        h.run((ops, p) -> ops.channelMix(c.shape(), p.at(x), p.at(a), new MixEpilogue(null, null, null, null, Act.RELU, new PlanePools(p.at(row), p.at(col), p.at(all))), p.at(y)));
        h.expect(y, 0);
        h.expect(row, 0);
        h.expect(col, 0);
        h.expect(all, 0);
    }

    /** All three outputs: dx (a GEMM), da and dbias (reductions over the batch and the plane). */
    @ParameterizedTest
    @MethodSource("mixes")
    void channelMixBackward(Mix c) {
        OpsHarness h = harness(c.hashCode() + 1);
        int B = c.batch, plane = c.rows * c.cols;
        Arg x = h.in("x", h.gaussian(B * c.cin * plane));
        Arg a = h.in("a", h.gaussian(c.cout * c.cin));
        Arg dy = h.in("dy", h.gaussian(B * c.cout * plane));
        Arg dx = h.acc("dx", h.gaussian(B * c.cin * plane));
        Arg da = h.acc("da", h.gaussian(c.cout * c.cin));
        Arg dbias = h.acc("dbias", h.gaussian(c.cout));
        h.run((ops, p) -> ops.channelMixBackward(c.shape(), p.at(x), p.at(a), Act.IDENTITY, null, p.at(dy), MixGrads.of(p.at(dx), p.at(da), p.at(dbias))));
        h.expect(dx, 0);
        h.expect(da, 0);
        h.expect(dbias, 0);
    }

    /** mixes() and two shapes that take simd's GEMM weight-gradient kernels. */
    static List<Mix> fusedBackwardMixes() {
        List<Mix> out = new java.util.ArrayList<>(mixes());
        out.add(new Mix(2, 40, 9, 61, 59, 15)); // planes of one tile, x in panels
        out.add(new Mix(5, 300, 37, 1, 31, 15)); // short planes, one GEMM over all positions
        return out;
    }

    /** A mix's inputs and a ReLU after it: x, a, the ReLU's output y (half zeros) and dy. */
    record ReluMix(Arg x, Arg a, Arg y, Arg dy) {
        static ReluMix of(OpsHarness h, Mix c) {
            int plane = c.rows * c.cols;
            float[] yv = h.gaussian(c.batch * c.cout * plane);
            for (int i = 0; i < yv.length; i++) yv[i] = Math.max(0f, yv[i]);
            return new ReluMix(h.in("x", h.gaussian(c.batch * c.cin * plane)), h.in("a", h.gaussian(c.cout * c.cin)), h.in("y", yv),
                    h.in("dy", h.gaussian(c.batch * c.cout * plane)));
        }
    }

    /** The whole backward through a ReLU: the term gradients (plane sums of the gated dy) too. */
    @ParameterizedTest
    @MethodSource("fusedBackwardMixes")
    void channelMixBackwardThroughARelu(Mix c) {
        OpsHarness h = harness(c.hashCode() + 2);
        int B = c.batch, plane = c.rows * c.cols;
        ReluMix m = ReluMix.of(h, c);
        Arg x = m.x(), a = m.a(), y = m.y(), dy = m.dy();
        Arg dx = h.acc("dx", h.gaussian(B * c.cin * plane));
        Arg da = h.acc("da", h.gaussian(c.cout * c.cin));
        Arg dbias = h.acc("dbias", h.gaussian(c.cout));
        Arg dRow = h.out("dRow", B * c.cout * c.cols), dCol = h.out("dCol", B * c.cout * c.rows), dGlob = h.out("dGlob", B * c.cout);
        h.run((ops, p) -> ops.channelMixBackward(c.shape(), p.at(x), p.at(a), Act.RELU, p.at(y), p.at(dy),
                new MixGrads(p.at(dx), p.at(da), p.at(dbias), p.at(dRow), p.at(dCol), p.at(dGlob))));
        for (Arg out : List.of(dx, da, dbias, dRow, dCol, dGlob)) h.expect(out, 0);
    }

    /** The input gradient with a pooling's adjoint as its epilogue, through a ReLU. */
    @ParameterizedTest
    @MethodSource("mixes")
    void inputGradWithPools(Mix c) {
        OpsHarness h = harness(c.hashCode() + 3);
        int B = c.batch, plane = c.rows * c.cols;
        ReluMix m = ReluMix.of(h, c);
        Arg x = m.x(), a = m.a(), y = m.y(), dy = m.dy();
        Arg row = h.in("row", h.gaussian(B * c.cin * c.cols)), col = h.in("col", h.gaussian(B * c.cin * c.rows)), all = h.in("all", h.gaussian(B * c.cin));
        Arg dx = h.out("dx", B * c.cin * plane);
        h.run((ops, p) -> ops.channelMixBackward(c.shape(), p.at(x), p.at(a), Act.RELU, p.at(y), p.at(dy), MixGrads.inputWithPools(p.at(dx), new PoolGrads(p.at(row), 1f / c.rows, p.at(col), 1f / c.cols, p.at(all), 1f / plane))));
        h.expect(dx, 0);
    }

    static List<int[]> planeBatches() {
        return List.of(new int[]{70, 17, 31}, new int[]{7, 100, 100}, new int[]{3, 65, 70}, new int[]{300, 1, 1}, new int[]{40, 33, 33});
    }

    @ParameterizedTest
    @MethodSource("planeBatches")
    void planeReduceAndBroadcast(int[] c) {
        int planes = c[0], rows = c[1], cols = c[2];
        for (boolean mean : new boolean[]{false, true}) {
            OpsHarness h = harness(planes * 31L + rows + (mean ? 1 : 0));
            Arg x = h.in("x", h.gaussian(planes * rows * cols));
            Arg ro = h.out("rowOut", planes * cols), co = h.out("colOut", planes * rows), ao = h.out("allOut", planes);
            h.run((ops, p) -> ops.planeReduce(planes, rows, cols, p.at(x), p.at(ro), p.at(co), p.at(ao), mean));
            h.expect(ro, 0);
            h.expect(co, 0);
            h.expect(ao, 0);
        }
        OpsHarness h = harness(planes * 37L + rows);
        Arg r = h.in("row", h.gaussian(planes * cols)), cl = h.in("col", h.gaussian(planes * rows)), al = h.in("all", h.gaussian(planes));
        Arg dx = h.acc("dx", h.gaussian(planes * rows * cols));
        h.run((ops, p) -> ops.planeBroadcast(planes, rows, cols, p.at(r), 0.5f, p.at(cl), -1.5f, p.at(al), 2f, p.at(dx)));
        h.expect(dx, 0);
    }

    /** Three 64K chunks and a tail; copy4d over more than 64 outer rows (the chunked split). */
    @ParameterizedTest
    @EnumSource(Act.class)
    void elementwiseAndCopies(Act act) {
        int n = 3 * (1 << 16) + 5;
        OpsHarness h = harness(act.ordinal());
        Arg x = h.in("x", h.gaussian(n)), dy = h.in("dy", h.gaussian(n));
        Arg y = h.out("y", n), dx = h.out("dx", n);
        h.run((ops, p) -> {
            ops.activation(act, n, p.at(x), p.at(y));
            ops.activationBackward(act, n, p.at(x), p.at(y), p.at(dy), p.at(dx));
        });
        h.expect(y, 0);
        h.expect(dx, 0);

        int[] dims = {130, 9, 5, 7};
        long[] src = {9 * 5 * 7, 5 * 7, 7, 1}, dst = {5 * 7, 130 * 5 * 7, 1, 5}; // axes 0, 1 swapped, last two transposed
        OpsHarness hc = harness(act.ordinal() + 100);
        Arg s = hc.in("src", hc.gaussian(130 * 9 * 5 * 7));
        Arg d = hc.acc("dst", hc.gaussian(130 * 9 * 5 * 7));
        hc.run((ops, p) -> ops.copy4d(dims, p.at(s), src, p.at(d), dst, true));
        hc.expect(d, 0);
    }

    @Test
    void layerNormsAndAttention() {
        // enough work per call (outer slices, token sets) that 2 and 3 threads split it
        NormShape s = new NormShape(9, 33, 40, 7, NormShape.Kind.STD_PLUS_EPS, 1e-5);
        int size = Math.toIntExact(s.size()), n = s.n();
        OpsHarness h = harness(7);
        Arg x = h.in("x", h.gaussian(size)), gamma = h.in("gamma", h.gaussian(n)), beta = h.in("beta", h.gaussian(n)), dy = h.in("dy", h.gaussian(size));
        Arg y = h.out("y", size), dx = h.out("dx", size), dg = h.acc("dgamma", h.gaussian(n)), db = h.acc("dbeta", h.gaussian(n));
        h.run((ops, p) -> {
            ops.layerNorm(s, p.at(x), p.at(gamma), p.at(beta), p.at(y));
            ops.layerNormBackward(s, p.at(x), p.at(gamma), p.at(dy), p.at(dx), p.at(dg), p.at(db));
        });
        for (Arg a : List.of(y, dx, dg, db)) h.expect(a, 0);

        int groups = 12, tokens = 33, dim = 40;
        OpsHarness ha = harness(8);
        Arg qkv = ha.in("qkv", ha.gaussian(groups * tokens * 3 * dim)), dOut = ha.in("dOut", ha.gaussian(groups * tokens * dim));
        Arg probs = ha.out("probs", groups * tokens * tokens), out = ha.out("out", groups * tokens * dim);
        Arg dqkv = ha.out("dqkv", groups * tokens * 3 * dim);
        ha.run((ops, p) -> {
            ops.attention(groups, tokens, dim, 0.2f, p.at(qkv), p.at(probs), p.at(out));
            ops.attentionBackward(groups, tokens, dim, 0.2f, p.at(qkv), p.at(probs), p.at(dOut), p.at(dqkv));
        });
        for (Arg a : List.of(probs, out, dqkv)) ha.expect(a, 0);
    }

    /** Seven SIRENs at the 28 x 28 grid's 784 points: forward, and backward from a cotangent and from a target. */
    @Test
    void sirens() {
        SirenShape s = SirenShape.nfn(7, 784, 1);
        OpsHarness h = harness(11);
        Arg w = h.in("weights", BackendEquivalenceTest.sirenWeights(s, 3)), x = h.in("coords", BackendEquivalenceTest.sirenCoords(s, 4));
        Arg dOut = h.in("dOut", h.gaussian((int) s.outSize())), target = h.in("target", h.gaussian((int) s.outSize()));
        Arg y = h.out("out", (int) s.outSize()), dw = h.out("dw", (int) s.size()), dw2 = h.out("dw2", (int) s.size()), loss = h.out("loss", 7);
        h.run((ops, p) -> {
            ops.siren(s, p.at(w), p.at(x), p.at(y));
            ops.sirenBackward(s, p.at(w), p.at(x), p.at(dOut), null, p.at(dw), null);
            ops.sirenBackward(s, p.at(w), p.at(x), null, p.at(target), p.at(dw2), p.at(loss));
        });
        for (Arg a : List.of(y, dw, dw2, loss)) h.expect(a, 0);
    }

    @Test
    void planeStatsAndAdam() {
        OpsHarness h = harness(5);
        int planes = 17, n = 331;
        Arg x = h.in("x", h.gaussian(planes * n)), g = h.in("dOut", h.gaussian(planes * 7));
        Arg out = h.out("out", planes * 7), dx = h.acc("dx", h.gaussian(planes * n));
        h.run((ops, p) -> {
            ops.planeStats(planes, n, p.at(x), p.at(out));
            ops.planeStatsBackward(planes, n, p.at(x), p.at(g), p.at(dx));
        });
        h.expect(out, 0);
        h.expect(dx, 0);

        int m = 3 * (1 << 16) + 11;
        OpsHarness ha = harness(6);
        Arg param = ha.acc("param", ha.gaussian(m)), grad = ha.in("grad", new float[m]);
        Arg mm = ha.acc("m", new float[m]), vv = ha.acc("v", new float[m]);
        for (int step = 1; step <= 3; step++) {
            ha.set(grad, ha.gaussian(m));
            long s = step;
            ha.run((ops, p) -> ops.adamStep(m, p.at(param), p.at(grad), p.at(mm), p.at(vv), AdamConfig.adamW(1e-3, 0.01), s));
            ha.expect(param, 0);
            ha.expect(mm, 0);
            ha.expect(vv, 0);
        }
    }

    static List<TrainStep.Model> models() {
        return List.of(
                // W_1 is a 70x65 plane: tiled mixes and weight gradients inside a real model.
                new TrainStep.Model("wide", NetworkSpec.mlp(3, 65, 70, 2), InvariantNfn.Mode.HNP, false, true, Act.RELU,
                        3, 2, new int[]{16, 16}, 32, 7),
                new TrainStep.Model("conv", new NetworkSpec(new int[]{3, 17, 13, 5}, new int[][]{{3, 3}, {2, 3}, null}),
                        InvariantNfn.Mode.NP, true, false, Act.GELU, 2, 3, new int[]{16, 5}, 16, 8));
    }

    /** Forward, BCE, backward, Adam step, forward again: every number bit-identical across thread counts. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void trainingStep(TrainStep.Model m) {
        List<Ops> b = simdByThreads();
        AdamConfig cfg = AdamConfig.adam(1e-3);
        TrainStep.Result one = TrainStep.run(b.get(0), m, cfg);
        for (int t = 1; t < b.size(); t++) {
            TrainStep.Result r = TrainStep.run(b.get(t), m, cfg);
            String at = b.get(t).describe() + " vs " + b.get(0).describe() + ", " + m;
            Compare.assertBitIdentical(r.out(), one.out(), at + ": predictions");
            assertEquals(one.loss(), r.loss(), 0.0, at + ": loss");
            Compare.assertBitIdentical(r.dx(), one.dx(), at + ": input gradient");
            for (Param p : one.params()) {
                Compare.assertBitIdentical(TrainStep.slice(r.grads(), p), TrainStep.slice(one.grads(), p), at + ": gradient of " + p);
                Compare.assertBitIdentical(TrainStep.slice(r.paramsAfter(), p), TrainStep.slice(one.paramsAfter(), p), at + ": " + p + " after the step");
            }
            Compare.assertBitIdentical(r.outAfter(), one.outAfter(), at + ": predictions after the step");
        }
    }
}
