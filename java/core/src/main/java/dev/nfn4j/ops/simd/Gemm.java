package dev.nfn4j.ops.simd;

import dev.nfn4j.ops.Parallel;
import dev.nfn4j.ops.Ptr;
import jdk.incubator.vector.FloatVector;

import java.util.Arrays;

import static dev.nfn4j.ops.simd.Lanes.S;
import static dev.nfn4j.ops.simd.Lanes.V;
import static dev.nfn4j.ops.simd.Lanes.arr;
import static dev.nfn4j.ops.simd.Lanes.eRow;
import static dev.nfn4j.ops.simd.Lanes.gateRow;
import static dev.nfn4j.ops.simd.Lanes.off;
import static dev.nfn4j.ops.simd.Lanes.packBlocks;
import static dev.nfn4j.ops.simd.Lanes.sumLanes;

/**
 * The register-blocked GEMM every channel mix runs on: y[b][o][p] (+)= sum_c a[o*ars + c*acs]
 * x[b][c][p] + bias[o] + glob[b][o] (+ row and column terms, {@link #terms}). Tasks are (b, plane
 * tile) pairs covering all output channels, so an X tile is read from memory once. The same
 * kernels ({@link #block4}, {@link #rest}) serve the input gradient (a transposed) and, with no
 * epilogue, the weight gradient ({@link WeightGrad}).
 */
final class Gemm {
    /**
     * Plane positions per task of the channel mix: at most P_TILE, and fewer for wide inputs so
     * the packed X tile (cin x positions) stays within P_TILE_FLOATS (128 KB, a quarter of L2).
     */
    static final int P_TILE = 1024, P_TILE_FLOATS = 1 << 15;
    /** Stripes per plane when a mix also takes its output's means (see OutputPools): parallelism for small batches, bounded partial sums. */
    static final int POOL_STRIPES = 16;

    private final Parallel par;
    private final Scratch scratch;
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
    /** The broadcast epilogue's row and column terms ({@link #terms}); null when absent. */
    private float[] row, col;
    private int rowOff, colOff, cols;
    /** A's rows in blocks of four, interleaved: {@code packedA[(o/4)*cin*4 + c*4 + q] = a[o+q][c]}. */
    private float[] packedA;
    /** The plane means of y to take as it is written; null: none. */
    OutputPools pools;

    Gemm(Parallel par, Scratch scratch, int B, int cin, int cout, int plane, float[] X, int xo, float[] A, int ao, int ars, int acs,
         float[] Y, int yo, boolean accumulate) {
        this.par = par;
        this.scratch = scratch;
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
        fillEpilogue(b, o, n, p0, len, E, 0, eRow(len));
    }

    /** As above into {@code E[eBase + q*eStride + i]}. */
    private void fillEpilogue(int b, int o, int n, int p0, int len, float[] E, int eBase, int eStride) {
        for (int q = 0; q < n; q++) {
            float k0 = constant(b, o + q);
            if (row == null && col == null) {
                Arrays.fill(E, eBase + q * eStride, eBase + q * eStride + len, k0);
                continue;
            }
            int eo = eBase + q * eStride, ro = rowOff + (b * cout + o + q) * cols, co = colOff + (b * cout + o + q) * (plane / cols);
            if (row != null && cols == V && p0 % V == 0 && len % V == 0) {
                // Whole plane rows of one vector (the CNN zoo's 16 x 16 planes): the row term is
                // the same vector for every row, so it is scaled once (the loop below paid a
                // division and a reload per vector, the cost of the K = 9 first layer's mix).
                FloatVector rv = FloatVector.fromArray(S, row, ro).mul(rowScale);
                for (int i = 0, j = p0 / V; i < len; i += V, j++)
                    rv.add(k0 + (col == null ? 0f : col[co + j] * colScale)).intoArray(E, eo + i);
                continue;
            }
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
        packedA = scratch.get(Scratch.A_SLOT, (cout / 4) * 4 * cin);
        packBlocks(A, ao, ars, acs, cout / 4 * 4, cin, packedA);
        if (pools == null && plane < 2 * V && B > 1) {
            // Planes shorter than two vectors (the NF-Layers' 1 x 16 terms): a tile holds enough
            // samples for two vectors of positions, so the register block runs on pairs of vectors
            // instead of one vector or the scalar tail; where the batch allows, a whole number of
            // vectors, so no position is left to the scalar tail.
            int per = samplesPerTile(plane, B), tasks = (B + per - 1) / per;
            Gemm raw = new Gemm(par, scratch, B, cin, cout, plane, X, xo, A, ao, ars, acs, null, 0, false);
            par.forEach(tasks, (long) B * plane * cin * cout, t -> samplesTile(raw, t * per, Math.min(B, (t + 1) * per)));
            return;
        }
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
     * half the rate it reaches on L1-resident data (one thread, 32 channels,
     * 1,008 positions: 31-39 GFLOP/s with rows, 46-87 with panels). The copy is reused by every
     * output block. Each block of four output rows starts from a per-thread epilogue tile E:
     * the constants and row/column terms, or zeros when accumulating. With {@link #pools}, each
     * block's rows are pooled into stripe {@code st}'s partial sums right after they are stored,
     * while they are in L1: y's rows lie a plane apart, so the rows of a whole tile share L2 sets
     * and do not stay there (pooling the tile after all its blocks cost more than the separate
     * planeReduce it replaced).
     */
    private void tile(int b, int p0, int p1, int st) {
        int len = p1 - p0, full = len / (2 * V), tw = len - full * 2 * V, gs = cin * 2 * V;
        float[] P = scratch.get(Scratch.X_SLOT, cin * len);
        for (int c = 0; c < cin; c++) packRow(P, c, (b * cin + c) * plane + p0, 0, len, full, tw);
        float[] E = scratch.get(Scratch.E_SLOT, 4 * eRow(len));
        if (accumulate) Arrays.fill(E, 0, 4 * eRow(len), 0f); // accumulated GEMMs have no epilogue
        // The block starts from the epilogue and stores straight to y, so y's write misses drain
        // while the next block computes. (Computing in E and copying out measures slower:
        // 2 threads, the 256x256 mix 29-36 vs 22-24 ms median; the copy's stores had
        // nothing to overlap with.)
        for (int o = 0; o < cout; o += 4) {
            int n = Math.min(4, cout - o), y0 = yo + (b * cout + o) * plane + p0;
            if (!accumulate) fillEpilogue(b, o, n, p0, len, E);
            if (n == 4) block4(P, 0, 2 * V, gs, tw, len, cin, packedA, o * cin, E, Y, y0, plane);
            else for (int q = 0; q < n; q++) restRow(P, len, o + q, E, q * eRow(len), Y, y0 + q * plane);
            // Pooled one block late: by then the write misses of the block's stores have completed.
            if (st >= 0 && o > 0) pools.take(b, st, p0, p1, o - 4, 4);
        }
        if (st >= 0) {
            int last = (cout - 1) / 4 * 4;
            pools.take(b, st, p0, p1, last, cout - last);
        }
    }

    /**
     * Packs {@code n} values of X from {@code X[xo + x]} (times relu'(gate) at the same place when
     * {@link #gate} is set) into a tile of {@code len = full*2V + tw} positions for contraction
     * index c, at tile positions [pos, pos+n): panels of 2V positions, {@code P[g*cin*2V + c*2V + i]},
     * then the tail {@code P[full*cin*2V + c*tw + i]}. Runs are cut where a panel ends.
     */
    private void packRow(float[] P, int c, int x, int pos, int n, int full, int tw) {
        int gs = cin * 2 * V;
        for (int i = 0; i < n; ) {
            int at = pos + i, g = at / (2 * V), src = xo + x + i;
            int run = g < full ? Math.min(n - i, (g + 1) * 2 * V - at) : n - i;
            int dst = g < full ? g * gs + c * 2 * V + at - g * 2 * V : full * gs + c * tw + at - full * 2 * V;
            if (gate != null) gateRow(X, src, gate, gateOff + x + i, run, P, dst);
            else if (run == 2 * V) { // a whole panel row: two vectors
                FloatVector.fromArray(S, X, src).intoArray(P, dst);
                FloatVector.fromArray(S, X, src + V).intoArray(P, dst + V);
            } else System.arraycopy(X, src, P, dst, run);
            i += run;
        }
    }

    /** Output channel o alone over a tile of len positions (a block of fewer than four): {@link #rest} on each panel, then the tail. */
    void restRow(float[] P, int len, int o, float[] E, int eo, float[] out, int outOff) {
        int full = len / (2 * V), tw = len - full * 2 * V, gs = cin * 2 * V, wi = ao + o * ars;
        for (int g = 0; g < full; g++) rest(P, g * gs, 2 * V, g * 2 * V, (g + 1) * 2 * V, cin, E, eo, out, outOff, A, wi, acs);
        rest(P, full * gs, tw, full * 2 * V, len, cin, E, eo, out, outOff, A, wi, acs);
    }

    /** Samples per tile for planes shorter than two vectors: at least two vectors of positions, a whole number of vectors where the batch allows. */
    private static int samplesPerTile(int plane, int B) {
        int least = (2 * V + plane - 1) / plane;
        for (int k = least; k <= B; k++)
            if (k * plane % V == 0) return k;
        return least;
    }

    /**
     * Samples [b0, b1) of a plane shorter than two vectors as one tile: their positions side by
     * side in P (sample s at positions s*plane, cut where a panel of 2V positions ends), packed as
     * {@link #tile} packs one sample's, then per block of output channels the epilogue of each sample, the
     * register block over all the positions into E (by {@code raw}, a GEMM with no accumulation
     * or ReLU, so E gets the sums as the accumulators hold them), and the stores to y, adding to
     * y and applying the ReLU as {@link #store} does. Every output is the same chain of FMAs from
     * the same start as in {@link #tile}, so the results are bit for bit the same.
     */
    private void samplesTile(Gemm raw, int b0, int b1) {
        int len = (b1 - b0) * plane, full = len / (2 * V), tw = len - full * 2 * V, gs = cin * 2 * V, es = eRow(len);
        float[] P = scratch.get(Scratch.X_SLOT, cin * len);
        for (int c = 0; c < cin; c++)
            for (int b = b0; b < b1; b++) packRow(P, c, (b * cin + c) * plane, (b - b0) * plane, plane, full, tw);
        float[] E = scratch.get(Scratch.E_SLOT, 4 * es);
        for (int o = 0; o < cout; o += 4) {
            int n = Math.min(4, cout - o);
            if (accumulate) Arrays.fill(E, 0, 4 * es, 0f);
            else for (int b = b0; b < b1; b++) fillEpilogue(b, o, n, 0, plane, E, (b - b0) * plane, es);
            if (n == 4) raw.block4(P, 0, 2 * V, gs, tw, len, cin, packedA, o * cin, E, E, 0, es);
            else for (int q = 0; q < n; q++) raw.restRow(P, len, o + q, E, q * es, E, q * es);
            for (int q = 0; q < n; q++)
                for (int b = b0; b < b1; b++) {
                    int e = q * es + (b - b0) * plane, y = yo + (b * cout + o + q) * plane, i = 0;
                    for (int ib = S.loopBound(plane); i < ib; i += V) store(FloatVector.fromArray(S, E, e + i), Y, y + i);
                    for (; i < plane; i++) Y[y + i] = finish(E[e + i], Y, y + i);
                }
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
     * than strided loads from a, measured on cache-resident data). The accumulators
     * start at {@code E[q*eRow(len) + i]}, or, with E null, at the outputs themselves (a sum
     * continued over several calls, one per block of the contraction); results go to
     * {@code out[outBase + q*outStride + i]}, added to what is there when this GEMM accumulates.
     * out may be E itself (row stride eRow(len)).
     */
    void block4(float[] P, int pb, int cs, int gs, int tailCs, int len, int k, float[] AP, int ai, float[] E, float[] out,
                        int outBase, int outStride) {
        int y0 = outBase, y1 = y0 + outStride, y2 = y1 + outStride, y3 = y2 + outStride;
        // Where the accumulators start: the chosen array is fixed for the whole call.
        float[] st = E == null ? out : E;
        int e0 = E == null ? outBase : 0, e1 = e0 + (E == null ? outStride : eRow(len)), e2 = 2 * e1 - e0, e3 = 3 * e1 - 2 * e0;
        int p = 0, xb = pb;
        for (; p + 2 * V <= len; p += 2 * V, xb += gs) {
            // Always loaded, never a choice between zero and E: C2 compiled a merge of the two
            // into code half as fast.
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
        int vectors = (len - p) / V * V;
        if (vectors > 0) {
            fourRowsByVector(P, xb, tailCs, p, p + vectors, k, AP, ai, st, e0, e1 - e0, out, y0, outStride);
            p += vectors;
            xb += vectors;
        }
        for (int q = 0; q < 4; q++)
            rest(P, xb, tailCs, p, len, k, st, e0 + q * (e1 - e0), out, y0 + q * outStride, AP, ai + q, 4);
    }

    /**
     * block4's single vectors of the tail, positions [p, end): four rows at once, four FMA chains
     * where {@link #rest} has one (a plane of one vector, 1x16 with 512-bit lanes, has no 2V
     * group at all). Each lane sums in the same order as rest, so the bits are the same. Its own
     * method so that block4's main loop compiles as before.
     */
    private void fourRowsByVector(float[] P, int xb, int tailCs, int p, int end, int k, float[] AP, int ai, float[] st, int e0, int eStride,
                                  float[] out, int y0, int outStride) {
        int e1 = e0 + eStride, e2 = e1 + eStride, e3 = e2 + eStride, y1 = y0 + outStride, y2 = y1 + outStride, y3 = y2 + outStride;
        for (; p < end; p += V, xb += V) {
            FloatVector s0 = FloatVector.fromArray(S, st, e0 + p), s1 = FloatVector.fromArray(S, st, e1 + p);
            FloatVector s2 = FloatVector.fromArray(S, st, e2 + p), s3 = FloatVector.fromArray(S, st, e3 + p);
            for (int c = 0, xi = xb, a = ai; c < k; c++, xi += tailCs, a += 4) {
                FloatVector x0 = FloatVector.fromArray(S, P, xi);
                s0 = x0.fma(FloatVector.broadcast(S, AP[a]), s0);
                s1 = x0.fma(FloatVector.broadcast(S, AP[a + 1]), s1);
                s2 = x0.fma(FloatVector.broadcast(S, AP[a + 2]), s2);
                s3 = x0.fma(FloatVector.broadcast(S, AP[a + 3]), s3);
            }
            store(s0, out, y0 + p);
            store(s1, out, y1 + p);
            store(s2, out, y2 + p);
            store(s3, out, y3 + p);
        }
    }

    /**
     * One output channel over positions [p, len), as block4 does it for four: vectors, then a
     * scalar tail, each summing k products. Position i's value for contraction index c is
     * {@code P[xb + (i - p) + c*cs]}. Its weights are {@code W[wi + c*ws]}: a row of a
     * (ws = acs) or of a packed block (ws = 4). The sums start at {@code E[eo + i]} (E may be out).
     */
    void rest(float[] P, int xb, int cs, int p, int len, int k, float[] E, int eo, float[] out, int outOff, float[] W, int wi,
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
            float[] acc = scratch.get(Scratch.E_SLOT, 8 * V);
            if (acs == 1)
                for (; o + 2 <= oe; o += 2) {
                    int b = 0;
                    for (; b + 4 <= B; b += 4) dots2x4(o, b, acc);
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
    private void dots2x4(int o, int b, float[] acc) {
        int a0 = ao + o * ars, a1 = a0 + ars, x0 = xo + b * cin, c = S.loopBound(cin);
        Lanes.dots2x4(acc, A, a0, a1, 0, X, x0, cin, 0, c, 1);
        for (int q = 0; q < 2; q++)
            for (int k = 0; k < 4; k++)
                finishDot(o + q, b + k, dotTail(a0 + q * ars, x0 + k * cin, c, sumLanes(acc, q * 4 + k)));
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
