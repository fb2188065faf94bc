package dev.nfn4j.ops;

import dev.nfn4j.ops.OpsHarness.Arg;
import dev.nfn4j.ops.reference.ReferenceOps;
import dev.nfn4j.testing.Compare;
import dev.nfn4j.testing.TestBackends;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every {@link Ops} primitive of every fast backend against the reference, on uneven shapes that
 * hit each vector tail and edge: sizes 1, 3, 7, 13, 17, 31, 33, 100 (planes narrower than a
 * vector, a plane of one for Linear layers, 65x70 and 100x100 planes that span several 1024-position
 * mix tiles and several 4096-position weight-gradient tiles), channels 1, 3, 7, 16, 33 (register
 * blocks of 4 plus 0-3 left over), batch 1-3, every optional argument present or null. The
 * {@link OpsHarness} puts each argument at a non-zero offset between NaN guards, poisons
 * overwritten outputs and starts accumulated ones from non-zero contents.
 *
 * <p>Tolerances, as relative L2 error over the whole output:
 * <ul>
 *   <li>{@link #FWD} 1e-5: elementwise results and sums of at most ~33 products plus four
 *       epilogue terms. The reference accumulates in double, a fast backend in float with fma;
 *       the difference is a few float ulps (~1e-7 relative), so 1e-5 only fails a real bug.</li>
 *   <li>{@link #RED} 1e-4: sums over a plane batch (up to 3 x 10^4 terms for da, dbias and the
 *       plane pools). Float error grows with the terms each accumulator takes (a vector lane
 *       holds ~n/32 of them, fewer lanes at 128 bits); 1e-4 bounds the worst order.</li>
 *   <li>0: plain copies, and copy4d's sums, whose order the contract fixes (index order).</li>
 * </ul>
 * Measured on the SIMD backend at 256 and 128 bits: at most 2.2e-7 (FWD) and 1.3e-6 (RED).
 * Inputs of sums have a non-zero mean, so a relative error measures the summation and not a
 * cancellation (a single dbias of C = 1 is one sum). Optimized kernels may change the summation
 * order, not the results beyond these bounds.
 */
class BackendEquivalenceTest {
    static final double FWD = 1e-5;
    static final double RED = 1e-4;

    /** Plane shapes (rows x cols): 1x1 (Linear), narrower than any vector, odd tails, several tiles. */
    static final int[][] PLANES = {
            {1, 1}, {1, 3}, {3, 1}, {3, 3}, {1, 7}, {7, 1}, {1, 13}, {13, 1}, {1, 17}, {17, 1}, {1, 31}, {31, 1},
            {1, 33}, {33, 1}, {1, 100}, {100, 1}, {7, 13}, {13, 7}, {17, 31}, {31, 17}, {33, 33}, {13, 100}, {100, 13},
            {31, 100}, {65, 70}, {100, 100}};
    /** 1, 3: no full block of 4 output channels; 7, 33: blocks plus a remainder; 16: blocks only. */
    static final int[] CHANNELS = {1, 3, 7, 16, 33};

    // ---- case lists ----------------------------------------------------------------------------

    /** Each case against each fast backend (a missing one: each case reported as skipped, see TestBackends). */
    private static Stream<Arguments> against(List<?> cases) {
        return TestBackends.onFast(cases);
    }

    private static int pick(Random r, int[] from) {
        return from[r.nextInt(from.length)];
    }

    /** One channel mix; {@code opt} bits: forward 1 bias, 2 row, 4 col, 8 glob; backward 1 dx, 2 da, 4 dbias. */
    record Mix(int batch, int cin, int cout, int rows, int cols, int opt, boolean backward, long seed) {
        MixShape shape() {
            return new MixShape(batch, cin, cout, rows, cols);
        }

        boolean has(int bit) {
            return (opt & bit) != 0;
        }

        @Override
        public String toString() {
            String o = backward
                    ? (has(1) ? " dx" : "") + (has(2) ? " da" : "") + (has(4) ? " dbias" : "")
                    : (has(1) ? " bias" : "") + (has(2) ? " row" : "") + (has(4) ? " col" : "") + (has(8) ? " glob" : "");
            return "B=" + batch + " C=" + cin + "->" + cout + " plane " + rows + "x" + cols + (o.isEmpty() ? " (no optional)" : o);
        }
    }

    /**
     * Per plane shape: the first draw has every optional argument, the second none (backward: a
     * partial set), the rest random; small planes get 5 draws, big ones 2. Then Linear layers with
     * large batches (plane 1: the batch is the GEMM's row count) and the biggest planes with
     * 33 channels at both ends.
     */
    static List<Mix> mixCases(boolean backward) {
        Random r = new Random(backward ? 0xBAC4L : 0xF0A4L);
        int all = backward ? 7 : 15;
        List<Mix> out = new ArrayList<>();
        for (int[] pl : PLANES) {
            int draws = pl[0] * pl[1] <= 1500 ? 5 : 2;
            for (int d = 0; d < draws; d++) {
                int opt = d == 0 ? all : d == 1 ? (backward ? 1 + r.nextInt(6) : 0) : r.nextInt(all + 1);
                out.add(new Mix(1 + r.nextInt(3), pick(r, CHANNELS), pick(r, CHANNELS), pl[0], pl[1], opt, backward, r.nextLong()));
            }
        }
        out.add(new Mix(17, 33, 33, 1, 1, all, backward, 1));
        out.add(new Mix(33, 16, 7, 1, 1, backward ? 6 : 9, backward, 2));
        out.add(new Mix(3, 33, 33, 65, 70, all, backward, 3));
        out.add(new Mix(2, 33, 16, 100, 100, all, backward, 4));
        out.add(new Mix(3, 16, 33, 31, 100, backward ? 2 : 6, backward, 5));
        // Each of the simd backend's weight-gradient kernels, with row counts that are not multiples of 4:
        // short planes with many channels (one GEMM over all positions), and planes long enough for the
        // row-against-row kernel with a partial last chunk.
        out.add(new Mix(8, 33, 7, 1, 16, all, backward, 6));
        out.add(new Mix(5, 17, 6, 3, 3, all, backward, 7));
        out.add(new Mix(2, 33, 7, 128, 130, all, backward, 8));
        // The GEMM kernels' x panels taken in several blocks of positions, with a partial group of
        // channels: 200 channels of 1,517 positions (ten blocks of 152), and short planes over
        // 5 x 31 positions (two blocks) with 37 rows (a partial task of 16 rows).
        if (backward) {
            out.add(new Mix(2, 200, 9, 37, 41, all, true, 10));
            out.add(new Mix(5, 300, 37, 1, 31, all, true, 11));
        }
        // 59 tiles of 1,024 positions a plane, so the simd backend's output pools run in 15 stripes of 4 tiles.
        if (!backward) out.add(new Mix(2, 32, 5, 300, 201, 5, false, 9));
        // Planes past simd's POOLED_MIX_MIN_PLANE with odd sides and few channels: the in-mix pools' tails.
        if (!backward) out.add(new Mix(1, 3, 7, 181, 183, 15, false, 12));
        return out;
    }

    static Stream<Arguments> mixForward() {
        return against(mixCases(false));
    }

    static Stream<Arguments> mixBackward() {
        return against(mixCases(true));
    }

    /** Plane pools: {@code outs} bits 1 rowOut, 2 colOut, 4 allOut. */
    record Reduce(int planes, int rows, int cols, boolean mean, int outs, long seed) {
        @Override
        public String toString() {
            return planes + " planes of " + rows + "x" + cols + (mean ? " mean" : " sum") + ((outs & 1) != 0 ? " row" : "")
                    + ((outs & 2) != 0 ? " col" : "") + ((outs & 4) != 0 ? " all" : "");
        }
    }

    /**
     * Per plane shape: all outputs (mean), then a random non-empty subset, then any subset, with
     * 1, 2, 3, 5 or 17 planes; plus batches of planes large enough to be split into several tasks.
     */
    static List<Reduce> reduceCases() {
        Random r = new Random(0x4ED0CEL);
        int[] counts = {1, 2, 3, 5, 17};
        List<Reduce> out = new ArrayList<>();
        for (int[] pl : PLANES)
            for (int d = 0; d < 3; d++) {
                int planes = pl[0] * pl[1] > 1500 ? 1 + r.nextInt(3) : pick(r, counts);
                int outs = d == 0 ? 7 : d == 1 ? 1 + r.nextInt(7) : r.nextInt(8);
                out.add(new Reduce(planes, pl[0], pl[1], d == 0 || r.nextBoolean(), outs, r.nextLong()));
            }
        out.add(new Reduce(70, 17, 31, true, 7, 1));
        out.add(new Reduce(70, 17, 31, false, 7, 2));
        out.add(new Reduce(7, 100, 100, false, 7, 3));
        out.add(new Reduce(300, 1, 1, true, 7, 4));
        out.add(new Reduce(40, 33, 33, true, 5, 5));
        out.add(new Reduce(1152, 16, 1, true, 7, 6)); // a weight space's bias columns, many planes
        return out;
    }

    static Stream<Arguments> reduce() {
        return against(reduceCases());
    }

    /** The adjoint of the pools: {@code ins} bits 1 row, 2 col, 4 all, with their scales. */
    record Broadcast(int planes, int rows, int cols, int ins, float sRow, float sCol, float sAll, long seed) {
        @Override
        public String toString() {
            return planes + " planes of " + rows + "x" + cols + ((ins & 1) != 0 ? " row*" + sRow : "")
                    + ((ins & 2) != 0 ? " col*" + sCol : "") + ((ins & 4) != 0 ? " all*" + sAll : "");
        }
    }

    static List<Broadcast> broadcastCases() {
        Random r = new Random(0xB40AD);
        List<Broadcast> out = new ArrayList<>();
        for (int[] pl : PLANES)
            for (int d = 0; d < 2; d++) {
                int planes = pl[0] * pl[1] > 1500 ? 1 + r.nextInt(3) : 1 + r.nextInt(5);
                int ins = d == 0 ? 7 : r.nextInt(8);
                // the scales the layers use (1/rows, 1/cols, 1/plane) and arbitrary ones
                float sRow = d == 0 ? 1f / pl[0] : (float) r.nextGaussian();
                float sCol = d == 0 ? 1f / pl[1] : (float) r.nextGaussian();
                float sAll = d == 0 ? 1f / (pl[0] * pl[1]) : (float) r.nextGaussian();
                out.add(new Broadcast(planes, pl[0], pl[1], ins, sRow, sCol, sAll, r.nextLong()));
            }
        out.add(new Broadcast(70, 17, 31, 7, 0.5f, -2f, 3f, 1));
        out.add(new Broadcast(5, 100, 100, 3, 1f, 1f, 0f, 2));
        out.add(new Broadcast(1152, 16, 1, 7, 1f, 1f / 16, 1f / 16, 3)); // a weight space's bias columns, many planes
        return out;
    }

    static Stream<Arguments> broadcast() {
        return against(broadcastCases());
    }

    /** A strided 4-d copy: strides in elements, zero for a broadcast (source) or a sum (destination). */
    record Copy(String name, int[] dims, long[] ss, long[] ds, boolean accumulate) {
        @Override
        public String toString() {
            return name + " dims " + Arrays.toString(dims) + " src " + Arrays.toString(ss) + " dst " + Arrays.toString(ds)
                    + (accumulate ? " +=" : " =");
        }
    }

    /** Strides of a dense tensor with these dims stored in {@code order} (outermost axis first). */
    static long[] dense(int[] dims, int... order) {
        long[] s = new long[4];
        long st = 1;
        for (int q = 3; q >= 0; q--) {
            s[order[q]] = st;
            st *= dims[order[q]];
        }
        return s;
    }

    static long[] with(long[] strides, int axis, long value) {
        long[] s = strides.clone();
        s[axis] = value;
        return s;
    }

    static List<Copy> copyCases() {
        List<Copy> out = new ArrayList<>();
        int[] d = {2, 3, 5, 17};
        int[] big = {9, 13, 3, 7}; // dims0 * dims1 = 117 >= 64: the chunked task split, a partial last chunk
        // {1, 1, 1, 300007} and {2, 1, 3, 131075}: long contiguous runs split into 65,536-float pieces, partial last pieces.
        int[][] shapes = {d, big, {1, 1, 1, 1}, {1, 1, 1, 100}, {3, 1, 33, 1}, {8, 8, 2, 31}, {65, 1, 1, 33}, {1, 1, 1, 300007}, {2, 1, 3, 131075}};
        for (boolean acc : new boolean[]{false, true}) {
            for (int[] s : shapes) out.add(new Copy("contiguous", s, dense(s, 0, 1, 2, 3), dense(s, 0, 1, 2, 3), acc));
            for (int[] s : new int[][]{d, big}) {
                out.add(new Copy("swap axes 1,2 (rows stay contiguous)", s, dense(s, 0, 1, 2, 3), dense(s, 0, 2, 1, 3), acc));
                out.add(new Copy("reverse all axes (strided writes)", s, dense(s, 0, 1, 2, 3), dense(s, 3, 2, 1, 0), acc));
                out.add(new Copy("gather transposed source", s, dense(s, 3, 1, 0, 2), dense(s, 0, 1, 2, 3), acc));
                out.add(new Copy("broadcast along the last axis", s, with(dense(s, 0, 1, 2, 3), 3, 0), dense(s, 0, 1, 2, 3), acc));
                out.add(new Copy("broadcast along axes 0 and 2", s, with(with(dense(s, 0, 1, 2, 3), 0, 0), 2, 0), dense(s, 0, 1, 2, 3), acc));
                // a destination with gaps: padded leading dimensions (the gaps must stay untouched)
                out.add(new Copy("padded destination", s, dense(s, 0, 1, 2, 3),
                        new long[]{(long) (s[1] + 1) * (s[2] + 2) * (s[3] + 3), (long) (s[2] + 2) * (s[3] + 3), s[3] + 3, 1}, acc));
            }
        }
        // Sums over an axis: only with accumulate, in index order (so bit-identical).
        for (int[] s : new int[][]{d, big}) {
            out.add(new Copy("sum over the last axis", s, dense(s, 0, 1, 2, 3), with(dense(s, 0, 1, 2, 3), 3, 0), true));
            out.add(new Copy("sum over axes 0 and 2", s, dense(s, 0, 1, 2, 3), with(with(dense(s, 0, 1, 2, 3), 0, 0), 2, 0), true));
            out.add(new Copy("sum over axis 1, transposed", s, dense(s, 3, 1, 2, 0), with(dense(s, 0, 1, 2, 3), 1, 0), true));
        }
        // As a concat uses it: contiguous [B, ch, 1, n] pools into channels [3, 3 + ch) of a [B, ch + 5, n] buffer
        // (simd merges the inner axes into one run of ch * n per sample).
        for (boolean acc : new boolean[]{false, true})
            out.add(new Copy("pools into a concat", new int[]{8, 17, 1, 16}, new long[]{17 * 16, 16, 0, 1}, new long[]{22 * 16, 16, 16, 1}, acc));
        // As the layers use it: a [B, C, 7] block into a wider [B, C, K] row, unit last axis.
        out.add(new Copy("stats into features", new int[]{3, 16, 7, 1}, new long[]{16 * 7, 7, 1, 0}, new long[]{16 * 42, 42, 1, 0}, false));
        return out;
    }

    static Stream<Arguments> copies() {
        return against(copyCases());
    }

    record Elementwise(Act act, int n, boolean inPlace) {
        @Override
        public String toString() {
            return act + " n=" + n + (inPlace ? " in place" : "");
        }
    }

    /** Lengths around every vector width, and past the 64K-element task chunk. */
    static final int[] LENGTHS = {1, 3, 7, 13, 17, 31, 33, 100, (1 << 16) + 17};

    static Stream<Arguments> elementwise() {
        List<Elementwise> cases = new ArrayList<>();
        for (Act act : Act.values())
            for (int n : LENGTHS)
                for (boolean inPlace : new boolean[]{false, true}) cases.add(new Elementwise(act, n, inPlace));
        return against(cases);
    }

    static Stream<Arguments> elementwiseBackward() {
        List<Elementwise> cases = new ArrayList<>();
        for (Act act : Act.values())
            for (int n : LENGTHS) cases.add(new Elementwise(act, n, false));
        return against(cases);
    }

    record Stats(int planes, int n, boolean ties) {
        @Override
        public String toString() {
            return planes + " planes of " + n + (ties ? " with ties" : "");
        }
    }

    static Stream<Arguments> stats() {
        List<Stats> cases = new ArrayList<>();
        int[][] pn = {{1, 1}, {3, 1}, {1, 2}, {2, 3}, {3, 7}, {1, 13}, {5, 17}, {17, 33}, {2, 100}, {1, 4550}};
        for (int[] c : pn) cases.add(new Stats(c[0], c[1], false));
        cases.add(new Stats(4, 13, true));
        cases.add(new Stats(3, 100, true));
        return against(cases);
    }

    record AdamCase(String name, int n, AdamConfig cfg) {
        @Override
        public String toString() {
            return name + " n=" + n;
        }
    }

    static Stream<Arguments> adam() {
        List<AdamCase> cases = new ArrayList<>();
        for (int n : new int[]{1, 7, 33, 100, 70001}) {
            cases.add(new AdamCase("Adam", n, AdamConfig.adam(1e-3)));
            cases.add(new AdamCase("Adam, L2 weight decay", n, new AdamConfig(1e-3, 0.9, 0.999, 1e-8, 0.05, false)));
            cases.add(new AdamCase("AdamW", n, AdamConfig.adamW(1e-2, 0.1)));
        }
        cases.add(new AdamCase("Adam, other betas and eps", 100, new AdamConfig(3e-2, 0.8, 0.95, 1e-4, 0, false)));
        return against(cases);
    }

    /** Each fast backend alone (one case without arguments). */
    static Stream<Arguments> fastBackends() {
        List<Object[]> none = new ArrayList<>();
        none.add(new Object[0]);
        return against(none);
    }

    private static OpsHarness harness(Ops fast, long seed) {
        // Odd seeds put all arguments in one buffer, even ones each in its own.
        return new OpsHarness(List.of(TestBackends.reference(), fast), seed, (seed & 1) != 0);
    }

    // ---- memory ---------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("fastBackends")
    void allocUploadDownloadFill(Ops fast) {
        for (int n : LENGTHS) {
            Buf b = fast.alloc(n + 40L);
            float[] all = new float[n + 40];
            fast.download(b.at(0), all, 0, all.length);
            Compare.assertBitIdentical(all, new float[n + 40], fast.describe() + ": alloc(" + (n + 40) + ") not zero-filled");
            float[] src = gaussian(n + 5, n);
            fast.upload(src, 5, b.at(13), n); // from the middle of an array into the middle of a buffer
            fast.fill(b.at(3), 7, 2.5f);
            float[] back = new float[n + 9];
            fast.download(b.at(0), back, 9, n); // into the middle of an array
            float[] want = new float[n + 40];
            System.arraycopy(src, 5, want, 13, n);
            Arrays.fill(want, 3, 10, 2.5f);
            float[] wantBack = new float[n + 9];
            System.arraycopy(want, 0, wantBack, 9, n);
            Compare.assertBitIdentical(back, wantBack, fast.describe() + ": upload/fill/download at offsets, n=" + n);
        }
    }

    private static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    // ---- channel mix ------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("mixForward")
    void channelMix(Ops fast, Mix c) {
        checkMix(fast, c, null);
    }

    /** The mix with a fused ReLU, against the reference's mix-then-activation, on every forward shape. */
    @ParameterizedTest(name = "{0}: {1} + relu")
    @MethodSource("mixForward")
    void channelMixWithFusedRelu(Ops fast, Mix c) {
        checkMix(fast, c, Act.RELU);
    }

    /** One forward mix on both backends: the plain op when act is null, else the one with a fused activation. */
    private static void checkMix(Ops fast, Mix c, Act act) {
        OpsHarness h = harness(fast, c.seed);
        int B = c.batch, cin = c.cin, cout = c.cout, plane = c.rows * c.cols;
        Arg x = h.in("x", h.gaussian(B * cin * plane));
        Arg a = h.in("a", h.gaussian(cout * cin));
        Arg bias = c.has(1) ? h.in("bias", h.gaussian(cout)) : null;
        Arg row = c.has(2) ? h.in("row", h.gaussian(B * cout * c.cols)) : null;
        Arg col = c.has(4) ? h.in("col", h.gaussian(B * cout * c.rows)) : null;
        Arg glob = c.has(8) ? h.in("glob", h.gaussian(B * cout)) : null;
        Arg y = h.out("y", B * cout * plane);
        if (act == null) h.run((ops, p) -> ops.channelMix(c.shape(), p.at(x), p.at(a), MixEpilogue.terms(p.at(bias), p.at(row), p.at(col), p.at(glob)), p.at(y)));
        else h.run((ops, p) -> ops.channelMix(c.shape(), p.at(x), p.at(a), MixEpilogue.terms(p.at(bias), p.at(row), p.at(col), p.at(glob)).then(act), p.at(y)));
        h.expect(y, FWD);
    }

    /** dx overwritten (its first writer): every element written, NaN poison included, the same values as accumulating into zeros. */
    @ParameterizedTest(name = "{0}: {1} dx overwritten")
    @MethodSource("mixBackward")
    void channelMixBackwardOverwritingDx(Ops fast, Mix c) {
        OpsHarness h = harness(fast, c.seed);
        int B = c.batch, cin = c.cin, cout = c.cout, plane = c.rows * c.cols;
        Arg x = h.in("x", h.gaussian(B * cin * plane));
        Arg a = h.in("a", h.gaussian(cout * cin));
        Arg dy = h.in("dy", h.gaussian(B * cout * plane));
        Arg dx = h.out("dx", B * cin * plane);
        Arg dbias = c.has(4) ? h.acc("dbias", positive(h.gaussian(cout), B * plane / 4.0)) : null;
        h.run((ops, p) -> ops.channelMixBackward(c.shape(), p.at(x), p.at(a), Act.IDENTITY, null, p.at(dy), MixGrads.overwriting(p.at(dx), null, p.at(dbias))));
        h.expect(dx, FWD);
        if (dbias != null) h.expect(dbias, RED);
    }

    /**
     * The mix that also takes the plane means of its output (the next NF-Layer's pools), through
     * a ReLU for the draws with a bias, against the reference's mix-then-planeReduce: y and every
     * mean. A draw without the column term asks for the global means only.
     */
    @ParameterizedTest(name = "{0}: {1} + pools")
    @MethodSource("mixForward")
    void channelMixWithOutputPools(Ops fast, Mix c) {
        OpsHarness h = harness(fast, c.seed);
        int B = c.batch, cin = c.cin, cout = c.cout, plane = c.rows * c.cols;
        Act act = c.has(1) ? Act.RELU : Act.IDENTITY;
        boolean rowCol = c.has(4);
        Arg x = h.in("x", h.gaussian(B * cin * plane));
        Arg a = h.in("a", h.gaussian(cout * cin));
        Arg bias = c.has(1) ? h.in("bias", h.gaussian(cout)) : null;
        Arg row = c.has(2) ? h.in("row", h.gaussian(B * cout * c.cols)) : null;
        Arg y = h.out("y", B * cout * plane);
        Arg rowMean = rowCol ? h.out("rowMean", B * cout * c.cols) : null, colMean = rowCol ? h.out("colMean", B * cout * c.rows) : null;
        Arg allMean = h.out("allMean", B * cout);
        h.run((ops, p) -> ops.channelMix(c.shape(), p.at(x), p.at(a), new MixEpilogue(p.at(bias), p.at(row), null, null, act, new PlanePools(p.at(rowMean), p.at(colMean), p.at(allMean))), p.at(y)));
        h.expect(y, FWD);
        if (rowCol) {
            h.expect(rowMean, FWD);
            h.expect(colMean, FWD);
        }
        h.expect(allMean, FWD);
    }

    /**
     * The SPI's promise: a fused activation gives exactly the values of the mix followed by the
     * activation op on the same backend (for every activation; the backends fuse some and run the
     * others as two ops).
     */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("allBackendsAndActs")
    void aFusedActivationIsBitIdenticalToTheTwoOps(Ops ops, Act act) {
        for (MixShape s : List.of(new MixShape(3, 7, 13, 5, 17), new MixShape(2, 33, 16, 1, 1), new MixShape(1, 16, 5, 16, 16))) {
            int xs = s.batch() * s.cin() * (int) s.plane(), ys = s.batch() * s.cout() * (int) s.plane();
            Ptr x = upload(ops, gaussian(xs, 1)), a = upload(ops, gaussian(s.cout() * s.cin(), 2)), bias = upload(ops, gaussian(s.cout(), 3));
            Ptr row = upload(ops, gaussian(s.batch() * s.cout() * s.cols(), 4)), col = upload(ops, gaussian(s.batch() * s.cout() * s.rows(), 5));
            Ptr fused = ops.alloc(ys).at(0), twoOps = ops.alloc(ys).at(0);
            ops.channelMix(s, x, a, MixEpilogue.terms(bias, row, col, null).then(act), fused);
            ops.channelMix(s, x, a, MixEpilogue.terms(bias, row, col, null), twoOps);
            ops.activation(act, ys, twoOps, twoOps);
            float[] f = new float[ys], t = new float[ys];
            ops.download(fused, f, 0, ys);
            ops.download(twoOps, t, 0, ys);
            Compare.assertBitIdentical(f, t, ops.name() + " " + s + " + " + act);
        }
    }

    static Stream<Arguments> allBackendsAndActs() {
        List<Arguments> out = new ArrayList<>();
        for (var ops : TestBackends.allNamed()) for (Act act : Act.values()) out.add(Arguments.of(ops, act)); // JUnit unwraps Named
        return out.stream();
    }

    private static Ptr upload(Ops ops, float[] v) {
        Ptr p = ops.alloc(v.length).at(0);
        ops.upload(v, 0, p, v.length);
        return p;
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("mixBackward")
    void channelMixBackward(Ops fast, Mix c) {
        OpsHarness h = harness(fast, c.seed);
        int B = c.batch, cin = c.cin, cout = c.cout, plane = c.rows * c.cols;
        // x and dy have mean 1/4, so da and dbias (sums over B * plane terms) sit far from 0 and a
        // relative error measures the summation, not a cancellation (one output of C=1->1 is one sum).
        Arg x = h.in("x", shifted(h.gaussian(B * cin * plane), 0.25f));
        Arg a = h.in("a", h.gaussian(cout * cin));
        Arg dy = h.in("dy", shifted(h.gaussian(B * cout * plane), 0.25f));
        // All three accumulate: they start from non-zero contents, of the same sign and scale as the update.
        Arg dx = c.has(1) ? h.acc("dx", h.gaussian(B * cin * plane)) : null;
        Arg da = c.has(2) ? h.acc("da", positive(h.gaussian(cout * cin), B * plane / 16.0)) : null;
        Arg dbias = c.has(4) ? h.acc("dbias", positive(h.gaussian(cout), B * plane / 4.0)) : null;
        h.run((ops, p) -> ops.channelMixBackward(c.shape(), p.at(x), p.at(a), Act.IDENTITY, null, p.at(dy), MixGrads.of(p.at(dx), p.at(da), p.at(dbias))));
        if (dx != null) h.expect(dx, FWD);
        if (da != null) h.expect(da, RED);
        if (dbias != null) h.expect(dbias, RED);
    }

    /**
     * The fused backward through a ReLU with the broadcast terms' gradients, on every backward
     * shape: y is a ReLU's output (about half zeros, so the gate matters), dRow, dCol and dGlob
     * are the plane sums of dy * relu'(y).
     */
    @ParameterizedTest(name = "{0}: {1} through relu, with the term gradients")
    @MethodSource("mixBackward")
    void channelMixBackwardThroughAReluWithTheTermGradients(Ops fast, Mix c) {
        OpsHarness h = harness(fast, c.seed);
        int B = c.batch, cin = c.cin, cout = c.cout, plane = c.rows * c.cols;
        Arg x = h.in("x", shifted(h.gaussian(B * cin * plane), 0.25f));
        Arg a = h.in("a", h.gaussian(cout * cin));
        float[] ys = h.gaussian(B * cout * plane);
        for (int i = 0; i < ys.length; i++) ys[i] = Math.max(0f, ys[i] + 0.25f);
        Arg y = h.in("y", ys);
        Arg dy = h.in("dy", shifted(h.gaussian(B * cout * plane), 0.25f));
        Arg dx = c.has(1) ? h.acc("dx", h.gaussian(B * cin * plane)) : null;
        Arg da = c.has(2) ? h.acc("da", positive(h.gaussian(cout * cin), B * plane / 16.0)) : null;
        Arg dbias = c.has(4) ? h.acc("dbias", positive(h.gaussian(cout), B * plane / 4.0)) : null;
        Arg dRow = h.out("dRow", B * cout * c.cols), dCol = h.out("dCol", B * cout * c.rows), dGlob = h.out("dGlob", B * cout);
        h.run((ops, p) -> ops.channelMixBackward(c.shape(), p.at(x), p.at(a), Act.RELU, p.at(y), p.at(dy),
                new MixGrads(p.at(dx), p.at(da), p.at(dbias), p.at(dRow), p.at(dCol), p.at(dGlob))));
        if (dx != null) h.expect(dx, FWD);
        if (da != null) h.expect(da, RED);
        if (dbias != null) h.expect(dbias, RED);
        h.expect(dRow, RED);
        h.expect(dCol, RED);
        h.expect(dGlob, RED);
    }

    /**
     * The SPI's promise for the fused backward: on each backend, exactly the values of
     * activationBackward (from y), planeReduce (sums) and the plain backward in turn, through
     * IDENTITY and ReLU (dbias within rounding: it may be summed plane by plane; these planes are
     * narrower than cuda's pooled weight gradient); and an activation whose derivative needs its
     * input is refused by name.
     */
    /**
     * The input gradient with a pooling's adjoint (dx overwritten, NaN before the call): opt bit 1
     * takes it through a ReLU, bits 2, 4, 8 give the row, column and global pool gradients.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("mixForward")
    void inputGradWithPools(Ops fast, Mix c) {
        OpsHarness h = harness(fast, c.seed + 17);
        int B = c.batch, cin = c.cin, cout = c.cout, plane = c.rows * c.cols;
        Act act = c.has(1) ? Act.RELU : Act.IDENTITY;
        Arg x = h.in("x", h.gaussian(B * cin * plane));
        Arg a = h.in("a", h.gaussian(cout * cin));
        float[] ys = h.gaussian(B * cout * plane);
        for (int i = 0; i < ys.length; i++) ys[i] = Math.max(0f, ys[i]);
        Arg y = h.in("y", ys);
        Arg dy = h.in("dy", h.gaussian(B * cout * plane));
        Arg row = c.has(2) ? h.in("row", h.gaussian(B * cin * c.cols)) : null;
        Arg col = c.has(4) ? h.in("col", h.gaussian(B * cin * c.rows)) : null;
        Arg all = c.has(8) ? h.in("all", h.gaussian(B * cin)) : null;
        Arg dx = h.out("dx", B * cin * plane);
        float sRow = 1f / c.rows, sCol = 1f / c.cols, sAll = 1f / plane;
        h.run((ops, p) -> ops.channelMixBackward(c.shape(), p.at(x), p.at(a), act, p.at(y), p.at(dy), MixGrads.inputWithPools(p.at(dx), new PoolGrads(p.at(row), sRow, p.at(col), sCol, p.at(all), sAll))));
        h.expect(dx, FWD);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void theFusedMixBackwardIsBitIdenticalToItsThreeOps(Ops ops) {
        // The last two take simd's GEMM weight-gradient kernels: short planes with many channels,
        // and planes of one tile each with x transposed into panels.
        for (MixShape s : List.of(new MixShape(3, 7, 13, 5, 17), new MixShape(2, 33, 16, 1, 1), new MixShape(2, 16, 5, 16, 16),
                new MixShape(3, 40, 9, 1, 13), new MixShape(2, 40, 9, 61, 59))) {
            int xs = s.batch() * s.cin() * (int) s.plane(), ys = s.batch() * s.cout() * (int) s.plane(), planes = s.batch() * s.cout();
            float[] yv = gaussian(ys, 3);
            for (int i = 0; i < ys; i++) yv[i] = Math.max(0f, yv[i]);
            Ptr x = upload(ops, gaussian(xs, 1)), a = upload(ops, gaussian(s.cout() * s.cin(), 2)), y = upload(ops, yv), dy = upload(ops, gaussian(ys, 4));
            for (Act act : new Act[]{Act.IDENTITY, Act.RELU})
                for (boolean terms : new boolean[]{true, false}) {
                    List<Ptr> fused = fresh(ops, xs, s.cout() * s.cin(), s.cout(), planes * s.cols(), planes * s.rows(), planes);
                    List<Ptr> three = fresh(ops, xs, s.cout() * s.cin(), s.cout(), planes * s.cols(), planes * s.rows(), planes);
                    ops.channelMixBackward(s, x, a, act, y, dy, new MixGrads(fused.get(0), fused.get(1), fused.get(2),
                            terms ? fused.get(3) : null, terms ? fused.get(4) : null, terms ? fused.get(5) : null));
                    Ptr g = dy;
                    if (act != Act.IDENTITY) {
                        g = ops.alloc(ys).at(0);
                        ops.activationBackward(act, ys, y, y, dy, g);
                    }
                    if (terms) ops.planeReduce(planes, s.rows(), s.cols(), g, three.get(3), three.get(4), three.get(5), false);
                    ops.channelMixBackward(s, x, a, Act.IDENTITY, null, g, MixGrads.of(three.get(0), three.get(1), three.get(2)));
                    int[] sizes = {xs, s.cout() * s.cin(), s.cout(), planes * s.cols(), planes * s.rows(), planes};
                    for (int k = 0; k < 6; k++) {
                        float[] f = new float[sizes[k]], t = new float[sizes[k]];
                        ops.download(fused.get(k), f, 0, sizes[k]);
                        ops.download(three.get(k), t, 0, sizes[k]);
                        String what = ops.name() + " " + s + " through " + act + (terms ? "" : " without term gradients") + ", output " + k;
                        // dbias (k = 2) may be summed plane by plane from the term gradients (simd): the same sum, grouped
                        // otherwise; so may da, dbias and the term gradients (k >= 1) where cuda takes them in its weight
                        // gradient's pooled pass (mix_weight_grad_pooled: 2-d tiles, where the unfused pass sums column chunks).
                        boolean cudaPooledWg = ops.name().equals("cuda") && s.cols() >= 32;
                        if (k >= 1 && cudaPooledWg) Compare.assertClose(f, t, 1e-5, what);
                        else if (k == 2) Compare.assertClose(f, t, 1e-6, what);
                        else Compare.assertBitIdentical(f, t, what);
                    }
                }
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> ops.channelMixBackward(s, x, a, Act.SIGMOID, y, dy, MixGrads.of(null, ops.alloc(s.cout() * s.cin()).at(0), null)));
            assertTrue(e.getMessage().contains("SIGMOID") && e.getMessage().contains("needs its input"), e.getMessage());
        }
    }

    /** Buffers of the given sizes, filled with the same non-zero values (the accumulated outputs start from them). */
    private static List<Ptr> fresh(Ops ops, int... sizes) {
        List<Ptr> out = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) out.add(upload(ops, gaussian(sizes[i], 100 + i)));
        return out;
    }

    private static float[] shifted(float[] a, float by) {
        for (int i = 0; i < a.length; i++) a[i] += by;
        return a;
    }

    /** |a| times s. */
    private static float[] positive(float[] a, double s) {
        for (int i = 0; i < a.length; i++) a[i] = (float) (Math.abs(a[i]) * s);
        return a;
    }

    // ---- plane pools ------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("reduce")
    void planeReduce(Ops fast, Reduce c) {
        OpsHarness h = harness(fast, c.seed);
        // A non-zero mean, so the sums do not cancel to ~0 and the relative error stays meaningful.
        float[] xs = h.gaussian(c.planes * c.rows * c.cols);
        for (int i = 0; i < xs.length; i++) xs[i] += 0.5f;
        Arg x = h.in("x", xs);
        Arg row = (c.outs & 1) != 0 ? h.out("rowOut", c.planes * c.cols) : null;
        Arg col = (c.outs & 2) != 0 ? h.out("colOut", c.planes * c.rows) : null;
        Arg all = (c.outs & 4) != 0 ? h.out("allOut", c.planes) : null;
        h.run((ops, p) -> ops.planeReduce(c.planes, c.rows, c.cols, p.at(x), p.at(row), p.at(col), p.at(all), c.mean));
        if (row != null) h.expect(row, RED);
        if (col != null) h.expect(col, RED);
        if (all != null) h.expect(all, RED);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("broadcast")
    void planeBroadcast(Ops fast, Broadcast c) {
        OpsHarness h = harness(fast, c.seed);
        Arg row = (c.ins & 1) != 0 ? h.in("row", h.gaussian(c.planes * c.cols)) : null;
        Arg col = (c.ins & 2) != 0 ? h.in("col", h.gaussian(c.planes * c.rows)) : null;
        Arg all = (c.ins & 4) != 0 ? h.in("all", h.gaussian(c.planes)) : null;
        Arg dx = h.acc("dx", h.gaussian(c.planes * c.rows * c.cols));
        h.run((ops, p) -> ops.planeBroadcast(c.planes, c.rows, c.cols, p.at(row), c.sRow, p.at(col), c.sCol, p.at(all), c.sAll, p.at(dx)));
        h.expect(dx, FWD);
    }

    // ---- copies -----------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("copies")
    void copy4d(Ops fast, Copy c) {
        OpsHarness h = harness(fast, Arrays.hashCode(c.dims) * 31L + c.name.hashCode() + (c.accumulate ? 1 : 0));
        int srcLen = Math.toIntExact(maxIndex(c.dims, c.ss) + 1), dstLen = Math.toIntExact(maxIndex(c.dims, c.ds) + 1);
        Arg src = h.in("src", h.gaussian(srcLen));
        Arg dst = c.accumulate ? h.acc("dst", h.gaussian(dstLen)) : h.out("dst", dstLen);
        h.run((ops, p) -> ops.copy4d(c.dims, p.at(src), c.ss, p.at(dst), c.ds, c.accumulate));
        h.expect(dst, 0);
    }

    private static long maxIndex(int[] dims, long[] strides) {
        long m = 0;
        for (int i = 0; i < 4; i++) m += (dims[i] - 1) * strides[i];
        return m;
    }

    static Stream<Arguments> emptyCopies() {
        List<Object[]> cases = new ArrayList<>();
        for (int axis = 0; axis < 4; axis++)
            for (boolean acc : new boolean[]{false, true}) cases.add(new Object[]{axis, acc});
        return against(cases);
    }

    /** "For every index below dims": a zero extent on any axis means nothing is read or written. */
    @ParameterizedTest(name = "{0}: dims[{1}] = 0, accumulate {2}")
    @MethodSource("emptyCopies")
    void copy4dOfAnEmptyRangeIsANoOp(Ops fast, int axis, boolean acc) {
        int[] full = {2, 3, 5, 7}, dims = full.clone();
        dims[axis] = 0;
        long[] strides = dense(full, 0, 1, 2, 3);
        OpsHarness h = harness(fast, axis * 2 + (acc ? 1 : 0));
        Arg src = h.in("src", h.gaussian(2 * 3 * 5 * 7));
        float[] init = h.gaussian(2 * 3 * 5 * 7);
        Arg dst = h.acc("dst", init);
        h.run((ops, p) -> ops.copy4d(dims, p.at(src), strides, p.at(dst), strides, acc));
        h.expectExactly(dst, init);
    }

    // ---- activations ------------------------------------------------------------------------------

    /** Gaussian values of scale 3 (sigmoid and tanh saturate at both ends), with exact zeros and -0 at the ReLU kink. */
    private static float[] activationInput(OpsHarness h, int n) {
        float[] x = h.gaussian(n);
        for (int i = 0; i < n; i++) x[i] *= 3;
        for (int i = 0; i < n; i += 11) x[i] = (i / 11) % 2 == 0 ? 0f : -0f;
        return x;
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("elementwise")
    void activation(Ops fast, Elementwise c) {
        OpsHarness h = harness(fast, c.act.ordinal() * 1000L + c.n + (c.inPlace ? 1 : 0));
        float[] xs = activationInput(h, c.n);
        if (c.inPlace) {
            Arg x = h.acc("x (= y)", xs);
            h.run((ops, p) -> ops.activation(c.act, c.n, p.at(x), p.at(x)));
            h.expect(x, FWD);
        } else {
            Arg x = h.in("x", xs);
            Arg y = h.out("y", c.n);
            h.run((ops, p) -> ops.activation(c.act, c.n, p.at(x), p.at(y)));
            h.expect(y, FWD);
        }
    }

    /** y = act(x) is passed as the layers pass it (computed by the reference); dx is overwritten. */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("elementwiseBackward")
    void activationBackward(Ops fast, Elementwise c) {
        OpsHarness h = harness(fast, c.act.ordinal() * 1000L + c.n + 7);
        float[] xs = activationInput(h, c.n);
        Ops ref = TestBackends.reference();
        Buf xb = ref.alloc(c.n), yb = ref.alloc(c.n);
        ref.upload(xs, 0, xb.at(0), c.n);
        ref.activation(c.act, c.n, xb.at(0), yb.at(0));
        float[] ys = new float[c.n];
        ref.download(yb.at(0), ys, 0, c.n);
        Arg x = h.in("x", xs);
        Arg y = h.in("y", ys);
        Arg dy = h.in("dy", h.gaussian(c.n));
        Arg dx = h.out("dx", c.n);
        h.run((ops, p) -> ops.activationBackward(c.act, c.n, p.at(x), p.at(y), p.at(dy), p.at(dx)));
        h.expect(dx, FWD);
    }

    /**
     * Whatever a backend does with a NaN input (see {@link #reluFollowsPyTorchOnNaN}), it must do
     * it at every index: not one thing in the vector body and another in the scalar tail. 37 NaN
     * inputs span full vectors and a tail at every width.
     */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("elementwiseActs")
    void nanInputsAreTreatedAlikeAtEveryIndex(Ops fast, Act act) {
        int n = 37;
        float[] x = new float[n], dy = new float[n];
        java.util.Arrays.fill(x, Float.NaN);
        java.util.Arrays.fill(dy, 3f);
        Buf xb = fast.alloc(n), yb = fast.alloc(n), dyb = fast.alloc(n), dxb = fast.alloc(n);
        fast.upload(x, 0, xb.at(0), n);
        fast.upload(dy, 0, dyb.at(0), n);
        fast.activation(act, n, xb.at(0), yb.at(0));
        fast.activationBackward(act, n, xb.at(0), yb.at(0), dyb.at(0), dxb.at(0));
        float[] y = new float[n], dx = new float[n];
        fast.download(yb.at(0), y, 0, n);
        fast.download(dxb.at(0), dx, 0, n);
        float[] y0 = new float[n], dx0 = new float[n];
        java.util.Arrays.fill(y0, y[0]);
        java.util.Arrays.fill(dx0, dx[0]);
        Compare.assertBitIdentical(y, y0, fast.describe() + ": " + act + "(NaN) differs between indices (element 0 gives " + y[0] + ")");
        Compare.assertBitIdentical(dx, dx0, fast.describe() + ": " + act + " backward at NaN differs between indices (element 0 gives " + dx[0] + ")");
    }

    static Stream<Arguments> elementwiseActs() {
        return against(List.of(Act.values()));
    }

    static Stream<Arguments> allBackends() {
        return TestBackends.allNamed().stream().map(Arguments::of);
    }

    /**
     * Checkpoints can hold NaN (HostWeights.fromTorch allows it), so backends must agree there
     * too, and PyTorch fixes what they agree on: relu(NaN) = NaN (clamp_min propagates it), and
     * relu's backward, threshold_backward(grad, result, 0) = (result <= 0 ? 0 : grad), passes the
     * gradient through at NaN. SimdOps does both; ReferenceOps maps NaN to 0 forward
     * ({@code x > 0 ? x : 0}) and backward, so the backends disagree on NaN inputs.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allBackends")
    void reluFollowsPyTorchOnNaN(Ops ops) {
        float[] x = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 2f, -2f};
        float[] dy = {3f, 5f, 7f, 11f, 13f};
        Buf xb = ops.alloc(5), yb = ops.alloc(5), dyb = ops.alloc(5), dxb = ops.alloc(5);
        ops.upload(x, 0, xb.at(0), 5);
        ops.upload(dy, 0, dyb.at(0), 5);
        ops.activation(Act.RELU, 5, xb.at(0), yb.at(0));
        ops.activationBackward(Act.RELU, 5, xb.at(0), yb.at(0), dyb.at(0), dxb.at(0));
        float[] y = new float[5], dx = new float[5];
        ops.download(yb.at(0), y, 0, 5);
        ops.download(dxb.at(0), dx, 0, 5);
        Compare.assertBitIdentical(y, new float[]{Float.NaN, Float.POSITIVE_INFINITY, 0f, 2f, 0f}, ops.describe() + ": relu");
        Compare.assertBitIdentical(dx, new float[]{3f, 5f, 0f, 11f, 0f}, ops.describe() + ": relu backward");
    }

    // ---- statistics -------------------------------------------------------------------------------

    /** Distinct Gaussian values, or (ties) values on a coarse grid so that equal values straddle quantile positions. */
    private static float[] statsInput(OpsHarness h, Stats c) {
        float[] x = h.gaussian(c.planes * c.n);
        if (c.ties) for (int i = 0; i < x.length; i++) x[i] = Math.round(x[i] * 2) / 2f;
        return x;
    }

    /** Mean and variance are sums over the plane (RED); quantiles are picked and interpolated values. */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("stats")
    void planeStats(Ops fast, Stats c) {
        OpsHarness h = harness(fast, c.planes * 7919L + c.n);
        Arg x = h.in("x", statsInput(h, c));
        Arg out = h.out("out", c.planes * 7);
        h.run((ops, p) -> ops.planeStats(c.planes, c.n, p.at(x), p.at(out)));
        h.expect(out, RED);
    }

    /** Ties: the gradient of a quantile goes to the sorted position's element, ties in index order (torch's stable CPU sort). */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("stats")
    void planeStatsBackward(Ops fast, Stats c) {
        OpsHarness h = harness(fast, c.planes * 7919L + c.n + 1);
        Arg x = h.in("x", statsInput(h, c));
        Arg dOut = h.in("dOut", h.gaussian(c.planes * 7));
        Arg dx = h.acc("dx", h.gaussian(c.planes * c.n));
        h.run((ops, p) -> ops.planeStatsBackward(c.planes, c.n, p.at(x), p.at(dOut), p.at(dx)));
        h.expect(dx, FWD);
    }

    // ---- layer norms and attention ---------------------------------------------------------------

    record Norm(int outer, int a, int groups, int inner, NormShape.Kind kind) {
        NormShape shape() {
            return new NormShape(outer, a, groups, inner, kind, 1e-5);
        }

        @Override
        public String toString() {
            return "[" + outer + "][" + a + "][" + groups + "][" + inner + "] " + kind;
        }
    }

    /** Groups of 2 to 900 values (past a block of 256 threads), strided (groups > 1) and contiguous, both scale kinds. */
    static Stream<Arguments> norms() {
        int[][] shapes = {{1, 2, 1, 1}, {2, 3, 5, 1}, {3, 7, 4, 3}, {2, 33, 13, 1}, {1, 16, 1, 17}, {2, 5, 1, 100}, {1, 300, 2, 3}, {3, 1, 7, 13}};
        List<Norm> cases = new ArrayList<>();
        for (int[] c : shapes)
            for (NormShape.Kind k : NormShape.Kind.values()) cases.add(new Norm(c[0], c[1], c[2], c[3], k));
        return against(cases);
    }

    /** Values with a mean far from 0, so the mean's subtraction is exercised. */
    private static float[] shifted(OpsHarness h, long n) {
        float[] x = h.gaussian(Math.toIntExact(n));
        for (int i = 0; i < x.length; i++) x[i] += 3;
        return x;
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("norms")
    void layerNorm(Ops fast, Norm c) {
        NormShape s = c.shape();
        OpsHarness h = harness(fast, s.size() * 31 + c.kind().ordinal());
        Arg x = h.in("x", shifted(h, s.size())), gamma = h.in("gamma", shifted(h, s.n())), beta = h.in("beta", h.gaussian(s.n()));
        Arg y = h.out("y", Math.toIntExact(s.size()));
        h.run((ops, p) -> ops.layerNorm(s, p.at(x), p.at(gamma), p.at(beta), p.at(y)));
        h.expect(y, FWD);
    }

    /** dx overwritten, dgamma and dbeta accumulated (sums over every group: RED); and the parameter gradients alone. */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("norms")
    void layerNormBackward(Ops fast, Norm c) {
        NormShape s = c.shape();
        for (boolean withDx : new boolean[]{true, false}) {
            OpsHarness h = harness(fast, s.size() * 37 + c.kind().ordinal() + (withDx ? 1 : 0));
            Arg x = h.in("x", shifted(h, s.size())), gamma = h.in("gamma", shifted(h, s.n())), dy = h.in("dy", h.gaussian(Math.toIntExact(s.size())));
            Arg dx = withDx ? h.out("dx", Math.toIntExact(s.size())) : null;
            Arg dgamma = h.acc("dgamma", h.gaussian(s.n())), dbeta = h.acc("dbeta", h.gaussian(s.n()));
            h.run((ops, p) -> ops.layerNormBackward(s, p.at(x), p.at(gamma), p.at(dy), dx == null ? null : p.at(dx), p.at(dgamma), p.at(dbeta)));
            if (dx != null) h.expect(dx, FWD);
            h.expect(dgamma, RED);
            h.expect(dbeta, RED);
        }
    }

    record Attn(int groups, int tokens, int dim) {
        @Override
        public String toString() {
            return groups + " sets of " + tokens + " tokens x " + dim;
        }
    }

    /** One token, a token set past a warp (33), past a block's threads in tokens^2 (17^2, 65^2), long token vectors (100). */
    static Stream<Arguments> attentions() {
        int[][] c = {{1, 1, 1}, {2, 3, 5}, {3, 7, 13}, {4, 17, 3}, {1, 33, 7}, {2, 65, 2}, {5, 2, 100}};
        List<Attn> cases = new ArrayList<>();
        for (int[] a : c) cases.add(new Attn(a[0], a[1], a[2]));
        return against(cases);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("attentions")
    void attention(Ops fast, Attn c) {
        OpsHarness h = harness(fast, c.groups * 7919L + c.tokens * 31L + c.dim);
        int tt = c.groups * c.tokens * c.tokens, td = c.groups * c.tokens * c.dim;
        float scale = (float) (1 / Math.sqrt(c.dim));
        Arg qkv = h.in("qkv", h.gaussian(3 * td));
        Arg probs = h.out("probs", tt), out = h.out("out", td);
        h.run((ops, p) -> ops.attention(c.groups, c.tokens, c.dim, scale, p.at(qkv), p.at(probs), p.at(out)));
        h.expect(probs, FWD);
        h.expect(out, FWD);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("attentions")
    void attentionBackward(Ops fast, Attn c) {
        OpsHarness h = harness(fast, c.groups * 7919L + c.tokens * 31L + c.dim + 1);
        int tt = c.groups * c.tokens * c.tokens, td = c.groups * c.tokens * c.dim;
        float scale = (float) (1 / Math.sqrt(c.dim));
        float[] qkvHost = h.gaussian(3 * td);
        // the forward's probabilities, from the reference, as the backward's input
        ReferenceOps ref = new ReferenceOps();
        Buf qb = ref.alloc(3L * td), pb = ref.alloc(tt), ob = ref.alloc(td);
        ref.upload(qkvHost, 0, qb.at(0), 3 * td);
        ref.attention(c.groups, c.tokens, c.dim, scale, qb.at(0), pb.at(0), ob.at(0));
        float[] probsHost = new float[tt];
        ref.download(pb.at(0), probsHost, 0, tt);
        Arg qkv = h.in("qkv", qkvHost), probs = h.in("probs", probsHost), dOut = h.in("dOut", h.gaussian(td));
        Arg dqkv = h.out("dqkv", 3 * td);
        h.run((ops, p) -> ops.attentionBackward(c.groups, c.tokens, c.dim, scale, p.at(qkv), p.at(probs), p.at(dOut), p.at(dqkv)));
        h.expect(dqkv, FWD);
    }

    // ---- SIRENs -----------------------------------------------------------------------------------

    record Siren(int batch, int points, int in, int hidden, int out, float omega0, float omega) {
        SirenShape shape() {
            return new SirenShape(batch, points, in, hidden, out, omega0, omega);
        }

        @Override
        public String toString() {
            return shape().toString();
        }
    }

    /**
     * One point and one unit; hidden widths off the vector width (13, 17, 31: simd pads them);
     * points off the simd tile (32) and the cuda tile (64), past both (65, 100, the 28 x 28 grid);
     * several inputs and outputs (cuda's limits: 4, 32, 4); nfn's omega 30 and gentler ones.
     */
    static Stream<Arguments> sirens() {
        return against(List.of(new Siren(1, 1, 1, 1, 1, 30f, 30f), new Siren(3, 37, 2, 32, 1, 30f, 30f), new Siren(2, 100, 3, 13, 2, 10f, 5f),
                new Siren(5, 33, 2, 17, 3, 30f, 30f), new Siren(2, 784, 2, 32, 1, 30f, 30f), new Siren(1, 65, 4, 31, 4, 3f, 2f)));
    }

    /** Weights drawn as nfn's Siren initialises them, a little wider, per tensor of the batch layout. */
    static float[] sirenWeights(SirenShape s, long seed) {
        Random r = new Random(seed);
        float[] w = new float[(int) s.size()];
        int B = s.batch(), H = s.hidden();
        double hid = 2 * Math.sqrt(6.0 / H) / s.omega();
        double[][] parts = {{s.w0(), (long) B * H * s.in(), 1.0 / s.in()}, {s.b0(), (long) B * H, 1 / Math.sqrt(s.in())},
                {s.w1(), (long) B * H * H, hid}, {s.b1(), (long) B * H, 1 / Math.sqrt(H)}, {s.w2(), (long) B * s.out() * H, hid},
                {s.b2(), (long) B * s.out(), 1 / Math.sqrt(H)}};
        for (double[] p : parts)
            for (int i = 0; i < (int) p[1]; i++) w[(int) p[0] + i] = (float) ((2 * r.nextDouble() - 1) * p[2]);
        return w;
    }

    /** Coordinates in [-1, 1]. */
    static float[] sirenCoords(SirenShape s, long seed) {
        Random r = new Random(seed);
        float[] x = new float[(int) s.coordSize()];
        for (int i = 0; i < x.length; i++) x[i] = (float) (2 * r.nextDouble() - 1);
        return x;
    }

    // omega 30 multiplies every pre-activation: float rounding of the sums, and the backends' own
    // sin and cos (1-2 ulps), come out of two sine layers magnified; the reference is in double.
    static final double SIREN_TOL = 2e-4;

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("sirens")
    void siren(Ops fast, Siren c) {
        SirenShape s = c.shape();
        OpsHarness h = harness(fast, s.size() * 13 + s.points());
        Arg w = h.in("weights", sirenWeights(s, s.size())), x = h.in("coords", sirenCoords(s, s.points()));
        Arg y = h.out("out", (int) s.outSize());
        h.run((ops, p) -> ops.siren(s, p.at(w), p.at(x), p.at(y)));
        h.expect(y, SIREN_TOL);
    }

    /** dWeights overwritten, from a cotangent; and from a target, with the per-SIREN loss. */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("sirens")
    void sirenBackward(Ops fast, Siren c) {
        SirenShape s = c.shape();
        for (boolean fromTarget : new boolean[]{false, true}) {
            OpsHarness h = harness(fast, s.size() * 17 + s.points() + (fromTarget ? 1 : 0));
            Arg w = h.in("weights", sirenWeights(s, s.size() + 1)), x = h.in("coords", sirenCoords(s, s.points() + 1));
            Arg dOut = fromTarget ? null : h.in("dOut", h.gaussian((int) s.outSize()));
            Arg target = fromTarget ? h.in("target", h.gaussian((int) s.outSize())) : null;
            Arg dw = h.out("dWeights", (int) s.size()), loss = fromTarget ? h.out("loss", s.batch()) : null;
            h.run((ops, p) -> ops.sirenBackward(s, p.at(w), p.at(x), dOut == null ? null : p.at(dOut), target == null ? null : p.at(target),
                    p.at(dw), loss == null ? null : p.at(loss)));
            h.expect(dw, SIREN_TOL * 5);
            if (loss != null) h.expect(loss, SIREN_TOL);
        }
    }

    // ---- optimizer --------------------------------------------------------------------------------

    /**
     * Four steps (step counts from 1, bias correction changes every step), a new gradient each
     * step with some exact zeros; param, m and v updated in place. Bit-identical: every backend
     * runs the same float32 operations in the same order.
     */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("adam")
    void adamStep(Ops fast, AdamCase c) {
        OpsHarness h = harness(fast, c.n * 31L + c.name.hashCode());
        Arg param = h.acc("param", h.gaussian(c.n));
        Arg grad = h.in("grad", new float[c.n]);
        Arg m = h.acc("m", new float[c.n]);
        Arg v = h.acc("v", new float[c.n]);
        for (int step = 1; step <= 4; step++) {
            float[] g = h.gaussian(c.n);
            for (int i = step; i < c.n; i += 5) g[i] = 0f;
            for (int i = 0; i < c.n; i++) g[i] *= 0.1f * step;
            h.set(grad, g);
            long s = step;
            h.run((ops, p) -> ops.adamStep(c.n, p.at(param), p.at(grad), p.at(m), p.at(v), c.cfg, s));
            h.expect(param, 0);
            h.expect(m, 0);
            h.expect(v, 0);
        }
    }

    /** The suite is meant to run at the width -Dnfn4j.vectorBits asks for (the second Surefire execution uses 128). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fastBackends")
    void vectorWidthFollowsTheProperty(Ops fast) {
        String bits = System.getProperty("nfn4j.vectorBits", "").trim();
        if (!fast.name().equals("simd") || bits.isEmpty()) return;
        assertTrue(fast.describe().contains(bits + "-bit"), fast.describe() + " does not run at -Dnfn4j.vectorBits=" + bits);
    }
}
