package dev.nfn4j.ops.simd;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Buf;
import dev.nfn4j.ops.MixGrads;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Parallel;
import dev.nfn4j.ops.PlanePools;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.reference.HostBuf;
import dev.nfn4j.ops.reference.ReferenceOps;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

import static dev.nfn4j.ops.reference.ReferenceOps.need;

/**
 * The CPU backend on the Java Vector API: register-blocked channel mixes vectorized along the
 * plane, one-pass pools, multithreaded over a fixed task partition (bit-identical results for
 * any thread count). The only package that imports {@code jdk.incubator.vector}. Rare, cheap
 * ops (plane statistics, broadcasting copies that sum) delegate to the scalar reference.
 */
public final class SimdOps implements Ops {
    /**
     * Plane positions per task of the channel mix: at most P_TILE, and fewer for wide inputs so
     * the packed X tile (cin x positions) stays within P_TILE_FLOATS (128 KB, a quarter of L2).
     */
    static final int P_TILE = 1024, P_TILE_FLOATS = 1 << 15;
    /** Planes of at least this many positions reduce dA in per-tile partials; smaller ones by output row. */
    static final int DA_TILE = 4096;
    /** Planes of at least this many positions reduce dA row against row, in chunks of DA_ROWS_TILE positions. */
    static final int DA_ROWS_MIN_PLANE = 16384, DA_ROWS_TILE = 16384;
    /** Inputs whose transposed copy (all positions x channels) is at most this many floats take one GEMM over all positions. */
    static final int SHORT_PLANES_XT_FLOATS = 1 << 20;
    /** Rows of da per task of the short-plane weight gradient (a multiple of 4: whole register blocks). */
    static final int WG_ROWS = 16;
    /** copy4d splits contiguous runs of at least twice this many floats into pieces of it (one task each). */
    static final int COPY_PIECE = 1 << 16;
    /** Stripes per plane when a mix also takes its output's means (see OutputPools): parallelism for small batches, bounded partial sums. */
    static final int POOL_STRIPES = 16;
    /**
     * Planes of at least this many positions take a mix's output pools as its tiles are written;
     * smaller ones pool y after the mix, while it is still in cache: a lab (2 threads, medians,
     * 2026-11-27) had the in-mix pools slower there (the zoo's 8x9->144 at 16x16: 384 vs 250 us;
     * 32->32 at 64x64 even to 1.2x slower) and faster only from about 181x181 (10.8-11.5 vs
     * 12.0-13.6 ms) and 256x256.
     */
    static final int POOLED_MIX_MIN_PLANE = 1 << 15;

    /**
     * The species must be a static final constant: C2 only intrinsifies vector ops whose species it
     * can see as constant (an instance field made every vector a heap object, ~100x slower). So
     * the width is fixed per JVM by {@code -Dnfn4j.vectorBits} (128, 256, 512; default preferred).
     */
    private static final VectorSpecies<Float> S = species(System.getProperty("nfn4j.vectorBits", "").trim());
    private static final int V = S.length();

    private final Parallel par;
    private final ReferenceOps scalar = new ReferenceOps();
    /** Per-thread scratch arrays, grown on demand and kept: packed X tiles, packed A blocks, epilogue tiles, output-pool partial sums. */
    private final ThreadLocal<float[][]> scratch = ThreadLocal.withInitial(() -> new float[7][0]);
    /**
     * Tasks use the X, A and E slots of the thread they run on (also the calling thread's, when it
     * runs tasks itself), except a mix's packed A, which the caller packs into its A slot before
     * its tasks start and which they only read; the others hold the calling thread's results
     * while its tasks run (output-pool and weight-gradient partial sums).
     */
    private static final int X_SLOT = 0, A_SLOT = 1, E_SLOT = 2, POOL_ROW_SLOT = 3, POOL_COL_SLOT = 4, POOL_ALL_SLOT = 5, WG_PART_SLOT = 6;

    /** This thread's scratch array {@code slot} with at least n floats. */
    private float[] scratch(int slot, int n) {
        float[][] s = scratch.get();
        if (s[slot].length < n) s[slot] = new float[n];
        return s[slot];
    }

    public SimdOps(int threads) {
        this.par = new Parallel(threads);
    }

    /**
     * The GEMM's register blocks with nothing around them (no epilogue, activation or pools; sums
     * stored, not added): the weight gradient's kernels, which bring their own operands.
     */
    private final Gemm sums = new Gemm(0, 0, 0, 0, null, 0, null, 0, 0, 0, null, 0, false);

    /** With {@code -Dnfn4j.threads} threads (default: available processors). */
    public static SimdOps fromSystemProperties() {
        return new SimdOps(Parallel.configuredThreads());
    }

    private static VectorSpecies<Float> species(String bits) {
        try {
            return species(bits.isEmpty() ? 0 : Integer.parseInt(bits));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-Dnfn4j.vectorBits must be 128, 256 or 512, got '" + bits + "'");
        }
    }

    static VectorSpecies<Float> species(int bits) {
        return switch (bits) {
            case 0 -> FloatVector.SPECIES_PREFERRED;
            case 128 -> FloatVector.SPECIES_128;
            case 256 -> FloatVector.SPECIES_256;
            case 512 -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException("-Dnfn4j.vectorBits must be 128, 256 or 512, got " + bits);
        };
    }

    @Override
    public String name() {
        return "simd";
    }

    @Override
    public String describe() {
        return "simd (" + S.vectorBitSize() + "-bit vectors, " + V + " floats; " + par.threads() + " threads)";
    }

    public int threads() {
        return par.threads();
    }

    public int vectorBits() {
        return S.vectorBitSize();
    }

    @Override
    public Buf alloc(long n) {
        return new HostBuf(n);
    }

    private static float[] arr(Ptr p) {
        return HostBuf.array(p);
    }

    private static int off(Ptr p) {
        return (int) p.offset();
    }

    @Override
    public void upload(float[] src, int srcOff, Ptr dst, int n) {
        scalar.upload(src, srcOff, dst, n);
    }

    @Override
    public void download(Ptr src, float[] dst, int dstOff, int n) {
        scalar.download(src, dst, dstOff, n);
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

    @Override
    public void channelMix(MixShape s, Ptr x, Ptr a, Ptr bias, Ptr row, Ptr col, Ptr glob, Ptr y) {
        channelMix(s, x, a, bias, row, col, glob, Act.IDENTITY, y);
    }

    /** ReLU is applied in the GEMM's stores (as {@link #activation} computes it); other activations run as a second op. */
    @Override
    public void channelMix(MixShape s, Ptr x, Ptr a, Ptr bias, Ptr row, Ptr col, Ptr glob, Act act, Ptr y) {
        if (act != Act.IDENTITY && act != Act.RELU) {
            Ops.super.channelMix(s, x, a, bias, row, col, glob, act, y);
            return;
        }
        mixGemm(s, x, a, bias, row, col, glob, act, y).run();
    }

    /**
     * The mix with the plane means of its output taken as the GEMM writes it: each task sums the
     * tiles of y it has just stored (still in L2) into partial sums, added afterwards in a fixed
     * order ({@link OutputPools}). Linear layers' one-position planes, and activations the GEMM
     * does not apply, take the composed path (the mix, then planeReduce).
     */
    @Override
    public void channelMix(MixShape s, Ptr x, Ptr a, Ptr bias, Ptr row, Ptr col, Ptr glob, Act act, Ptr y, PlanePools pools) {
        if (pools == null || s.plane() < POOLED_MIX_MIN_PLANE || (act != Act.IDENTITY && act != Act.RELU)) {
            Ops.super.channelMix(s, x, a, bias, row, col, glob, act, y, pools); // the mix, then planeReduce of y
            return;
        }
        long planes = (long) s.batch() * s.cout();
        need(pools.rowMean(), planes * s.cols(), "channelMix pools rowMean");
        need(pools.colMean(), planes * s.rows(), "channelMix pools colMean");
        need(pools.allMean(), planes, "channelMix pools allMean");
        Gemm g = mixGemm(s, x, a, bias, row, col, glob, act, y);
        g.pools = new OutputPools(s, arr(y), off(y), pools);
        g.run();
    }

    /** The forward GEMM of {@link #channelMix}, checked and set up. */
    private Gemm mixGemm(MixShape s, Ptr x, Ptr a, Ptr bias, Ptr row, Ptr col, Ptr glob, Act act, Ptr y) {
        int B = s.batch(), cin = s.cin(), cout = s.cout(), rows = s.rows(), cols = s.cols();
        int plane = Math.toIntExact(s.plane());
        need(x, (long) B * cin * plane, "channelMix x");
        need(a, (long) cout * cin, "channelMix a");
        need(y, (long) B * cout * plane, "channelMix y");
        need(bias, cout, "channelMix bias");
        need(row, (long) B * cout * cols, "channelMix row");
        need(col, (long) B * cout * rows, "channelMix col");
        need(glob, (long) B * cout, "channelMix glob");
        Gemm g = new Gemm(B, cin, cout, plane, arr(x), off(x), arr(a), off(a), cin, 1, arr(y), off(y), false).terms(cols, bias, row, col, glob);
        g.relu = act == Act.RELU;
        return g;
    }

    @Override
    public void channelMixBackward(MixShape s, Ptr x, Ptr a, Ptr dy, Ptr dx, Ptr da, Ptr dbias) {
        channelMixBackward(s, x, a, dy, dx, false, da, dbias);
    }

    /** dx overwritten: the same GEMM storing its results instead of adding them to dx. */
    @Override
    public void channelMixBackward(MixShape s, Ptr x, Ptr a, Ptr dy, Ptr dx, boolean overwriteDx, Ptr da, Ptr dbias) {
        int B = s.batch(), cin = s.cin(), cout = s.cout();
        int plane = Math.toIntExact(s.plane());
        need(x, (long) B * cin * plane, "channelMixBackward x");
        need(dy, (long) B * cout * plane, "channelMixBackward dy");
        need(dx, (long) B * cin * plane, "channelMixBackward dx");
        need(da, (long) cout * cin, "channelMixBackward da");
        need(dbias, cout, "channelMixBackward dbias");
        if (dx != null && plane == 1)
            // dx[b][c] += sum_o dy[b][o] a[o][c] (a Linear layer): one plane of cin positions, a's rows as
            // its channels and the samples as output rows, so the tiled GEMM runs it with a's rows in
            // register blocks (a row of a vector-added into each sample in turn reached 16 GFLOP/s).
            new Gemm(1, cout, B, cin, arr(a), off(a), arr(dy), off(dy), cout, 1, arr(dx), off(dx), !overwriteDx).run();
        else if (dx != null) dxGemm(s, a, dy, dx, !overwriteDx).run();
        if (da != null || dbias != null) weightGrad(B, cin, cout, plane, arr(x), off(x), arr(dy), off(dy), da, dbias);
    }

    /**
     * The input gradient with the pooling's adjoint as the GEMM's epilogue: the broadcast terms,
     * scaled, are where each block's sums start (as the forward's row, column and global terms),
     * and relu' is applied to dy as the GEMM packs its tiles, so dx is written once and g is never
     * stored. One-position planes run the default.
     */
    @Override
    public void channelMixInputGrad(MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, Ptr dx,
                                    Ptr row, float sRow, Ptr col, float sCol, Ptr all, float sAll) {
        Ops.checkBackwardThrough(s, act);
        if (s.plane() == 1) {
            Ops.super.channelMixInputGrad(s, x, a, act, y, dy, dx, row, sRow, col, sCol, all, sAll);
            return;
        }
        int B = s.batch(), cin = s.cin(), cout = s.cout(), rows = s.rows(), cols = s.cols();
        int plane = Math.toIntExact(s.plane());
        need(a, (long) cout * cin, "channelMixInputGrad a");
        need(dy, (long) B * cout * plane, "channelMixInputGrad dy");
        if (act == Act.RELU) need(y, (long) B * cout * plane, "channelMixInputGrad y");
        need(dx, (long) B * cin * plane, "channelMixInputGrad dx");
        need(row, (long) B * cin * cols, "channelMixInputGrad row");
        need(col, (long) B * cin * rows, "channelMixInputGrad col");
        need(all, (long) B * cin, "channelMixInputGrad all");
        // the pools' gradients as the GEMM's row, column and global terms
        Gemm g = dxGemm(s, a, dy, dx, false).terms(cols, null, row, col, all);
        g.rowScale = sRow;
        g.colScale = sCol;
        g.globScale = sAll;
        if (act == Act.RELU) {
            g.gate = arr(y);
            g.gateOff = off(y);
        }
        g.run();
    }

    /** dx[b][c][p] (+)= sum_o a[o][c] dy[b][o][p]: the forward GEMM with a transposed (planes of more than one position). */
    private Gemm dxGemm(MixShape s, Ptr a, Ptr dy, Ptr dx, boolean accumulate) {
        return new Gemm(s.batch(), s.cout(), s.cin(), Math.toIntExact(s.plane()), arr(dy), off(dy), arr(a), off(a), 1, s.cin(), arr(dx), off(dx),
                accumulate);
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

    /**
     * The fused backward as its ops in turn (act' into a reused buffer, the plane sums, the GEMMs),
     * dbias taken from the term gradients' plane sums rather than in a pass of its own
     * ({@link Ops#composedMixBackwardBiasFromPools}). Two passes over dy instead (the pools and
     * act' taken in the weight gradient's pass, act' applied as the dx GEMM packs its tiles; branch
     * {@code experiment/simd-two-pass-backward}) were bit-identical but not faster here (sixth
     * session, BENCHMARKS.md): the NF-Layers' dy is cache-resident at the zoo's sizes, and act'
     * was then applied three times instead of once.
     */
    @Override
    public void channelMixBackward(MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, MixGrads grads) {
        Ptr g = act == Act.IDENTITY ? null : backwardBuf(0, (long) s.batch() * s.cout() * s.plane());
        Ops.composedMixBackwardBiasFromPools(this, s, x, a, act, y, dy, grads, g, backwardBuf(1, (long) s.batch() * s.cout()));
    }

    /**
     * y[b][o][p] (+)= sum_c a[o*ars + c*acs] x[b][c][p] + bias[o] + glob[b][o]. Tasks are (b, plane
     * tile) pairs covering all output channels, so an X tile is read from memory once.
     */
    private final class Gemm {
        final int B, cin, cout, plane, xo, ao, ars, acs, yo;
        final float[] X, A, Y;
        final boolean accumulate;
        /** ReLU on every stored output (after the accumulation, if any). */
        boolean relu;
        /**
         * A ReLU's output laid out as X ({@code gate[gateOff + i]} for {@code X[xo + i]}), or null: X is
         * then read as X * relu'(gate), zero where gate <= 0 (an input gradient through a ReLU, applied
         * as the tiles are packed). Planes of more than one position only.
         */
        float[] gate;
        int gateOff;
        /** Factors of the row, column and global terms (the adjoint of a pooling's means: 1/cols, 1/rows, 1/plane). */
        float rowScale = 1f, colScale = 1f, globScale = 1f;
        float[] bias, glob;
        int biasOff, globOff;
        /** The broadcast epilogue's row and column terms ({@link #rowCol}); null when absent. */
        private float[] row, col;
        private int rowOff, colOff, cols;
        /** A's rows in blocks of four, interleaved: {@code packedA[(o/4)*cin*4 + c*4 + q] = a[o+q][c]}. */
        private float[] packedA;
        /** The plane means of y to take as it is written; null: none. */
        OutputPools pools;

        Gemm(int B, int cin, int cout, int plane, float[] X, int xo, float[] A, int ao, int ars, int acs, float[] Y, int yo, boolean accumulate) {
            this.B = B;
            this.cin = cin;
            this.cout = cout;
            this.plane = plane;
            this.X = X;
            this.xo = xo;
            this.A = A;
            this.ao = ao;
            this.ars = ars;
            this.acs = acs;
            this.Y = Y;
            this.yo = yo;
            this.accumulate = accumulate;
        }

        /** bias + glob of output (b, o); with a one-position plane also its row and column terms. */
        float constant(int b, int o) {
            float k = (bias == null ? 0f : bias[biasOff + o]) + (glob == null ? 0f : glob[globOff + b * cout + o] * globScale);
            if (plane == 1)
                k += (row == null ? 0f : row[rowOff + b * cout + o] * rowScale) + (col == null ? 0f : col[colOff + b * cout + o] * colScale);
            return k;
        }

        /**
         * The broadcast epilogue: bias[o] + glob[b][o] + row[b][o][k] + col[b][o][j] at plane position
         * j*cols + k (any may be null).
         */
        Gemm terms(int cols, Ptr bias, Ptr row, Ptr col, Ptr glob) {
            this.cols = cols;
            this.bias = bias == null ? null : arr(bias);
            this.biasOff = bias == null ? 0 : off(bias);
            this.glob = glob == null ? null : arr(glob);
            this.globOff = glob == null ? 0 : off(glob);
            this.row = row == null ? null : arr(row);
            this.rowOff = row == null ? 0 : off(row);
            this.col = col == null ? null : arr(col);
            this.colOff = col == null ? 0 : off(col);
            return this;
        }

        /**
         * The epilogue of output channels o..o+n-1 over plane positions [p0, p0+len) of sample b
         * into E[q*eRow(len) + i]: the constant plus the row and column terms. The GEMM starts its
         * accumulators from it, so y is written once (a separate pass over y cost two more trips
         * to memory).
         */
        private void fillEpilogue(int b, int o, int n, int p0, int len, float[] E) {
            for (int q = 0; q < n; q++) {
                float k0 = constant(b, o + q);
                if (row == null && col == null) {
                    Arrays.fill(E, q * eRow(len), q * eRow(len) + len, k0);
                    continue;
                }
                int eo = q * eRow(len), ro = rowOff + (b * cout + o + q) * cols, co = colOff + (b * cout + o + q) * (plane / cols);
                for (int i = 0; i < len; ) { // one segment per plane row j
                    int pos = p0 + i, j = pos / cols, k = pos - j * cols, seg = Math.min(len - i, cols - k);
                    float cj = k0 + (col == null ? 0f : col[co + j] * colScale);
                    int e = eo + i, r = ro + k, t = 0;
                    if (row != null) { // x * 1f is x: the forward's terms are not scaled
                        FloatVector cv = FloatVector.broadcast(S, cj);
                        for (int tb = S.loopBound(seg); t < tb; t += V)
                            FloatVector.fromArray(S, row, r + t).mul(rowScale).add(cv).intoArray(E, e + t);
                        for (; t < seg; t++) E[e + t] = row[r + t] * rowScale + cj;
                    } else {
                        Arrays.fill(E, e, e + seg, cj);
                    }
                    i += seg;
                }
            }
        }

        void run() {
            if (plane == 1) {
                runDots();
                return;
            }
            // The calling thread's slot: the tile tasks below only read it and use X and E slots of their own.
            packedA = scratch(A_SLOT, (cout / 4) * 4 * cin);
            packBlocks(A, ao, ars, acs, cout / 4 * 4, cin, packedA);
            int pt = Math.min(P_TILE, Math.max(64, P_TILE_FLOATS / cin / 16 * 16)), tiles = (plane + pt - 1) / pt;
            if (pools == null) {
                par.forEach(B * tiles, (long) B * plane * cin * cout, t -> tile(t / tiles, (t % tiles) * pt, Math.min(plane, (t % tiles + 1) * pt), -1));
                return;
            }
            // Tasks are (sample, stripe): a stripe is a run of consecutive tiles that one task writes
            // and pools in order, so the partial sums number B * stripes, whatever the thread count.
            int per = (tiles + POOL_STRIPES - 1) / POOL_STRIPES, stripes = (tiles + per - 1) / per;
            pools.begin(stripes, per * pt);
            par.forEach(B * stripes, (long) B * plane * cin * cout, t -> {
                int b = t / stripes, st = t % stripes;
                pools.clear(b, st);
                for (int i = st * per, ie = Math.min(tiles, i + per); i < ie; i++) {
                    int p0 = i * pt, p1 = Math.min(plane, p0 + pt);
                    tile(b, p0, p1, st);
                }
            });
            pools.finish();
        }

        /**
         * One (sample, plane tile): the tile of X is first packed into a per-thread buffer in
         * panels, one per group of 2V positions: {@code P[g*cin*2V + c*2V + i]} holds
         * x[b][c][p0 + g*2V + i], and the last, partial group ({@code tw < 2V} positions) follows as
         * {@code P[full*cin*2V + c*tw + i]}. A register block then reads its X values as one
         * contiguous 2 KB run instead of one cache line from each of cin rows: with rows, every
         * step of the contraction missed L1 (the 128 KB tile lives in L2) and the kernel ran at
         * half the rate it reaches on L1-resident data (lab, 2026-11-27, one thread, 32 channels,
         * 1,008 positions: 31-39 GFLOP/s with rows, 46-87 with panels). The copy is reused by every
         * output block. Each block of four output rows starts from a per-thread epilogue tile E:
         * the constants and row/column terms, or zeros when accumulating. With {@link #pools}, each
         * block's rows are pooled into stripe {@code st}'s partial sums right after they are stored,
         * while they are in L1: y's rows lie a plane apart, so the rows of a whole tile share L2 sets
         * and do not stay there (pooling the tile after all its blocks cost more than the separate
         * planeReduce it replaced, 2026-11-27).
         */
        private void tile(int b, int p0, int p1, int st) {
            int len = p1 - p0, full = len / (2 * V), tw = len - full * 2 * V, gs = cin * 2 * V;
            float[] P = scratch(X_SLOT, cin * len);
            for (int c = 0; c < cin; c++) {
                int src = xo + (b * cin + c) * plane + p0;
                if (gate != null) { // the same panels of X * relu'(gate)
                    int gsrc = gateOff + (b * cin + c) * plane + p0;
                    for (int g = 0, d = c * 2 * V; g < full; g++, src += 2 * V, gsrc += 2 * V, d += gs) gateRow(X, src, gate, gsrc, 2 * V, P, d);
                    gateRow(X, src, gate, gsrc, tw, P, full * gs + c * tw);
                    continue;
                }
                for (int g = 0, d = c * 2 * V; g < full; g++, src += 2 * V, d += gs) {
                    FloatVector.fromArray(S, X, src).intoArray(P, d);
                    FloatVector.fromArray(S, X, src + V).intoArray(P, d + V);
                }
                System.arraycopy(X, src, P, full * gs + c * tw, tw);
            }
            float[] E = scratch(E_SLOT, 4 * eRow(len));
            if (accumulate) Arrays.fill(E, 0, 4 * eRow(len), 0f); // accumulated GEMMs have no epilogue
            // The block starts from the epilogue and stores straight to y, so y's write misses drain
            // while the next block computes. (Computing in E and copying out was measured slower,
            // 2026-11-27: 2 threads, the 256x256 mix 29-36 vs 22-24 ms median; the copy's stores had
            // nothing to overlap with.)
            for (int o = 0; o < cout; o += 4) {
                int n = Math.min(4, cout - o), y0 = yo + (b * cout + o) * plane + p0;
                if (!accumulate) fillEpilogue(b, o, n, p0, len, E);
                if (n == 4) block4(P, 0, 2 * V, gs, tw, len, cin, packedA, o * cin, E, Y, y0, plane);
                else
                    for (int q = 0; q < n; q++) {
                        int eo = q * eRow(len), yq = y0 + q * plane, wi = ao + (o + q) * ars;
                        for (int g = 0; g < full; g++)
                            rest(P, g * gs, 2 * V, g * 2 * V, (g + 1) * 2 * V, cin, E, eo, Y, yq, A, wi, acs);
                        rest(P, full * gs, tw, full * 2 * V, len, cin, E, eo, Y, yq, A, wi, acs);
                    }
                // Pooled one block late: by then the write misses of the block's stores have completed.
                if (st >= 0 && o > 0) pools.take(b, st, p0, p1, o - 4, 4);
            }
            if (st >= 0) {
                int last = (cout - 1) / 4 * 4;
                pools.take(b, st, p0, p1, last, cout - last);
            }
        }

        /**
         * Four output channels o..o+3, two vectors of positions at a time: 8 accumulators, each
         * summing k products. P holds the packed X tile from offset pb: the value for contraction
         * index c and position p of group g = p / 2V is {@code P[pb + g*gs + c*cs + p % 2V]}, and
         * positions past the last full group are {@code P[pb + full*gs + c*tailCs + (p - full*2V)]}
         * (panels: cs = 2V, gs = k*2V, tailCs = the tail's width; rows of stride ld: cs = ld,
         * gs = 2V, tailCs = ld). AP[ai + c*4 + q] holds a[o+q][c]
         * (rows interleaved, so the four broadcasts of a step read one 16-byte run: 1.5-2x faster
         * than strided loads from a, measured in a lab on cache-resident data). The accumulators
         * start at {@code E[q*eRow(len) + i]}, or, with E null, at the outputs themselves (a sum
         * continued over several calls, one per block of the contraction); results go to
         * {@code out[outBase + q*outStride + i]}, added to what is there when this GEMM accumulates.
         * out may be E itself (row stride eRow(len)).
         */
        private void block4(float[] P, int pb, int cs, int gs, int tailCs, int len, int k, float[] AP, int ai, float[] E, float[] out,
                            int outBase, int outStride) {
            int y0 = outBase, y1 = y0 + outStride, y2 = y1 + outStride, y3 = y2 + outStride;
            // Where the accumulators start: the chosen array is fixed for the whole call.
            float[] st = E == null ? out : E;
            int e0 = E == null ? outBase : 0, e1 = e0 + (E == null ? outStride : eRow(len)), e2 = 2 * e1 - e0, e3 = 3 * e1 - 2 * e0;
            int p = 0, xb = pb;
            for (; p + 2 * V <= len; p += 2 * V, xb += gs) {
                // Always loaded, never a choice between zero and E: C2 compiled a merge of the two
                // into code half as fast (measured, 2026-11-27).
                FloatVector s00 = FloatVector.fromArray(S, st, e0 + p), s01 = FloatVector.fromArray(S, st, e0 + p + V);
                FloatVector s10 = FloatVector.fromArray(S, st, e1 + p), s11 = FloatVector.fromArray(S, st, e1 + p + V);
                FloatVector s20 = FloatVector.fromArray(S, st, e2 + p), s21 = FloatVector.fromArray(S, st, e2 + p + V);
                FloatVector s30 = FloatVector.fromArray(S, st, e3 + p), s31 = FloatVector.fromArray(S, st, e3 + p + V);
                for (int c = 0, xi = xb, a = ai; c < k; c++, xi += cs, a += 4) {
                    FloatVector x0 = FloatVector.fromArray(S, P, xi), x1 = FloatVector.fromArray(S, P, xi + V);
                    FloatVector w0 = FloatVector.broadcast(S, AP[a]), w1 = FloatVector.broadcast(S, AP[a + 1]);
                    FloatVector w2 = FloatVector.broadcast(S, AP[a + 2]), w3 = FloatVector.broadcast(S, AP[a + 3]);
                    s00 = x0.fma(w0, s00);
                    s01 = x1.fma(w0, s01);
                    s10 = x0.fma(w1, s10);
                    s11 = x1.fma(w1, s11);
                    s20 = x0.fma(w2, s20);
                    s21 = x1.fma(w2, s21);
                    s30 = x0.fma(w3, s30);
                    s31 = x1.fma(w3, s31);
                }
                store(s00, out, y0 + p);
                store(s01, out, y0 + p + V);
                store(s10, out, y1 + p);
                store(s11, out, y1 + p + V);
                store(s20, out, y2 + p);
                store(s21, out, y2 + p + V);
                store(s30, out, y3 + p);
                store(s31, out, y3 + p + V);
            }
            for (int q = 0; q < 4; q++)
                rest(P, xb, tailCs, p, len, k, st, e0 + q * (e1 - e0), out, y0 + q * outStride, AP, ai + q, 4);
        }

        /**
         * One output channel over positions [p, len), as block4 does it for four: vectors, then a
         * scalar tail, each summing k products. Position i's value for contraction index c is
         * {@code P[xb + (i - p) + c*cs]}. Its weights are {@code W[wi + c*ws]}: a row of a
         * (ws = acs) or of a packed block (ws = 4). The sums start at {@code E[eo + i]} (E may be out).
         */
        private void rest(float[] P, int xb, int cs, int p, int len, int k, float[] E, int eo, float[] out, int outOff, float[] W, int wi,
                          int ws) {
            for (; p + V <= len; p += V, xb += V) {
                FloatVector s0 = FloatVector.fromArray(S, E, eo + p);
                for (int c = 0, xi = xb; c < k; c++, xi += cs)
                    s0 = FloatVector.fromArray(S, P, xi).fma(FloatVector.broadcast(S, W[wi + c * ws]), s0);
                store(s0, out, outOff + p);
            }
            for (; p < len; p++, xb++) {
                float acc = E[eo + p];
                for (int c = 0, xi = xb; c < k; c++, xi += cs) acc = Math.fma(P[xi], W[wi + c * ws], acc);
                out[outOff + p] = finish(acc, out, outOff + p);
            }
        }

        private void store(FloatVector v, float[] out, int at) {
            if (accumulate) v = v.add(FloatVector.fromArray(S, out, at));
            if (relu) v = v.max(0f);
            v.intoArray(out, at);
        }

        /** The scalar store: accumulated if asked, then the ReLU if asked. */
        private float finish(float acc, float[] out, int at) {
            float v = accumulate ? out[at] + acc : acc;
            return relu ? Math.max(v, 0f) : v;
        }

        /** plane == 1 (Linear layers): y[b][o] = dot(a row o, x[b]); tasks over output-channel blocks. */
        private void runDots() {
            final int OB = 16;
            int blocks = (cout + OB - 1) / OB;
            par.forEach(blocks, (long) B * cin * cout, t -> {
                int o = t * OB, oe = Math.min(cout, o + OB);
                if (acs == 1)
                    for (; o + 2 <= oe; o += 2) {
                        int b = 0;
                        for (; b + 4 <= B; b += 4) dots2x4(o, b);
                        for (; b < B; b++) {
                            dotInto(o, b);
                            dotInto(o + 1, b);
                        }
                    }
                for (; o < oe; o++)
                    for (int b = 0; b < B; b++) dotInto(o, b);
            });
        }

        private void dotInto(int o, int b) {
            finishDot(o, b, dot(ao + o * ars, acs, xo + b * cin, cin));
        }

        private void finishDot(int o, int b, float dot) {
            float acc = dot + constant(b, o);
            int yi = yo + b * cout + o;
            Y[yi] = finish(acc, Y, yi);
        }

        /**
         * Rows o, o+1 of a (contiguous) against samples b..b+3: eight independent accumulator
         * chains instead of one, so the FMA latency is hidden (the head's 1000x1000 Linear ran at
         * 9 GFLOP/s on single dot products). Each result adds in the same order as {@link #dot}.
         */
        private void dots2x4(int o, int b) {
            int a0 = ao + o * ars, a1 = a0 + ars, x0 = xo + b * cin, x1 = x0 + cin, x2 = x1 + cin, x3 = x2 + cin;
            FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
            int c = 0;
            for (int cb = S.loopBound(cin); c < cb; c += V) {
                FloatVector w0 = FloatVector.fromArray(S, A, a0 + c), w1 = FloatVector.fromArray(S, A, a1 + c);
                FloatVector x = FloatVector.fromArray(S, X, x0 + c);
                s00 = w0.fma(x, s00);
                s10 = w1.fma(x, s10);
                x = FloatVector.fromArray(S, X, x1 + c);
                s01 = w0.fma(x, s01);
                s11 = w1.fma(x, s11);
                x = FloatVector.fromArray(S, X, x2 + c);
                s02 = w0.fma(x, s02);
                s12 = w1.fma(x, s12);
                x = FloatVector.fromArray(S, X, x3 + c);
                s03 = w0.fma(x, s03);
                s13 = w1.fma(x, s13);
            }
            finishDot(o, b, dotTail(a0, x0, c, sumLanes(s00)));
            finishDot(o, b + 1, dotTail(a0, x1, c, sumLanes(s01)));
            finishDot(o, b + 2, dotTail(a0, x2, c, sumLanes(s02)));
            finishDot(o, b + 3, dotTail(a0, x3, c, sumLanes(s03)));
            finishDot(o + 1, b, dotTail(a1, x0, c, sumLanes(s10)));
            finishDot(o + 1, b + 1, dotTail(a1, x1, c, sumLanes(s11)));
            finishDot(o + 1, b + 2, dotTail(a1, x2, c, sumLanes(s12)));
            finishDot(o + 1, b + 3, dotTail(a1, x3, c, sumLanes(s13)));
        }

        /** acc plus the scalar tail sum_{c0 <= c < cin} A[ai + c] X[xi + c], in order. */
        private float dotTail(int ai, int xi, int c0, float acc) {
            for (int c = c0; c < cin; c++) acc = Math.fma(A[ai + c], X[xi + c], acc);
            return acc;
        }

        /** sum_c A[ai + c*as] X[xi + c]: vectorized when A's row is contiguous. */
        private float dot(int ai, int as, int xi, int n) {
            int c = 0;
            float acc = 0;
            if (as == 1) {
                FloatVector s0 = FloatVector.zero(S);
                for (int cb = S.loopBound(n); c < cb; c += V)
                    s0 = FloatVector.fromArray(S, A, ai + c).fma(FloatVector.fromArray(S, X, xi + c), s0);
                acc = sumLanes(s0);
            }
            for (; c < n; c++) acc = Math.fma(A[ai + c * as], X[xi + c], acc);
            return acc;
        }
    }

    /**
     * The plane means of a mix's output y {@code [B][cout][rows][cols]}, summed as the GEMM writes
     * it. The plane's positions are cut into stripes of {@code span} (whole tiles); the task
     * writing stripe st of sample b adds each block of rows it has stored into that stripe's partial sums:
     * per plane, the column sums over the stripe's rows {@code [cols]}, the sums of the row
     * segments in the stripe {@code [rows it touches]}, and the total. {@link #finish} adds the
     * stripes in order and scales. (Partials per tile instead of per stripe would make the column
     * sums of a 1024 x 1024 plane as large as y.)
     */
    private final class OutputPools {
        private final int B, cout, rows, cols, plane, yo, ro, co, ao;
        private final float[] Y, R, C, A;
        private int stripes, span, colRows;
        private float[] rowPart, colPart, allPart;

        OutputPools(MixShape s, float[] Y, int yo, PlanePools out) {
            this.B = s.batch();
            this.cout = s.cout();
            this.rows = s.rows();
            this.cols = s.cols();
            this.plane = Math.toIntExact(s.plane());
            this.Y = Y;
            this.yo = yo;
            R = out.rowMean() == null ? null : arr(out.rowMean());
            C = out.colMean() == null ? null : arr(out.colMean());
            A = out.allMean() == null ? null : arr(out.allMean());
            ro = R == null ? 0 : off(out.rowMean());
            co = C == null ? 0 : off(out.colMean());
            ao = A == null ? 0 : off(out.allMean());
        }

        /** Sizes the partial sums (the calling thread's buffers, grown, never shrunk) for stripes of span positions. */
        void begin(int stripes, int span) {
            this.stripes = stripes;
            this.span = span;
            colRows = Math.min(rows, (span - 1) / cols + 2);
            int parts = B * stripes * cout;
            rowPart = scratch(POOL_ROW_SLOT, parts * cols);
            colPart = scratch(POOL_COL_SLOT, parts * colRows);
            allPart = scratch(POOL_ALL_SLOT, parts);
        }

        /** Zeroes stripe st of sample b's partial sums (the task's own). */
        void clear(int b, int st) {
            int p = (b * stripes + st) * cout;
            Arrays.fill(rowPart, p * cols, (p + cout) * cols, 0f);
            Arrays.fill(colPart, p * colRows, (p + cout) * colRows, 0f);
            Arrays.fill(allPart, p, p + cout, 0f);
        }

        /** Adds positions [p0, p1) of output planes o0..o0+n-1 of sample b, just written, to stripe st's partial sums. */
        void take(int b, int st, int p0, int p1, int o0, int n) {
            int jFirst = st * span / cols;
            for (int o = o0; o < o0 + n; o++) {
                int yb = yo + (b * cout + o) * plane, part = (b * stripes + st) * cout + o;
                float all = 0f;
                for (int pos = p0; pos < p1; ) {
                    int j = pos / cols, k = pos - j * cols;
                    if (k == 0 && pos + 4 * cols <= p1 && cols >= V) { // four whole rows: summed down in registers
                        all += addFourRows(Y, yb + pos, cols, rowPart, part * cols, colPart, part * colRows + j - jFirst);
                        pos += 4 * cols;
                        continue;
                    }
                    int seg = Math.min(p1 - pos, cols - k); // one row, or the part of it in [p0, p1)
                    float sum = addRowSegment(Y, yb + pos, rowPart, part * cols + k, seg);
                    colPart[part * colRows + j - jFirst] += sum;
                    all += sum;
                    pos += seg;
                }
                allPart[part] += all;
            }
        }

        /**
         * Rows r, r+n, r+2n, r+3n of src, {@code n >= V} floats each: their sum down the rows added
         * to {@code acc[accOff, accOff+n)} with one load and store of acc per vector (row by row,
         * acc's read-modify-write made pooling cost as much as the pass it saves), each row's sum
         * added to {@code sums[so + q]}; returns the four rows' total.
         */
        private static float addFourRows(float[] src, int r, int n, float[] acc, int accOff, float[] sums, int so) {
            FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
            int k = 0, r1 = r + n, r2 = r1 + n, r3 = r2 + n;
            for (int kb = S.loopBound(n); k < kb; k += V) {
                FloatVector v0 = FloatVector.fromArray(S, src, r + k), v1 = FloatVector.fromArray(S, src, r1 + k);
                FloatVector v2 = FloatVector.fromArray(S, src, r2 + k), v3 = FloatVector.fromArray(S, src, r3 + k);
                c0 = c0.add(v0);
                c1 = c1.add(v1);
                c2 = c2.add(v2);
                c3 = c3.add(v3);
                FloatVector.fromArray(S, acc, accOff + k).add(v0.add(v1).add(v2.add(v3))).intoArray(acc, accOff + k);
            }
            float s0 = sumLanes(c0), s1 = sumLanes(c1), s2 = sumLanes(c2), s3 = sumLanes(c3);
            for (; k < n; k++) {
                s0 += src[r + k];
                s1 += src[r1 + k];
                s2 += src[r2 + k];
                s3 += src[r3 + k];
                acc[accOff + k] += (src[r + k] + src[r1 + k]) + (src[r2 + k] + src[r3 + k]);
            }
            sums[so] += s0;
            sums[so + 1] += s1;
            sums[so + 2] += s2;
            sums[so + 3] += s3;
            return ((s0 + s1) + s2) + s3;
        }

        /** The means: each plane's stripes added in order, then scaled as {@link #planeReduce} scales. */
        void finish() {
            float sr = 1f / rows, sc = 1f / cols, sa = (float) (1.0 / plane);
            par.forEach(B * cout, (long) B * cout * (rows + cols) * stripes, q -> {
                int b = q / cout, o = q - b * cout;
                if (R != null) {
                    int r = ro + q * cols;
                    Arrays.fill(R, r, r + cols, 0f);
                    for (int st = 0; st < stripes; st++) addRowSegment(rowPart, ((b * stripes + st) * cout + o) * cols, R, r, cols);
                    for (int k = 0; k < cols; k++) R[r + k] *= sr;
                }
                if (C != null) {
                    int c = co + q * rows;
                    Arrays.fill(C, c, c + rows, 0f);
                    for (int st = 0; st < stripes; st++) {
                        int jFirst = st * span / cols, jLast = (Math.min(plane, (st + 1) * span) - 1) / cols;
                        int part = ((b * stripes + st) * cout + o) * colRows;
                        for (int j = jFirst; j <= jLast; j++) C[c + j] += colPart[part + j - jFirst];
                    }
                    for (int j = 0; j < rows; j++) C[c + j] *= sc;
                }
                if (A != null) {
                    float all = 0f;
                    for (int st = 0; st < stripes; st++) all += allPart[(b * stripes + st) * cout + o];
                    A[ao + q] = all * sa;
                }
            });
        }
    }

    /**
     * da[o][c] += sum_{b,p} dy[b][o][p] x[b][c][p] and dbias[o] += sum_{b,p} dy[b][o][p]. Large
     * planes: per-(b, tile) partials reduced in tile order; small planes: tasks own rows of da.
     * Either way the summation order is fixed, whatever the thread count.
     */
    private void weightGrad(int B, int cin, int cout, int plane, float[] X, int xo, float[] DY, int dyo, Ptr da, Ptr dbias) {
        float[] DA = da == null ? null : arr(da), DB = dbias == null ? null : arr(dbias);
        int dao = da == null ? 0 : off(da), dbo = dbias == null ? 0 : off(dbias);
        if (plane == 1) {
            // Linear layers: da[o][c] += sum_b dy[b][o] x[b][c], b in order from da's value. Blocks of
            // four rows of da run the GEMM's register block over the rows of x (positions c,
            // contraction b), each sum started from da itself: one load of x feeds four rows
            // (a row at a time loaded x once per row: 17-21 GFLOP/s on the zoo head).
            int OB = 8, blocks = (cout + OB - 1) / OB;
            par.forEach(blocks, (long) B * cin * cout, t -> {
                int o = t * OB, oe = Math.min(cout, o + OB);
                if (DB != null) for (int q = o; q < oe; q++) for (int b = 0; b < B; b++) DB[dbo + q] += DY[dyo + b * cout + q];
                if (DA == null) return;
                float[] AP = scratch(A_SLOT, 4 * B);
                for (; o + 4 <= oe; o += 4) {
                    packBlocks(DY, dyo + o, 1, cout, 4, B, AP);
                    sums.block4(X, xo, cin, 2 * V, cin, cin, B, AP, 0, null, DA, dao + o * cin, cin);
                }
                for (; o < oe; o++)
                    sums.rest(X, xo, cin, 0, cin, B, DA, dao + o * cin, DA, dao + o * cin, DY, dyo + o, cout);
            });
            return;
        }
        if ((long) B * plane * (cin + 16) <= SHORT_PLANES_XT_FLOATS && cin >= 2 * V && plane < 2 * V * V) {
            weightGradShortPlanes(B, cin, cout, plane, X, xo, DY, dyo, DA, dao, DB, dbo);
            return;
        }
        if ((long) B * cin * plane <= (1 << 18)) {
            // Small inputs (they fit in L2): tasks own blocks of da rows; each (row, column) block keeps its
            // vector sums across every sample and position and reduces once (small planes would otherwise
            // spend their time reducing lanes).
            int OB = 3, blocks = (cout + OB - 1) / OB;
            par.forEach(blocks, (long) B * cin * cout * plane, t -> {
                int o0 = t * OB, no = Math.min(OB, cout - o0);
                daRows(cin, cout, plane, X, xo, DY, dyo, 0, B, 0, plane, o0, no, DA, dao + o0 * cin, DB, dbo + o0);
            });
            return;
        }
        // Large inputs: per-(sample, tile) partials of da and dbias from packed tiles, summed in tile order.
        // Two kernels, chosen by plane size (measured 2026-11-27, one thread): long planes reduce
        // row against row (vectors along positions, one lane reduction per entry and chunk): np_mlp256's
        // 256x256 planes 36 -> 65 ms slower with the transposed GEMM, whose two transposes cost more than
        // its GEMM; short planes with many channels (hnp_siren: 98 vs 437 ms) amortize the transposes
        // and would spend their time in lane reductions. Retried with the blocked panels below (sixth
        // session, 2 threads, three alternations): np_mlp256's da still 54-70 ms against 41-52 with
        // the row kernel; with 32 channels a transposed value feeds only 64 flops.
        boolean rowKernel = cin < 2 * V || plane >= DA_ROWS_MIN_PLANE;
        final int DT = rowKernel ? DA_ROWS_TILE : DA_TILE;
        int tiles = (plane + DT - 1) / DT, chunks = B * tiles, per = cout * cin + cout;
        float[] part = scratch(WG_PART_SLOT, chunks * per); // the calling thread's: tasks use other slots
        Arrays.fill(part, 0, chunks * per, 0f); // the row kernel adds into it
        if (!rowKernel) {
            // da = dy . x^T is a GEMM contracting over positions: with x transposed into panels of
            // 2V channels, the forward kernel's register blocks (4 rows x 2 vectors of channels)
            // compute it with no lane reductions. The chunk's positions are taken in blocks whose
            // panels fit in L2 ({@link #wgBlockPositions}); each sum continues from the last block's,
            // in position order, so the blocking does not change a bit.
            int kcMax = wgBlockPositions(cin, Math.min(plane, DA_TILE));
            par.forEach(chunks, t -> {
                int b = t / tiles, p0 = (t % tiles) * DA_TILE, len = Math.min(plane, p0 + DA_TILE) - p0;
                float[] P = scratch(X_SLOT, kcMax * cin), AP = scratch(A_SLOT, 4 * kcMax);
                for (int k0 = 0; k0 < len; k0 += kcMax) {
                    int kc = Math.min(kcMax, len - k0), dy0 = dyo + b * cout * plane + p0 + k0;
                    packTransposed(X, xo + b * cin * plane, cin, plane, p0 + k0, kc, P, 0);
                    int o = 0;
                    for (; o + 4 <= cout; o += 4) {
                        packBlocks(DY, dy0 + o * plane, plane, 1, 4, kc, AP);
                        sums.block4(P, 0, 2 * V, kc * 2 * V, cin % (2 * V), cin, kc, AP, 0, null, part, t * per + o * cin, cin);
                    }
                    for (; o < cout; o++) restPanels(P, 0, cin, kc, part, t * per + o * cin, DY, dy0 + o * plane);
                }
                if (DB != null) for (int o = 0; o < cout; o++) part[t * per + cout * cin + o] = sumPlane(DY, dyo + (b * cout + o) * plane + p0, len);
            });
        } else {
            // Long planes, or too few input channels for the GEMM's vectors: the row kernel on this chunk.
            par.forEach(chunks, t -> {
                int b = t / tiles, p0 = (t % tiles) * DT, len = Math.min(plane, p0 + DT) - p0;
                for (int o0 = 0; o0 < cout; o0 += 3)
                    daRows(cin, cout, plane, X, xo, DY, dyo, b, b + 1, p0, len, o0, Math.min(3, cout - o0), part, t * per + o0 * cin,
                            part, t * per + cout * cin + o0);
            });
        }
        for (int t = 0; t < chunks; t++) {
            int base = t * per;
            if (DA != null) for (int i = 0; i < cout * cin; i++) DA[dao + i] += part[base + i];
            if (DB != null) for (int o = 0; o < cout; o++) DB[dbo + o] += part[base + cout * cin + o];
        }
    }

    /**
     * Small inputs with short planes and many input channels (the conv and bias tensors of
     * zoo-sized networks: 16 positions, 300 channels): da = dy . x^T as one GEMM contracting over
     * all K = B*plane positions, vectors along the input channels, so no lane reductions. x is
     * transposed once into panels, in blocks of positions that fit in L2 ({@link #wgBlockPositions});
     * tasks own WG_ROWS rows of da and run the forward GEMM's register block on each block of
     * positions in turn for all their rows, so a block is read from memory once per task, not once
     * per four rows (2.1 MB per four rows for hnp_siren's 512 channels). Each entry is summed over
     * positions in order by one task, whatever the thread count. (The row kernel spent its time
     * reducing lanes here: 7 GFLOP/s.)
     */
    private void weightGradShortPlanes(int B, int cin, int cout, int plane, float[] X, int xo, float[] DY, int dyo,
                                       float[] DA, int dao, float[] DB, int dbo) {
        int K = B * plane, kcMax = wgBlockPositions(cin, K), blocks = (K + kcMax - 1) / kcMax, er = eRow(cin);
        float[] P = DA == null ? null : scratch(X_SLOT, K * cin); // the caller's: tasks below use only their A and E slots
        if (P != null) par.forEach(blocks, (long) K * cin, kb -> {
            int k0 = kb * kcMax;
            packTransposed(X, xo, cin, plane, k0, Math.min(kcMax, K - k0), P, k0 * cin);
        });
        par.forEach((cout + WG_ROWS - 1) / WG_ROWS, (long) K * cin * cout, t -> {
            int o0 = WG_ROWS * t, n = Math.min(WG_ROWS, cout - o0), nb = (n + 3) / 4;
            if (DB != null)
                for (int q = 0; q < n; q++) {
                    float v = 0;
                    for (int b = 0; b < B; b++) v += sumPlane(DY, dyo + (b * cout + o0 + q) * plane, plane);
                    DB[dbo + o0 + q] += v;
                }
            if (DA == null) return;
            // AP[(q/4)*K*4 + (b*plane + p)*4 + q%4] = dy[b][o0+q][p]; rows past cout are zero
            float[] AP = scratch(A_SLOT, nb * 4 * K), E = scratch(E_SLOT, nb * 4 * er);
            for (int q = 0; q < nb * 4; q++) {
                int dst = (q / 4) * K * 4 + q % 4;
                for (int b = 0; b < B; b++)
                    for (int p = 0, src = dyo + (b * cout + o0 + q) * plane; p < plane; p++, dst += 4)
                        AP[dst] = q < n ? DY[src + p] : 0f;
            }
            Arrays.fill(E, 0, nb * 4 * er, 0f);
            for (int k0 = 0; k0 < K; k0 += kcMax) {
                int kc = Math.min(kcMax, K - k0);
                for (int ob = 0; ob < nb; ob++)
                    sums.block4(P, k0 * cin, 2 * V, kc * 2 * V, cin % (2 * V), cin, kc, AP, ob * K * 4 + k0 * 4, null, E, ob * 4 * er, er);
            }
            for (int q = 0; q < n; q++)
                for (int c = 0; c < cin; c++) DA[dao + (o0 + q) * cin + c] += E[q * er + c];
        });
    }

    /**
     * Positions per block of the weight gradient's transposed panels, for n positions in all: the
     * block (positions x cin floats) fits in P_TILE_FLOATS (a quarter of L2), so the four-row blocks
     * of da that run over it in turn read it from L2, not memory (2026-11-27, sixth session: a whole 1,024-position
     * tile of 128 channels, 590 KB, ran the hnp_siren weight gradient at 40 GFLOP/s against the
     * forward's 71), and the blocks are of equal size (no short last block paying the stores of
     * the sums for a few positions).
     */
    static int wgBlockPositions(int cin, int n) {
        int max = Math.max(16, P_TILE_FLOATS / cin), blocks = (n + max - 1) / max;
        return (n + blocks - 1) / blocks;
    }

    /**
     * Packs x transposed, for positions [k0, k0+kc) of the flattened index k = b*plane + p
     * (x[b][c][p] at {@code X[xo + (b*cin + c)*plane + p]}), into panels of 2V channels at
     * P[pb..]: channel c = g*2V + i of position k at {@code P[pb + g*kc*2V + (k-k0)*2V + i]} for
     * the full groups, and the last tw = cin % 2V channels at
     * {@code P[pb + full*kc*2V + (k-k0)*tw + i]}: the layout {@code Gemm.block4} reads with
     * cs = 2V, gs = kc*2V, tailCs = tw (channels in the role of positions).
     */
    private static void packTransposed(float[] X, int xo, int cin, int plane, int k0, int kc, float[] P, int pb) {
        int full = cin / (2 * V), tw = cin - full * 2 * V, gs = kc * 2 * V;
        for (int k = k0, ke = k0 + kc; k < ke; ) {
            int b = k / plane, p = k - b * plane, seg = Math.min(ke - k, plane - p), d = k - k0;
            for (int c = 0; c < cin; c++) {
                int g = c / (2 * V), i = c - g * 2 * V, step = g < full ? 2 * V : tw;
                int dst = g < full ? pb + g * gs + d * 2 * V + i : pb + full * gs + d * tw + i;
                for (int q = 0, src = xo + (b * cin + c) * plane + p; q < seg; q++, dst += step) P[dst] = X[src + q];
            }
            k += seg;
        }
    }

    /**
     * One row of da over a block of kc positions packed by {@link #packTransposed}:
     * {@code out[base + c] += sum_k dy[k] * x[c][k]}, the sum continued from out, dy read from
     * {@code DY[dy0 + k]} (for the rows past the last full block of four).
     */
    private void restPanels(float[] P, int pb, int cin, int kc, float[] out, int base, float[] DY, int dy0) {
        int full = cin / (2 * V), gs = kc * 2 * V;
        for (int g = 0; g < full; g++)
            sums.rest(P, pb + g * gs, 2 * V, g * 2 * V, (g + 1) * 2 * V, kc, out, base, out, base, DY, dy0, 1);
        sums.rest(P, pb + full * gs, cin - full * 2 * V, full * 2 * V, cin, kc, out, base, out, base, DY, dy0, 1);
    }

    /**
     * For rows o0..o0+no-1 (no <= 3) of da, over samples [b0, b1) and positions [p0, p0+n) of each
     * plane: {@code da[daOff + q*cin + c] += sum dy[b][o0+q][p] x[b][c][p]} and
     * {@code db[dbOff + q] += sum dy[b][o0+q][p]} (either output may be null). 3 x 4 blocks of
     * vector accumulators carried across samples and positions, one lane reduction per entry.
     */
    private void daRows(int cin, int cout, int plane, float[] X, int xo, float[] DY, int dyo, int b0, int b1, int p0, int n,
                        int o0, int no, float[] DA, int daOff, float[] DB, int dbOff) {
        int nv = S.loopBound(n);
        int q1 = no > 1 ? 1 : 0, q2 = no > 2 ? 2 : 0; // absent rows repeat row 0 and are not stored
        if (DA != null) {
            int c = 0;
            for (; c + 4 <= cin; c += 4) {
                FloatVector z = FloatVector.zero(S);
                FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z, a20 = z, a21 = z, a22 = z, a23 = z;
                float[] tail = scratch(E_SLOT, 12);
                Arrays.fill(tail, 0, 12, 0f);
                for (int b = b0; b < b1; b++) {
                    int r0 = dyo + (b * cout + o0) * plane + p0, r1 = r0 + q1 * plane, r2 = r0 + q2 * plane;
                    int x0 = xo + (b * cin + c) * plane + p0, x1 = x0 + plane, x2 = x1 + plane, x3 = x2 + plane;
                    for (int p = 0; p < nv; p += V) {
                        FloatVector d0 = FloatVector.fromArray(S, DY, r0 + p), d1 = FloatVector.fromArray(S, DY, r1 + p), d2 = FloatVector.fromArray(S, DY, r2 + p);
                        FloatVector x = FloatVector.fromArray(S, X, x0 + p);
                        a00 = d0.fma(x, a00);
                        a10 = d1.fma(x, a10);
                        a20 = d2.fma(x, a20);
                        x = FloatVector.fromArray(S, X, x1 + p);
                        a01 = d0.fma(x, a01);
                        a11 = d1.fma(x, a11);
                        a21 = d2.fma(x, a21);
                        x = FloatVector.fromArray(S, X, x2 + p);
                        a02 = d0.fma(x, a02);
                        a12 = d1.fma(x, a12);
                        a22 = d2.fma(x, a22);
                        x = FloatVector.fromArray(S, X, x3 + p);
                        a03 = d0.fma(x, a03);
                        a13 = d1.fma(x, a13);
                        a23 = d2.fma(x, a23);
                    }
                    for (int p = nv; p < n; p++)
                        for (int q = 0; q < 3; q++) {
                            float d = DY[(q == 0 ? r0 : q == 1 ? r1 : r2) + p];
                            for (int k = 0; k < 4; k++) tail[q * 4 + k] = Math.fma(d, X[x0 + k * plane + p], tail[q * 4 + k]);
                        }
                }
                // Reduced one by one: an array of vectors would box them.
                float[] sums = {sumLanes(a00), sumLanes(a01), sumLanes(a02), sumLanes(a03), sumLanes(a10), sumLanes(a11), sumLanes(a12),
                        sumLanes(a13), sumLanes(a20), sumLanes(a21), sumLanes(a22), sumLanes(a23)};
                for (int q = 0; q < no; q++)
                    for (int k = 0; k < 4; k++) DA[daOff + q * cin + c + k] += sums[q * 4 + k] + tail[q * 4 + k];
            }
            for (; c < cin; c++)
                for (int q = 0; q < no; q++) {
                    float v = 0;
                    for (int b = b0; b < b1; b++)
                        v += dotPlane(DY, dyo + (b * cout + o0 + q) * plane + p0, X, xo + (b * cin + c) * plane + p0, n);
                    DA[daOff + q * cin + c] += v;
                }
        }
        if (DB != null)
            for (int q = 0; q < no; q++) {
                float v = 0;
                for (int b = b0; b < b1; b++) v += sumPlane(DY, dyo + (b * cout + o0 + q) * plane + p0, n);
                DB[dbOff + q] += v;
            }
    }

    /**
     * Row stride of an epilogue tile of rows of {@code len} floats: padded so its four rows do
     * not fall on the same 4 KB offset (loads that alias recent stores to y stall).
     */
    static int eRow(int len) {
        return len + 16;
    }

    /**
     * Packs rows [0, n) of the matrix {@code m[r][c] = M[mo + r*rs + c*cs]} (n a multiple of 4,
     * c < k) in blocks of four interleaved rows: {@code out[(r/4)*k*4 + c*4 + r%4]}.
     */
    private static void packBlocks(float[] M, int mo, int rs, int cs, int n, int k, float[] out) {
        for (int r0 = 0; r0 < n; r0 += 4)
            for (int q = 0; q < 4; q++) {
                int src = mo + (r0 + q) * rs, dst = r0 * k + q;
                for (int c = 0; c < k; c++, src += cs, dst += 4) out[dst] = M[src];
            }
    }

    /**
     * {@code out[oo + i] = M[mo + i]} where {@code G[go + i] > 0}, else 0 (i < n): dy through a ReLU
     * whose output is G, the floats {@link #activationBackward} gives.
     */
    private static void gateRow(float[] M, int mo, float[] G, int go, int n, float[] out, int oo) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int ib = S.loopBound(n); i < ib; i += V)
            FloatVector.fromArray(S, M, mo + i).blend(zero, FloatVector.fromArray(S, G, go + i).compare(VectorOperators.LE, 0f)).intoArray(out, oo + i);
        for (; i < n; i++) out[oo + i] = G[go + i] <= 0 ? 0f : M[mo + i];
    }

    /**
     * The lanes' sum in lane order (0 + l0 + l1 + ...). Not {@code reduceLanes(ADD)}: its
     * interpreted and C2-compiled forms add in different orders, so a result would change as the
     * JIT warms up (found by JitDeterminismTest). Written out with constant indices: C2 extracts a
     * constant lane in a couple of instructions, while {@code lane(i)} in a loop took ~50 cycles
     * each here (planeReduce of 16-column planes ran at 0.2-1.6 GB/s). V is a compile-time
     * constant, so the unused branches fold away.
     */
    private static float sumLanes(FloatVector v) {
        float s = 0f + v.lane(0) + v.lane(1);
        if (V == 2) return s;
        s = s + v.lane(2) + v.lane(3);
        if (V == 4) return s;
        s = s + v.lane(4) + v.lane(5) + v.lane(6) + v.lane(7);
        if (V == 8) return s;
        return s + v.lane(8) + v.lane(9) + v.lane(10) + v.lane(11) + v.lane(12) + v.lane(13) + v.lane(14) + v.lane(15); // V == 16
    }

    private float dotPlane(float[] a, int ai, float[] b, int bi, int n) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
        int i = 0;
        for (; i + 2 * V <= n; i += 2 * V) {
            s0 = FloatVector.fromArray(S, a, ai + i).fma(FloatVector.fromArray(S, b, bi + i), s0);
            s1 = FloatVector.fromArray(S, a, ai + i + V).fma(FloatVector.fromArray(S, b, bi + i + V), s1);
        }
        for (; i + V <= n; i += V) s0 = FloatVector.fromArray(S, a, ai + i).fma(FloatVector.fromArray(S, b, bi + i), s0);
        float acc = sumLanes(s0.add(s1));
        for (; i < n; i++) acc = Math.fma(a[ai + i], b[bi + i], acc);
        return acc;
    }

    /**
     * Adds the row segment {@code X[r, r+n)} into {@code acc[ao, ao+n)} and returns its sum: one
     * pass for a plane's column sums (acc) and row sum. Segments narrower than a vector are summed
     * as scalars (no lane sum of an empty vector per row).
     */
    private static float addRowSegment(float[] X, int r, float[] acc, int ao, int n) {
        int k = 0;
        float sum = 0f;
        if (n >= V) {
            FloatVector cs = FloatVector.zero(S);
            for (int kb = S.loopBound(n); k < kb; k += V) {
                FloatVector v = FloatVector.fromArray(S, X, r + k);
                cs = cs.add(v);
                FloatVector.fromArray(S, acc, ao + k).add(v).intoArray(acc, ao + k);
            }
            sum = sumLanes(cs);
        }
        for (; k < n; k++) {
            sum += X[r + k];
            acc[ao + k] += X[r + k];
        }
        return sum;
    }

    private float sumPlane(float[] a, int ai, int n) {
        FloatVector s0 = FloatVector.zero(S);
        int i = 0;
        for (int ib = S.loopBound(n); i < ib; i += V) s0 = s0.add(FloatVector.fromArray(S, a, ai + i));
        float acc = sumLanes(s0);
        for (; i < n; i++) acc += a[ai + i];
        return acc;
    }

    // ---- pools ------------------------------------------------------------------------------------

    @Override
    public void planeReduce(long planesL, int rows, int cols, Ptr x, Ptr rowOut, Ptr colOut, Ptr allOut, boolean mean) {
        int planes = Math.toIntExact(planesL), plane = rows * cols;
        need(x, (long) planes * plane, "planeReduce x");
        need(rowOut, (long) planes * cols, "planeReduce rowOut");
        need(colOut, (long) planes * rows, "planeReduce colOut");
        need(allOut, planes, "planeReduce allOut");
        float[] X = arr(x), R = rowOut == null ? null : arr(rowOut), C = colOut == null ? null : arr(colOut), A = allOut == null ? null : arr(allOut);
        int xo = off(x), ro = rowOut == null ? 0 : off(rowOut), co = colOut == null ? 0 : off(colOut), alo = allOut == null ? 0 : off(allOut);
        float sr = mean ? 1f / rows : 1f, sc = mean ? 1f / cols : 1f, sa = mean ? (float) (1.0 / plane) : 1f;
        int per = Math.max(1, (1 << 15) / Math.max(plane, 1));
        par.forEach((planes + per - 1) / per, (long) planes * plane, t -> {
            float[] rowAcc = scratch(E_SLOT, cols);
            for (int q = t * per, qe = Math.min(planes, q + per); q < qe; q++) {
                int base = xo + q * plane;
                Arrays.fill(rowAcc, 0, cols, 0f);
                float all = 0;
                for (int j = 0; j < rows; j++) {
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
        need(dx, (long) planes * plane, "planeBroadcast dx");
        need(row, (long) planes * cols, "planeBroadcast row");
        need(col, (long) planes * rows, "planeBroadcast col");
        need(all, planes, "planeBroadcast all");
        float[] DX = arr(dx), R = row == null ? null : arr(row), C = col == null ? null : arr(col), A = all == null ? null : arr(all);
        int dxo = off(dx), ro = row == null ? 0 : off(row), co = col == null ? 0 : off(col), alo = all == null ? 0 : off(all);
        int per = Math.max(1, (1 << 15) / Math.max(plane, 1));
        par.forEach((planes + per - 1) / per, (long) planes * plane, t -> {
            for (int q = t * per, qe = Math.min(planes, q + per); q < qe; q++) {
                float a = A == null ? 0f : sAll * A[alo + q];
                int base = dxo + q * plane;
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
        // A destination with a zero stride sums over that axis: keep the reference's sequential order.
        for (int i = 0; i < 4; i++)
            if (ds[i] == 0 && dims[i] > 1) {
                scalar.copy4d(dims, src, ss, dst, ds, accumulate);
                return;
            }
        need(src, 1 + ReferenceOps.maxIndex(dims, ss), "copy4d src");
        need(dst, 1 + ReferenceOps.maxIndex(dims, ds), "copy4d dst");
        float[] Sx = arr(src), D = arr(dst);
        long so = src.offset(), dso = dst.offset();
        int n3 = dims[3];
        boolean contiguous = ss[3] == 1 && ds[3] == 1;
        int outer = dims[0] * dims[1];
        if (contiguous && n3 >= 2 * COPY_PIECE) { // a few long runs (one may be a whole tensor): split the runs too
            int rows = outer * dims[2], pieces = (n3 + COPY_PIECE - 1) / COPY_PIECE;
            par.forEach(rows * pieces, (long) rows * n3, t -> {
                int r = t / pieces, p0 = (t % pieces) * COPY_PIECE, len = Math.min(COPY_PIECE, n3 - p0);
                int ab = r / dims[2], c = r % dims[2], a = ab / dims[1], b = ab % dims[1];
                int si = (int) (so + a * ss[0] + b * ss[1] + c * ss[2]) + p0, di = (int) (dso + a * ds[0] + b * ds[1] + c * ds[2]) + p0;
                if (!accumulate) {
                    System.arraycopy(Sx, si, D, di, len);
                    return;
                }
                int d = 0;
                for (int db = S.loopBound(len); d < db; d += V)
                    FloatVector.fromArray(S, Sx, si + d).add(FloatVector.fromArray(S, D, di + d)).intoArray(D, di + d);
                for (; d < len; d++) D[di + d] += Sx[si + d];
            });
            return;
        }
        par.forEach(outer >= 64 ? 64 : Math.max(outer, 1), (long) outer * dims[2] * n3, t -> {
            int chunk = (outer + 63) / 64;
            int lo = outer >= 64 ? t * chunk : t, hi = outer >= 64 ? Math.min(outer, lo + chunk) : t + 1;
            for (int ab = lo; ab < hi; ab++) {
                int a = ab / dims[1], b = ab % dims[1];
                for (int c = 0; c < dims[2]; c++) {
                    int si = (int) (so + a * ss[0] + b * ss[1] + c * ss[2]);
                    int di = (int) (dso + a * ds[0] + b * ds[1] + c * ds[2]);
                    if (contiguous && !accumulate) {
                        System.arraycopy(Sx, si, D, di, n3);
                    } else if (contiguous) {
                        int d = 0;
                        for (int db = S.loopBound(n3); d < db; d += V)
                            FloatVector.fromArray(S, Sx, si + d).add(FloatVector.fromArray(S, D, di + d)).intoArray(D, di + d);
                        for (; d < n3; d++) D[di + d] += Sx[si + d];
                    } else {
                        for (int d = 0; d < n3; d++) {
                            int sd = (int) (si + d * ss[3]), dd = (int) (di + d * ds[3]);
                            D[dd] = accumulate ? D[dd] + Sx[sd] : Sx[sd];
                        }
                    }
                }
            }
        });
    }

    @Override
    public void planeScale(long planes, int n, Ptr x, Ptr scale, Ptr y) {
        // Rare (dropout in training) and memory-bound: the reference loop, split over planes.
        int per = Math.max(1, (1 << 16) / Math.max(n, 1)), tasks = (int) ((planes + per - 1) / per);
        par.forEach(tasks, planes * n, t -> {
            long p0 = (long) t * per, np = Math.min(planes, p0 + per) - p0;
            scalar.planeScale(np, n, x.plus(p0 * n), scale.plus(p0), y.plus(p0 * n));
        });
    }

    @Override
    public void activation(Act act, long nL, Ptr x, Ptr y) {
        if (act != Act.RELU && act != Act.IDENTITY) {
            chunked(nL, (lo, hi) -> scalar.activation(act, hi - lo, x.plus(lo), y.plus(lo)));
            return;
        }
        need(x, nL, "activation x");
        need(y, nL, "activation y");
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
        if (act != Act.RELU) {
            chunked(nL, (lo, hi) -> scalar.activationBackward(act, hi - lo, x.plus(lo), y == null ? null : y.plus(lo), dy.plus(lo), dx.plus(lo)));
            return;
        }
        need(x, nL, "activationBackward x");
        need(dy, nL, "activationBackward dy");
        need(dx, nL, "activationBackward dx");
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
        par.forEach(Math.toIntExact(planes), planes * n * 8, q -> scalar.planeStats(1, n, x.plus((long) q * n), out.plus(7L * q)));
    }

    @Override
    public void planeStatsBackward(long planes, int n, Ptr x, Ptr dOut, Ptr dx) {
        par.forEach(Math.toIntExact(planes), planes * n * 8, q -> scalar.planeStatsBackward(1, n, x.plus((long) q * n), dOut.plus(7L * q), dx.plus((long) q * n)));
    }

    @Override
    public void adamStep(long n, Ptr param, Ptr grad, Ptr m, Ptr v, AdamConfig cfg, long step) {
        // The reference's update in double precision, 4 lanes at a time, with the same operations in the
        // same order, so the result is bit-identical to ReferenceOps. (A float32 update was tried:
        // parameters whose gradient is near eps move by +-lr on the sign of a tiny number, and after 4
        // steps the nfn fixture's last-step gradients were 2e-3 off, tolerance 1e-4.)
        need(param, n, "adam param");
        need(grad, n, "adam grad");
        need(m, n, "adam m");
        need(v, n, "adam v");
        float[] P = arr(param), G = arr(grad), M = arr(m), W = arr(v);
        int po = off(param), go = off(grad), mo = off(m), vo = off(v);
        double b1 = cfg.beta1(), b2 = cfg.beta2(), eps = cfg.eps(), wd = cfg.weightDecay();
        double stepSize = cfg.lr() / (1 - Math.pow(b1, step)), bc2Sqrt = Math.sqrt(1 - Math.pow(b2, step));
        double decay = wd != 0 && cfg.decoupled() ? 1 - cfg.lr() * wd : 1, l2 = wd != 0 && !cfg.decoupled() ? wd : 0;
        int DV = DS.length();
        chunked(n, (lo, hi) -> {
            int i = (int) lo;
            for (; i + DV <= hi; i += DV) {
                DoubleVector p = toDouble(P, po + i), g = toDouble(G, go + i);
                if (decay != 1) p = p.mul(decay);
                if (l2 != 0) g = g.add(p.mul(l2));
                DoubleVector mi = toDouble(M, mo + i).mul(b1).add(g.mul(1 - b1));
                DoubleVector vi = toDouble(W, vo + i).mul(b2).add(g.mul(1 - b2).mul(g));
                toFloat(mi, M, mo + i);
                toFloat(vi, W, vo + i);
                toFloat(p.sub(mi.mul(stepSize).div(vi.sqrt().div(bc2Sqrt).add(eps))), P, po + i);
            }
            if (i < hi) scalar.adamStep(hi - i, param.plus(i), grad.plus(i), m.plus(i), v.plus(i), cfg, step);
        });
    }

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_128;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_256;

    private static DoubleVector toDouble(float[] a, int i) {
        return (DoubleVector) FloatVector.fromArray(FS, a, i).convertShape(VectorOperators.F2D, DS, 0);
    }

    private static void toFloat(DoubleVector d, float[] a, int i) {
        ((FloatVector) d.convertShape(VectorOperators.D2F, FS, 0)).intoArray(a, i);
    }
}
