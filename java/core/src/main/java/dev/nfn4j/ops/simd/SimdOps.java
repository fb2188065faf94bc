package dev.nfn4j.ops.simd;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.AdamScalars;
import dev.nfn4j.ops.ComposedMix;
import dev.nfn4j.ops.MixEpilogue;
import dev.nfn4j.ops.MixGrads;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.NormShape;
import dev.nfn4j.ops.OpArgs;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Parallel;
import dev.nfn4j.ops.PoolGrads;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.SirenShape;
import dev.nfn4j.ops.host.HostBuf;
import dev.nfn4j.ops.host.HostMemory;
import dev.nfn4j.ops.host.PlaneStats;
import dev.nfn4j.ops.host.ScalarAttention;
import dev.nfn4j.ops.host.ScalarElementwise;
import dev.nfn4j.ops.host.ScalarNorm;
import jdk.incubator.vector.FloatVector;

import java.util.Arrays;

import static dev.nfn4j.ops.OpArgs.need;
import static dev.nfn4j.ops.simd.Lanes.addInto;
import static dev.nfn4j.ops.simd.Lanes.S;
import static dev.nfn4j.ops.simd.Lanes.V;
import static dev.nfn4j.ops.simd.Lanes.addRowSegment;
import static dev.nfn4j.ops.simd.Lanes.addShortRows4;
import static dev.nfn4j.ops.simd.Lanes.arr;
import static dev.nfn4j.ops.simd.Lanes.gateRow;
import static dev.nfn4j.ops.simd.Lanes.off;

/**
 * The CPU backend on the Java Vector API: register-blocked channel mixes vectorized along the
 * plane, one-pass pools, multithreaded over a fixed task partition (bit-identical results for
 * any thread count). The only package that imports {@code jdk.incubator.vector}. Rare, cheap
 * ops (plane statistics, layer norms, attention, copies that sum) run the host backends' shared
 * scalar loops ({@code dev.nfn4j.ops.host}), split over independent slices.
 *
 * <p>This class checks arguments and picks a kernel; the kernels live beside it: {@link Gemm}
 * (the channel mix and its input gradient), {@link OutputPools} (a mix's output means taken as it
 * is written), {@link WeightGrad} (the mix's weight gradient), {@link Lanes} (the species and the
 * shared vector loops) and {@link Scratch} (per-thread work arrays).
 */
public final class SimdOps implements Ops, HostMemory {
    /** copy4d splits contiguous runs of at least twice this many floats into pieces of it (one task each). */
    static final int COPY_PIECE = 1 << 16;
    /**
     * Planes of at least this many positions take a mix's output pools as its tiles are written;
     * smaller ones pool y after the mix, while it is still in cache: measured (2 threads, medians),
     * the in-mix pools are slower there (the zoo's 8x9->144 at 16x16: 384 vs 250 us;
     * 32->32 at 64x64 even to 1.2x slower) and faster only from about 181x181 (10.8-11.5 vs
     * 12.0-13.6 ms) and 256x256.
     */
    static final int POOLED_MIX_MIN_PLANE = 1 << 15;

    private final Parallel par;
    private final Scratch scratch = new Scratch();
    private final WeightGrad weightGrad;

    /** A SIMD backend running on {@code threads} threads. */
    public SimdOps(int threads) {
        this.par = new Parallel(threads);
        this.weightGrad = new WeightGrad(par, scratch);
    }

    /** With {@code -Dnfn4j.threads} threads (default: available processors). */
    public static SimdOps fromSystemProperties() {
        return new SimdOps(Parallel.configuredThreads());
    }

    @Override
    public String name() {
        return "simd";
    }

    @Override
    public String describe() {
        return "simd (" + S.vectorBitSize() + "-bit vectors, " + V + " floats; " + par.threads() + " threads)";
    }

    /** The number of threads it runs on. */
    public int threads() {
        return par.threads();
    }

    /** The vector width in bits that the kernels use. */
    public int vectorBits() {
        return S.vectorBitSize();
    }

    @Override
    public void fill(Ptr x, long n, float value) {
        // Zeroing gradients and workspaces every step: worth both threads' write bandwidth.
        need(x, n, "fill x");
        float[] X = arr(x);
        int xo = off(x);
        chunked(n, (lo, hi) -> Arrays.fill(X, xo + (int) lo, xo + (int) hi, value));
    }

    // ---- channel mix ----------------------------------------------------------------------------

    /**
     * ReLU is applied in the GEMM's stores (as {@link #activation} computes it); other activations
     * run as a second op. The plane means of y are taken as the GEMM writes it where the planes
     * are large enough: each task sums the tiles of y it has just stored (still in L2) into partial
     * sums, added afterwards in a fixed order ({@link OutputPools}); smaller planes, and
     * activations the GEMM does not apply, pool y after the mix ({@link ComposedMix#finish}).
     */
    @Override
    public void channelMix(MixShape s, Ptr x, Ptr a, MixEpilogue e, Ptr y) {
        OpArgs.channelMix(s, x, a, e, y);
        int B = s.batch(), cin = s.cin(), cout = s.cout();
        int plane = Math.toIntExact(s.plane());
        boolean actInGemm = e.act() == Act.IDENTITY || e.act() == Act.RELU;
        boolean poolsInGemm = e.pools() != null && actInGemm && s.plane() >= POOLED_MIX_MIN_PLANE;
        Gemm g = new Gemm(par, scratch, B, cin, cout, plane, arr(x), off(x), arr(a), off(a), cin, 1, arr(y), off(y), false)
                .terms(s.cols(), e.bias(), e.row(), e.col(), e.glob());
        g.relu = e.act() == Act.RELU;
        if (poolsInGemm) g.pools = new OutputPools(par, scratch, s, arr(y), off(y), e.pools());
        g.run();
        ComposedMix.finish(this, s, e, actInGemm, poolsInGemm, y);
    }

    /**
     * As its ops in turn (act' into a reused buffer, the plane sums, the GEMMs), dbias taken from
     * the term gradients' plane sums rather than in a pass of its own
     * ({@link ComposedMix#backwardBiasFromPools}). Two passes over dy instead (the pools and act'
     * taken in the weight gradient's pass, act' applied as the dx GEMM packs its tiles) were
     * bit-identical but not faster here (BENCHMARKS.md): the NF-Layers' dy is cache-resident at
     * the zoo's sizes, and act' was then applied three times instead of once. An NF-Layer's input
     * gradient (dx alone, overwritten, with its pools' gradients) is one GEMM
     * ({@link #inputGradWithPools}).
     */
    @Override
    public void channelMixBackward(MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, MixGrads grads) {
        OpArgs.channelMixBackward(s, act, x, a, y, dy, grads);
        if (grads.pools() != null && s.plane() > 1 && grads.overwriteDx() && grads.da() == null && grads.dbias() == null && !grads.anyTerm()) {
            inputGradWithPools(s, a, act, y, dy, grads.dx(), grads.pools());
            return;
        }
        Ptr g = act == Act.IDENTITY ? null : backwardBuf(0, (long) s.batch() * s.cout() * s.plane());
        ComposedMix.backwardBiasFromPools(this, s, x, a, act, y, dy, grads, g, backwardBuf(1, (long) s.batch() * s.cout()), this::linearBackward);
    }

    /** The linear part of the backward; dx overwritten: the same GEMM storing its results instead of adding them to dx. */
    private void linearBackward(MixShape s, Ptr x, Ptr a, Ptr dy, Ptr dx, boolean overwriteDx, Ptr da, Ptr dbias) {
        int B = s.batch(), cin = s.cin(), cout = s.cout();
        int plane = Math.toIntExact(s.plane());
        if (dx != null && plane == 1 && cin > 1)
            // dx[b][c] += sum_o dy[b][o] a[o][c] (a Linear layer): a streamed once, in register blocks of
            // samples x positions (a row of a vector-added into each sample in turn reached 16 GFLOP/s).
            LinearInputGrad.run(par, B, cin, cout, arr(a), off(a), arr(dy), off(dy), arr(dx), off(dx), !overwriteDx);
        else if (dx != null && plane == 1)
            // One input: the samples as output rows of a one-position GEMM (its dot products).
            new Gemm(par, scratch, 1, cout, B, cin, arr(a), off(a), arr(dy), off(dy), cout, 1, arr(dx), off(dx), !overwriteDx).run();
        else if (dx != null) dxGemm(s, a, dy, dx, !overwriteDx).run();
        if (da != null || dbias != null) weightGrad.run(B, cin, cout, plane, arr(x), off(x), arr(dy), off(dy), da, dbias);
    }

    /**
     * The input gradient with the pooling's adjoint as the GEMM's epilogue: the broadcast terms,
     * scaled, are where each block's sums start (as the forward's row, column and global terms),
     * and relu' is applied to dy as the GEMM packs its tiles, so dx is written once and g is never
     * stored.
     */
    private void inputGradWithPools(MixShape s, Ptr a, Act act, Ptr y, Ptr dy, Ptr dx, PoolGrads p) {
        // the pools' gradients as the GEMM's row, column and global terms
        Gemm g = dxGemm(s, a, dy, dx, false).terms(s.cols(), null, p.row(), p.col(), p.all());
        g.rowScale = p.sRow();
        g.colScale = p.sCol();
        g.globScale = p.sAll();
        if (act == Act.RELU) {
            g.gate = arr(y);
            g.gateOff = off(y);
        }
        g.run();
    }

    /** dx[b][c][p] (+)= sum_o a[o][c] dy[b][o][p]: the forward GEMM with a transposed (planes of more than one position). */
    private Gemm dxGemm(MixShape s, Ptr a, Ptr dy, Ptr dx, boolean accumulate) {
        return new Gemm(par, scratch, s.batch(), s.cout(), s.cin(), Math.toIntExact(s.plane()), arr(dy), off(dy), arr(a), off(a), 1, s.cin(),
                arr(dx), off(dx), accumulate);
    }

    /**
     * Per calling thread, reused by every mix backward (grown, never shrunk): the gradient before a
     * fused activation, and the plane sums dbias is taken from when dGlob is not asked for.
     */
    private final ThreadLocal<HostBuf[]> backwardBufs = ThreadLocal.withInitial(() -> new HostBuf[]{new HostBuf(0), new HostBuf(0)});

    private Ptr backwardBuf(int slot, long n) {
        HostBuf[] held = backwardBufs.get();
        if (held[slot].length() < n) held[slot] = new HostBuf(n);
        return held[slot].at(0);
    }

    // ---- pools ------------------------------------------------------------------------------------

    @Override
    public void planeReduce(long planesL, int rows, int cols, Ptr x, Ptr rowOut, Ptr colOut, Ptr allOut, boolean mean) {
        int planes = Math.toIntExact(planesL), plane = rows * cols;
        OpArgs.planeReduce(planes, rows, cols, x, rowOut, colOut, allOut);
        float[] X = arr(x), R = rowOut == null ? null : arr(rowOut), C = colOut == null ? null : arr(colOut), A = allOut == null ? null : arr(allOut);
        int xo = off(x), ro = rowOut == null ? 0 : off(rowOut), co = colOut == null ? 0 : off(colOut), alo = allOut == null ? 0 : off(allOut);
        float sr = mean ? 1f / rows : 1f, sc = mean ? 1f / cols : 1f, sa = mean ? (float) (1.0 / plane) : 1f;
        int per = Math.max(1, (1 << 15) / Math.max(plane, 1));
        par.forEach((planes + per - 1) / per, (long) planes * plane, t -> {
            float[] rowAcc = scratch.get(Scratch.E_SLOT, cols), sums = new float[4];
            for (int q = t * per, qe = Math.min(planes, q + per); q < qe; q++) {
                int base = xo + q * plane;
                if (cols == 1) { // a column (the bias planes of a weight space's layout): as below, without a row loop per value
                    float all = 0f, rowSum = 0f;
                    for (int j = 0; j < rows; j++) {
                        float v = X[base + j], colSum = 0f + v; // 0f + v: addRowSegment's sum of one value
                        if (C != null) C[co + q * rows + j] = colSum * sc;
                        all += colSum;
                        rowSum += v;
                    }
                    if (R != null) R[ro + q] = rowSum * sr;
                    if (A != null) A[alo + q] = all * sa;
                    continue;
                }
                Arrays.fill(rowAcc, 0, cols, 0f);
                float all = 0;
                int j = 0;
                if (cols < 2 * V)
                    for (; j + 4 <= rows; j += 4) {
                        addShortRows4(X, base + j * cols, cols, rowAcc, 0, cols, sums, 0);
                        for (int i = 0; i < 4; i++) {
                            if (C != null) C[co + q * rows + j + i] = sums[i] * sc;
                            all += sums[i];
                        }
                    }
                for (; j < rows; j++) {
                    float colSum = addRowSegment(X, base + j * cols, rowAcc, 0, cols);
                    if (C != null) C[co + q * rows + j] = colSum * sc;
                    all += colSum;
                }
                if (R != null) for (int k = 0; k < cols; k++) R[ro + q * cols + k] = rowAcc[k] * sr;
                if (A != null) A[alo + q] = all * sa;
            }
        });
    }

    @Override
    public void planeBroadcast(long planesL, int rows, int cols, Ptr row, float sRow, Ptr col, float sCol, Ptr all, float sAll, Ptr dx) {
        int planes = Math.toIntExact(planesL), plane = rows * cols;
        OpArgs.planeBroadcast(planes, rows, cols, row, col, all, dx);
        float[] DX = arr(dx), R = row == null ? null : arr(row), C = col == null ? null : arr(col), A = all == null ? null : arr(all);
        int dxo = off(dx), ro = row == null ? 0 : off(row), co = col == null ? 0 : off(col), alo = all == null ? 0 : off(all);
        int per = Math.max(1, (1 << 15) / Math.max(plane, 1));
        par.forEach((planes + per - 1) / per, (long) planes * plane, t -> {
            for (int q = t * per, qe = Math.min(planes, q + per); q < qe; q++) {
                float a = A == null ? 0f : sAll * A[alo + q];
                int base = dxo + q * plane;
                if (cols == 1) { // a column: as below, without a row loop per value
                    float r = R == null ? 0f : sRow * R[ro + q];
                    for (int j = 0; j < rows; j++) {
                        float cj = a + (C == null ? 0f : sCol * C[co + q * rows + j]);
                        DX[base + j] += R == null ? cj : r + cj;
                    }
                    continue;
                }
                for (int j = 0; j < rows; j++) {
                    float cj = a + (C == null ? 0f : sCol * C[co + q * rows + j]);
                    int r = base + j * cols, k = 0;
                    FloatVector cv = FloatVector.broadcast(S, cj);
                    if (R != null) {
                        for (int kb = S.loopBound(cols); k < kb; k += V)
                            FloatVector.fromArray(S, R, ro + q * cols + k).fma(FloatVector.broadcast(S, sRow), cv)
                                    .add(FloatVector.fromArray(S, DX, r + k)).intoArray(DX, r + k);
                        for (; k < cols; k++) DX[r + k] += sRow * R[ro + q * cols + k] + cj;
                    } else {
                        for (int kb = S.loopBound(cols); k < kb; k += V) cv.add(FloatVector.fromArray(S, DX, r + k)).intoArray(DX, r + k);
                        for (; k < cols; k++) DX[r + k] += cj;
                    }
                }
            }
        });
    }

    // ---- copies, activations, statistics, Adam ----------------------------------------------------

    @Override
    public void copy4d(int[] dims, Ptr src, long[] ss, Ptr dst, long[] ds, boolean accumulate) {
        for (int d : dims) if (d == 0) return; // an empty range copies nothing
        OpArgs.copy4d(dims, src, ss, dst, ds);
        // A destination with a zero stride sums over that axis: keep the reference's sequential order.
        for (int i = 0; i < 4; i++)
            if (ds[i] == 0 && dims[i] > 1) {
                ScalarElementwise.copy4d(dims, src, ss, dst, ds, accumulate);
                return;
            }
        // Axes whose strides chain in both tensors are one axis: a concat's [B][ch][1][n] copy of
        // contiguous pools runs as B runs of ch*n floats instead of B*ch runs of n.
        int[] d = dims.clone();
        long[] s = ss.clone(), t = ds.clone();
        mergeAxes(d, s, t);
        copyRows(d, src, s, dst, t, accumulate);
    }

    /** copy4d after {@link #mergeAxes}: rows of dims[3] elements, split into long pieces or grouped into tasks. */
    private void copyRows(int[] dims, Ptr src, long[] ss, Ptr dst, long[] ds, boolean accumulate) {
        float[] Sx = arr(src), D = arr(dst);
        long so = src.offset(), dso = dst.offset();
        int n3 = dims[3];
        boolean contiguous = ss[3] == 1 && ds[3] == 1;
        int rows = dims[0] * dims[1] * dims[2];
        if (contiguous && n3 >= 2 * COPY_PIECE) { // a few long runs (one may be a whole tensor): split the runs too
            int pieces = (n3 + COPY_PIECE - 1) / COPY_PIECE;
            par.forEach(rows * pieces, (long) rows * n3, t -> {
                int r = t / pieces, p0 = (t % pieces) * COPY_PIECE, len = Math.min(COPY_PIECE, n3 - p0);
                int ab = r / dims[2], c = r % dims[2], a = ab / dims[1], b = ab % dims[1];
                int si = (int) (so + a * ss[0] + b * ss[1] + c * ss[2]) + p0, di = (int) (dso + a * ds[0] + b * ds[1] + c * ds[2]) + p0;
                if (!accumulate) {
                    System.arraycopy(Sx, si, D, di, len);
                    return;
                }
                addInto(D, di, Sx, si, len);
            });
            return;
        }
        int tasks = Math.min(64, rows), chunk = (rows + tasks - 1) / tasks;
        par.forEach((rows + chunk - 1) / chunk, (long) rows * n3, t -> {
            for (int r = t * chunk, re = Math.min(rows, r + chunk); r < re; r++) {
                int ab = r / dims[2], c = r % dims[2], a = ab / dims[1], b = ab % dims[1];
                int si = (int) (so + a * ss[0] + b * ss[1] + c * ss[2]);
                int di = (int) (dso + a * ds[0] + b * ds[1] + c * ds[2]);
                if (contiguous && !accumulate) {
                    System.arraycopy(Sx, si, D, di, n3);
                } else if (contiguous) {
                    addInto(D, di, Sx, si, n3);
                } else {
                    for (int d = 0; d < n3; d++) {
                        int sd = (int) (si + d * ss[3]), dd = (int) (di + d * ds[3]);
                        D[dd] = accumulate ? D[dd] + Sx[sd] : Sx[sd];
                    }
                }
            }
        });
    }

    /**
     * Rewrites a copy's axes in place into the fewest that address the same elements: axes of
     * size 1 dropped, and an axis merged into the one inside it when its strides are that axis's
     * size times its strides in both tensors; the result is right-aligned (outer axes of size 1).
     * Every element is copied to the same place, so the result is unchanged (no destination
     * stride is zero here).
     */
    static void mergeAxes(int[] dims, long[] ss, long[] ds) {
        int n = 0;
        int[] d = new int[4];
        long[] s = new long[4], t = new long[4];
        for (int i = 3; i >= 0; i--) { // from the innermost axis out; kept axes at d[0] (innermost) .. d[n-1]
            if (dims[i] == 1) continue;
            if (n > 0 && ss[i] == d[n - 1] * s[n - 1] && ds[i] == d[n - 1] * t[n - 1]) {
                d[n - 1] *= dims[i];
                continue;
            }
            d[n] = dims[i];
            s[n] = ss[i];
            t[n] = ds[i];
            n++;
        }
        for (int i = 0; i < 4; i++) {
            boolean kept = i < n;
            dims[3 - i] = kept ? d[i] : 1;
            ss[3 - i] = kept ? s[i] : 0;
            ds[3 - i] = kept ? t[i] : 0;
        }
    }

    @Override
    public void planeScale(long planes, int n, Ptr x, Ptr scale, Ptr y) {
        // Rare (dropout in training) and memory-bound: the scalar loop, split over planes.
        OpArgs.planeScale(planes, n, x, scale, y);
        int per = Math.max(1, (1 << 16) / Math.max(n, 1)), tasks = (int) ((planes + per - 1) / per);
        par.forEach(tasks, planes * n, t -> {
            long p0 = (long) t * per, np = Math.min(planes, p0 + per) - p0;
            ScalarElementwise.planeScale(np, n, x.plus(p0 * n), scale.plus(p0), y.plus(p0 * n));
        });
    }

    @Override
    public void activation(Act act, long nL, Ptr x, Ptr y) {
        OpArgs.activation(nL, x, y);
        if (DoubleActivations.handles(act)) {
            float[] X = arr(x), Y = arr(y);
            int xo = off(x), yo = off(y);
            chunked(nL, (lo, hi) -> DoubleActivations.apply(act, X, xo + (int) lo, Y, yo + (int) lo, (int) (hi - lo)));
            return;
        }
        if (act != Act.RELU && act != Act.IDENTITY) {
            chunked(nL, (lo, hi) -> ScalarElementwise.activation(act, hi - lo, x.plus(lo), y.plus(lo)));
            return;
        }
        float[] X = arr(x), Y = arr(y);
        int xo = off(x), yo = off(y);
        chunked(nL, (lo, hi) -> {
            int i = (int) lo;
            FloatVector zero = FloatVector.zero(S);
            for (; i + V <= hi; i += V) {
                FloatVector v = FloatVector.fromArray(S, X, xo + i);
                (act == Act.RELU ? v.max(zero) : v).intoArray(Y, yo + i);
            }
            for (; i < hi; i++) Y[yo + i] = act == Act.RELU ? Math.max(X[xo + i], 0f) : X[xo + i];
        });
    }

    @Override
    public void activationBackward(Act act, long nL, Ptr x, Ptr y, Ptr dy, Ptr dx) {
        OpArgs.activationBackward(nL, x, dy, dx);
        if (DoubleActivations.handles(act)) {
            float[] X = arr(x), DY = arr(dy), DX = arr(dx);
            int xo = off(x), dyo = off(dy), dxo = off(dx);
            chunked(nL, (lo, hi) -> DoubleActivations.backward(act, X, xo + (int) lo, DY, dyo + (int) lo, DX, dxo + (int) lo, (int) (hi - lo)));
            return;
        }
        if (act != Act.RELU) {
            chunked(nL, (lo, hi) -> ScalarElementwise.activationBackward(act, hi - lo, x.plus(lo), y == null ? null : y.plus(lo), dy.plus(lo), dx.plus(lo)));
            return;
        }
        float[] X = arr(x), DY = arr(dy), DX = arr(dx);
        int xo = off(x), dyo = off(dy), dxo = off(dx);
        chunked(nL, (lo, hi) -> gateRow(DY, dyo + (int) lo, X, xo + (int) lo, (int) (hi - lo), DX, dxo + (int) lo));
    }

    private interface Range {
        void run(long lo, long hi);
    }

    /** Splits [0, n) into fixed chunks of 64K elements. */
    private void chunked(long n, Range body) {
        final int CH = 1 << 16;
        int chunks = (int) ((n + CH - 1) / CH);
        par.forEach(chunks, n, t -> body.run((long) t * CH, Math.min(n, (long) (t + 1) * CH)));
    }

    @Override
    public void planeStats(long planes, int n, Ptr x, Ptr out) {
        OpArgs.planeStats(planes, n, x, out);
        par.forEach(Math.toIntExact(planes), planes * n * 8, q -> PlaneStats.planeStats(1, n, x.plus((long) q * n), out.plus(7L * q)));
    }

    @Override
    public void planeStatsBackward(long planes, int n, Ptr x, Ptr dOut, Ptr dx) {
        OpArgs.planeStatsBackward(planes, n, x, dOut, dx);
        par.forEach(Math.toIntExact(planes), planes * n * 8, q -> PlaneStats.planeStatsBackward(1, n, x.plus((long) q * n), dOut.plus(7L * q), dx.plus((long) q * n)));
    }

    // Layer norms and attention are small (a layer's channels, a neuron set's tokens) and rare: the
    // scalar loops, split over independent slices, so results are the reference's bits.

    @Override
    public void layerNorm(NormShape s, Ptr x, Ptr gamma, Ptr beta, Ptr y) {
        long per = (long) s.a() * s.groups() * s.inner();
        NormShape one = new NormShape(1, s.a(), s.groups(), s.inner(), s.kind(), s.eps());
        OpArgs.layerNorm(s, x, gamma, beta, y);
        par.forEach(s.outer(), s.size() * 4, o -> ScalarNorm.layerNorm(one, x.plus(o * per), gamma, beta, y.plus(o * per)));
    }

    @Override
    public void layerNormBackward(NormShape s, Ptr x, Ptr gamma, Ptr dy, Ptr dx, Ptr dgamma, Ptr dbeta) {
        long per = (long) s.a() * s.groups() * s.inner();
        NormShape one = new NormShape(1, s.a(), s.groups(), s.inner(), s.kind(), s.eps());
        OpArgs.layerNormBackward(s, x, gamma, dy, dx, dgamma, dbeta);
        if (dx != null) par.forEach(s.outer(), s.size() * 6, o -> ScalarNorm.layerNormBackward(one, x.plus(o * per), gamma, dy.plus(o * per),
                dx.plus(o * per), null, null));
        // The parameter gradients sum over every (outer, group) in order: one pass, as the reference.
        if (dgamma != null || dbeta != null) ScalarNorm.layerNormBackward(s, x, gamma, dy, null, dgamma, dbeta);
    }

    @Override
    public void attention(long groups, int tokens, int dim, float scale, Ptr qkv, Ptr probs, Ptr out) {
        long tt = (long) tokens * tokens, work = tt * dim * 2;
        OpArgs.attention(groups, tokens, dim, qkv, probs, out);
        par.forEach(Math.toIntExact(groups), groups * work, g -> ScalarAttention.attention(1, tokens, dim, scale,
                qkv.plus(g * 3L * tokens * dim), probs.plus(g * tt), out.plus((long) g * tokens * dim)));
    }

    @Override
    public void attentionBackward(long groups, int tokens, int dim, float scale, Ptr qkv, Ptr probs, Ptr dOut, Ptr dqkv) {
        long tt = (long) tokens * tokens, work = tt * dim * 4;
        OpArgs.attentionBackward(groups, tokens, dim, qkv, probs, dOut, dqkv);
        par.forEach(Math.toIntExact(groups), groups * work, g -> ScalarAttention.attentionBackward(1, tokens, dim, scale,
                qkv.plus(g * 3L * tokens * dim), probs.plus(g * tt), dOut.plus((long) g * tokens * dim), dqkv.plus(g * 3L * tokens * dim)));
    }

    // SIRENs: one task per SIREN (SirenKernel), so a SIREN's results do not depend on the threads or its batch.

    @Override
    public void siren(SirenShape s, Ptr weights, Ptr coords, Ptr out) {
        OpArgs.siren(s, weights, coords, out);
        float[] W = arr(weights), X = arr(coords), O = arr(out);
        long work = (long) s.points() * s.hidden() * (s.hidden() + s.in() + s.out());
        par.forEach(s.batch(), s.batch() * work, b -> SirenKernel.run(s, b, W, off(weights), X, off(coords), O,
                off(out) + b * s.points() * s.out(), null, 0, null, 0, null, 0));
    }

    @Override
    public void sirenBackward(SirenShape s, Ptr weights, Ptr coords, Ptr dOut, Ptr target, Ptr dWeights, Ptr loss) {
        OpArgs.sirenBackward(s, weights, coords, dOut, target, dWeights, loss);
        float[] W = arr(weights), X = arr(coords), D = arr(dWeights), G = dOut == null ? null : arr(dOut), T = target == null ? null : arr(target);
        float[] L = loss == null ? null : arr(loss);
        int per = s.points() * s.out();
        long work = 3L * s.points() * s.hidden() * (s.hidden() + s.in() + s.out());
        par.forEach(s.batch(), s.batch() * work, b -> {
            double mse = SirenKernel.run(s, b, W, off(weights), X, off(coords), null, 0, G, G == null ? 0 : off(dOut) + b * per,
                    T, T == null ? 0 : off(target) + b * per, D, off(dWeights));
            if (L != null) L[off(loss) + b] = (float) mse;
        });
    }

    @Override
    public void adamStep(long n, Ptr param, Ptr grad, Ptr m, Ptr v, AdamConfig cfg, long step) {
        // One float32 pass, a whole vector at a time: the reference's operations in its order (fused
        // multiply-adds exactly where it has them), so bit-identical to it and to torch.optim.
        OpArgs.adamStep(n, param, grad, m, v);
        AdamScalars k = AdamScalars.of(cfg, step);
        float[] P = arr(param), G = arr(grad), M = arr(m), W = arr(v);
        int po = off(param), go = off(grad), mo = off(m), vo = off(v);
        float b1 = k.beta1(), b2 = k.beta2(), oneMinusB2 = k.oneMinusBeta2(), decay = k.decay();
        float negStep = k.negStep(), bc2Sqrt = k.bc2Sqrt(), eps = k.eps();
        boolean decays = decay != 1f, addsL2 = k.l2() != 0f;
        // fma takes a vector for its multiplier
        FloatVector l2 = FloatVector.broadcast(S, k.l2()), oneMinusB1 = FloatVector.broadcast(S, k.oneMinusBeta1());
        chunked(n, (lo, hi) -> {
            int i = (int) lo;
            for (; i + V <= hi; i += V) {
                FloatVector p = FloatVector.fromArray(S, P, po + i), g = FloatVector.fromArray(S, G, go + i);
                if (decays) p = p.mul(decay);
                if (addsL2) g = p.fma(l2, g);
                FloatVector mi = g.fma(oneMinusB1, FloatVector.fromArray(S, M, mo + i).mul(b1));
                FloatVector vi = g.mul(oneMinusB2).fma(g, FloatVector.fromArray(S, W, vo + i).mul(b2));
                mi.intoArray(M, mo + i);
                vi.intoArray(W, vo + i);
                p.add(mi.mul(negStep).div(vi.sqrt().div(bc2Sqrt).add(eps))).intoArray(P, po + i);
            }
            if (i < hi) ScalarElementwise.adamStep(hi - i, param.plus(i), grad.plus(i), m.plus(i), v.plus(i), cfg, step);
        });
    }
}
