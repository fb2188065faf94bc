package dev.nfn4j.ops.simd;

import dev.nfn4j.ops.Parallel;
import dev.nfn4j.ops.Ptr;
import jdk.incubator.vector.FloatVector;

import java.util.Arrays;

import static dev.nfn4j.ops.simd.Lanes.S;
import static dev.nfn4j.ops.simd.Lanes.V;
import static dev.nfn4j.ops.simd.Lanes.addInto;
import static dev.nfn4j.ops.simd.Lanes.arr;
import static dev.nfn4j.ops.simd.Lanes.dotPlane;
import static dev.nfn4j.ops.simd.Lanes.dots2x4;
import static dev.nfn4j.ops.simd.Lanes.eRow;
import static dev.nfn4j.ops.simd.Lanes.off;
import static dev.nfn4j.ops.simd.Lanes.packBlocks;
import static dev.nfn4j.ops.simd.Lanes.sumLanes;
import static dev.nfn4j.ops.simd.Lanes.sumPlane;

/**
 * The channel mix's weight gradient, da[o][c] += sum_{b,p} dy[b][o][p] x[b][c][p] and dbias[o] +=
 * sum_{b,p} dy[b][o][p], with a kernel per shape: Linear layers' one-position planes, short planes
 * with many channels, inputs that fit in L2, and large planes (row against row, or a GEMM over
 * positions on x transposed into panels). Each sums in an order fixed by the shape alone.
 */
final class WeightGrad {
    /** Planes of at least this many positions reduce dA in per-tile partials; smaller ones by output row. */
    static final int DA_TILE = 4096;
    /** Planes of at least this many positions reduce dA row against row, in chunks of DA_ROWS_TILE positions. */
    static final int DA_ROWS_MIN_PLANE = 16384, DA_ROWS_TILE = 16384;
    /** Inputs whose transposed copy (all positions x channels) is at most this many floats take one GEMM over all positions. */
    static final int SHORT_PLANES_XT_FLOATS = 1 << 20;
    /** The row kernel's register block ({@link Lanes#dots2x4}): 2 rows x 4 columns of da. */
    private static final int DA_ROWS = 2, DA_COLS = 4;
    /** Rows of da per task of the short-plane weight gradient (a multiple of 4: whole register blocks). */
    static final int WG_ROWS = 16;

    private final Parallel par;
    private final Scratch scratch;
    /**
     * The GEMM's register blocks with nothing around them (no epilogue, activation or pools; sums
     * stored, not added): the kernels below bring their own operands.
     */
    private final Gemm sums;

    WeightGrad(Parallel par, Scratch scratch) {
        this.par = par;
        this.scratch = scratch;
        this.sums = new Gemm(par, scratch, 0, 0, 0, 0, null, 0, null, 0, 0, 0, null, 0, false);
    }

    /**
     * da[o][c] += sum_{b,p} dy[b][o][p] x[b][c][p] and dbias[o] += sum_{b,p} dy[b][o][p]. Large
     * planes: per-(b, tile) partials reduced in tile order; small planes: tasks own rows of da.
     * Either way the summation order is fixed, whatever the thread count.
     */
    void run(int B, int cin, int cout, int plane, float[] X, int xo, float[] DY, int dyo, Ptr da, Ptr dbias) {
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
                float[] AP = scratch.get(Scratch.A_SLOT, 4 * B);
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
            int OB = DA_ROWS, blocks = (cout + OB - 1) / OB;
            par.forEach(blocks, (long) B * cin * cout * plane, t -> {
                int o0 = t * OB, no = Math.min(OB, cout - o0);
                daRows(cin, cout, plane, X, xo, DY, dyo, 0, B, 0, plane, o0, o0 + no, DA, dao + o0 * cin, DB, dbo + o0);
            });
            return;
        }
        // Large inputs: per-(sample, tile) partials of da and dbias from packed tiles, summed in tile order.
        // Two kernels, chosen by plane size (measured on one thread): long planes reduce
        // row against row (vectors along positions, one lane reduction per entry and chunk): np_mlp256's
        // 256x256 planes 36 -> 65 ms slower with the transposed GEMM, whose two transposes cost more than
        // its GEMM; short planes with many channels (hnp_siren: 98 vs 437 ms) amortize the transposes
        // and would spend their time in lane reductions. With the blocked panels below (2 threads,
        // three alternations): np_mlp256's da still 54-70 ms against 41-52 with
        // the row kernel; with 32 channels a transposed value feeds only 64 flops.
        boolean rowKernel = cin < 2 * V || plane >= DA_ROWS_MIN_PLANE;
        final int DT = rowKernel ? DA_ROWS_TILE : DA_TILE;
        int tiles = (plane + DT - 1) / DT, chunks = B * tiles, per = cout * cin + cout;
        float[] part = scratch.get(Scratch.WG_PART_SLOT, chunks * per); // the calling thread's: tasks use other slots
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
                float[] P = scratch.get(Scratch.X_SLOT, kcMax * cin), AP = scratch.get(Scratch.A_SLOT, 4 * kcMax);
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
                daRows(cin, cout, plane, X, xo, DY, dyo, b, b + 1, p0, len, 0, cout, part, t * per, part, t * per + cout * cin);
            });
        }
        for (int t = 0; t < chunks; t++) {
            int base = t * per;
            if (DA != null) addInto(DA, dao, part, base, cout * cin);
            if (DB != null) addInto(DB, dbo, part, base + cout * cin, cout);
        }
    }

    /**
     * Small inputs with short planes and many input channels (the conv and bias tensors of
     * zoo-sized networks: 16 positions, 300 channels): da = dy . x^T as one GEMM contracting over
     * all K = B*plane positions, vectors along the input channels, so no lane reductions. x is
     * transposed once into panels, in blocks of positions that fit in L2 ({@link #wgBlockPositions});
     * tasks own up to WG_ROWS rows of da ({@link #taskRows}) and run the forward GEMM's register
     * block on each block of positions in turn for all their rows, so a block is read from memory
     * once per task, not once per four rows (2.1 MB per four rows for hnp_siren's 512 channels).
     * Each entry is summed over positions in order by one task, whatever the thread count. (The row
     * kernel spent its time reducing lanes here: 7 GFLOP/s.)
     */
    private void weightGradShortPlanes(int B, int cin, int cout, int plane, float[] X, int xo, float[] DY, int dyo,
                                       float[] DA, int dao, float[] DB, int dbo) {
        int K = B * plane, kcMax = wgBlockPositions(cin, K), blocks = (K + kcMax - 1) / kcMax, er = eRow(cin);
        float[] P = DA == null ? null : scratch.get(Scratch.X_SLOT, K * cin); // the caller's: tasks below use only their A and E slots
        if (P != null) par.forEach(blocks, (long) K * cin, kb -> {
            int k0 = kb * kcMax;
            packTransposed(X, xo, cin, plane, k0, Math.min(kcMax, K - k0), P, k0 * cin);
        });
        int rows = taskRows(cout, par.threads());
        par.forEach((cout + rows - 1) / rows, (long) K * cin * cout, t -> {
            int o0 = rows * t, n = Math.min(rows, cout - o0), nb = (n + 3) / 4;
            if (DB != null)
                for (int q = 0; q < n; q++) {
                    float v = 0;
                    for (int b = 0; b < B; b++) v += sumPlane(DY, dyo + (b * cout + o0 + q) * plane, plane);
                    DB[dbo + o0 + q] += v;
                }
            if (DA == null) return;
            // AP[(q/4)*K*4 + (b*plane + p)*4 + q%4] = dy[b][o0+q][p]; rows past cout are zero
            float[] AP = scratch.get(Scratch.A_SLOT, nb * 4 * K), E = scratch.get(Scratch.E_SLOT, nb * 4 * er);
            for (int q0 = 0; q0 < nb * 4; q0 += 4)
                for (int b = 0; b < B; b++) {
                    int src = dyo + (b * cout + o0 + q0) * plane, dst = q0 * K + b * plane * 4;
                    if (q0 + 4 <= n) packBlocks(DY, src, plane, 1, 4, plane, AP, dst);
                    else
                        for (int p = 0; p < plane; p++)
                            for (int q = 0; q < 4; q++) AP[dst + 4 * p + q] = q0 + q < n ? DY[src + q * plane + p] : 0f;
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
     * Rows of da per task of {@link #weightGradShortPlanes}: whole register blocks, at most
     * WG_ROWS, chosen so the threads, each taking the next task when free, finish together (cout
     * 45 on 2 threads: 4 tasks of 12 rows, 2 rounds of 12 where tasks of 16 took 2 rounds of 16);
     * of splits that finish alike, the fewest tasks (each reads all of x's packed panels). Each entry
     * is still summed by one task in position order, so the split does not change a bit.
     */
    static int taskRows(int cout, int threads) {
        int blocks = (cout + 3) / 4, best = 0, bestSpan = Integer.MAX_VALUE;
        for (int per = WG_ROWS / 4; per >= 1; per--) {
            int[] load = new int[threads];
            for (int left = blocks; left > 0; left -= per) { // the next task goes to the first free thread
                int t = 0;
                for (int i = 1; i < threads; i++) if (load[i] < load[t]) t = i;
                load[t] += Math.min(per, left);
            }
            int span = Arrays.stream(load).max().orElse(0);
            if (span < bestSpan) {
                best = per;
                bestSpan = span;
            }
        }
        return 4 * best;
    }

    /**
     * Positions per block of the weight gradient's transposed panels, for n positions in all: the
     * block (positions x cin floats) fits in Gemm.P_TILE_FLOATS (a quarter of L2), so the four-row blocks
     * of da that run over it in turn read it from L2, not memory (a whole 1,024-position
     * tile of 128 channels, 590 KB, runs the hnp_siren weight gradient at 40 GFLOP/s against the
     * forward's 71), and the blocks are of equal size (no short last block paying the stores of
     * the sums for a few positions).
     */
    static int wgBlockPositions(int cin, int n) {
        int max = Math.max(16, Gemm.P_TILE_FLOATS / cin), blocks = (n + max - 1) / max;
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
            int blocks = Transpose.IN_REGISTERS ? seg / V * V : 0; // positions moved V x V at a time
            for (int c = 0; c < cin; ) {
                int g = c / (2 * V), i = c - g * 2 * V, step = g < full ? 2 * V : tw;
                int dst = pb + g * gs + d * step + i, src = xo + (b * cin + c) * plane + p;
                if (blocks == 0 || (g == full && tw - i < V)) { // one channel: the tail's last ones, or short segments
                    for (int q = 0; q < seg; q++, dst += step) P[dst] = X[src + q];
                    c++;
                    continue;
                }
                for (int q = 0; q < blocks; q += V) Transpose.block(X, src + q, plane, P, dst + q * step, step);
                for (int r = 0; r < V; r++)
                    for (int q = blocks, t = dst + blocks * step + r; q < seg; q++, t += step) P[t] = X[src + r * plane + q];
                c += V;
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
     * Rows [o0, o1) of da over samples [b0, b1) and positions [p0, p0+n) of each plane:
     * {@code da[daOff + (o-o0)*cin + c] += sum dy[b][o][p] x[b][c][p]} and
     * {@code db[dbOff + o-o0] += sum dy[b][o][p]} (either output may be null). Blocks of 2 rows x 4
     * columns of vector sums ({@link Lanes#dots2x4}) carried across samples and positions, then one
     * lane reduction per entry plus its scalar tail (positions past the last whole vector).
     * Columns past the last block of four take {@link Lanes#dotPlane} per sample.
     */
    private void daRows(int cin, int cout, int plane, float[] X, int xo, float[] DY, int dyo, int b0, int b1, int p0, int n,
                        int o0, int o1, float[] DA, int daOff, float[] DB, int dbOff) {
        int nv = S.loopBound(n), cb = cin / DA_COLS * DA_COLS, sums = DA_ROWS * DA_COLS;
        if (DA != null) {
            float[] acc = scratch.get(Scratch.E_SLOT, sums * (V + 1)); // the block's vector sums, then its scalar tails
            for (int o = o0; o < o1; o += DA_ROWS) {
                int no = Math.min(DA_ROWS, o1 - o), r0 = dyo + (b0 * cout + o) * plane + p0, r1 = no > 1 ? r0 + plane : r0;
                for (int c = 0; c < cb; c += DA_COLS) {
                    dots2x4(acc, DY, r0, r1, cout * plane, X, xo + (b0 * cin + c) * plane + p0, plane, cin * plane, nv, b1 - b0);
                    Arrays.fill(acc, sums * V, sums * (V + 1), 0f);
                    for (int b = b0; b < b1; b++)
                        for (int p = nv; p < n; p++)
                            for (int q = 0; q < no; q++) {
                                float d = DY[dyo + (b * cout + o + q) * plane + p0 + p];
                                for (int k = 0, t = sums * V + q * DA_COLS; k < DA_COLS; k++, t++)
                                    acc[t] = Math.fma(d, X[xo + (b * cin + c + k) * plane + p0 + p], acc[t]);
                            }
                    for (int q = 0; q < no; q++)
                        for (int k = 0, e = q * DA_COLS; k < DA_COLS; k++, e++)
                            DA[daOff + (o - o0 + q) * cin + c + k] += sumLanes(acc, e) + acc[sums * V + e];
                }
                for (int c = cb; c < cin; c++)
                    for (int q = 0; q < no; q++) {
                        float v = 0;
                        for (int b = b0; b < b1; b++)
                            v += dotPlane(DY, dyo + (b * cout + o + q) * plane + p0, X, xo + (b * cin + c) * plane + p0, n);
                        DA[daOff + (o - o0 + q) * cin + c] += v;
                    }
            }
        }
        if (DB != null)
            for (int o = o0; o < o1; o++) {
                float v = 0;
                for (int b = b0; b < b1; b++) v += sumPlane(DY, dyo + (b * cout + o) * plane + p0, n);
                DB[dbOff + o - o0] += v;
            }
    }
}
