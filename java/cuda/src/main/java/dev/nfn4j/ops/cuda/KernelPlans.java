package dev.nfn4j.ops.cuda;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.AdamScalars;
import dev.nfn4j.ops.LossFn;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.NormShape;
import dev.nfn4j.ops.SirenShape;

import java.util.ArrayList;
import java.util.List;

/**
 * The launches of every {@link dev.nfn4j.ops.Ops} op on the cuda backend, as pure functions of
 * the op's sizes and device addresses: grids, blocks, argument lists and the size limits of the
 * kernels (32-bit extents refused with the tensor named). Nothing here touches the driver, so the
 * arithmetic is unit-tested without a GPU (KernelPlansTest); {@code CudaOps} only executes the
 * plans. The tile sizes must match the kernels' #defines (kernels/mix.cu).
 */
final class KernelPlans {
    private KernelPlans() {}

    /** Threads per block of every kernel (NFN_THREADS). */
    static final int THREADS = 256;
    /** Blocks of a grid-stride loop: enough to fill any GPU many times over, so launches stay cheap. */
    static final int GRID_STRIDE_BLOCKS = 1 << 16;
    /** Planes per launch of the per-plane kernels (grid-stride over planes beyond). */
    static final int PLANE_BLOCKS = 1 << 20;
    /** channel_mix tiles (MIX_BM, MIX_BN in kernels/mix.cu). */
    static final int MIX_BM = 32, MIX_BN = 256;
    /** channel_mix_tf32 tiles (T32_BM, T32_BN), and the channel counts from which TF32 is used when enabled. */
    static final int T32_BM = 64, T32_BN = 64, TF32_MIN_CHANNELS = 64;
    /** mix_weight_grad_partial tile (WG_TILE) and the column-chunk policy of the weight gradient. */
    static final int WG_TILE = 32, WG_MAX_CHUNKS = 128, WG_MIN_CHUNK = 8192;
    /** An int extent a kernel loops over with an int index (i += 256 must not overflow). */
    static final long MAX_INT_EXTENT = Integer.MAX_VALUE - (1 << 20);

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** Blocks of a 1-d grid-stride loop over n elements. */
    static long strideBlocks(long n) {
        return Math.max(1, Math.min(ceilDiv(n, THREADS), GRID_STRIDE_BLOCKS));
    }

    /** An extent the kernels index with 32-bit ints: refused, named, when it is too large. */
    static int intExtent(long v, String what) {
        if (v < 0 || v > MAX_INT_EXTENT)
            throw new IllegalArgumentException(what + " = " + v + " is beyond the cuda kernels' 32-bit limit (" + MAX_INT_EXTENT + ")");
        return (int) v;
    }

    private static DevPtr orNull(DevPtr p) {
        return p == null ? DevPtr.NULL : p;
    }

    // ---- pools -------------------------------------------------------------------------------------

    static List<Launch> planeReduce(long planes, int rows, int cols, DevPtr x, DevPtr rowOut, DevPtr colOut, DevPtr allOut, boolean mean) {
        return planeReduce(planes, rows, cols, x, null, rowOut, colOut, allOut, mean);
    }

    /** planeReduce of {@code x * relu'(reluOut)} (reluOut null: of x), relu' applied as the kernel loads x. */
    static List<Launch> planeReduce(long planes, int rows, int cols, DevPtr x, DevPtr reluOut, DevPtr rowOut, DevPtr colOut,
                                    DevPtr allOut, boolean mean) {
        if (planes == 0 || (rowOut == null && colOut == null && allOut == null)) return List.of();
        long plane = (long) rows * cols;
        intExtent(rows, "planeReduce rows");
        intExtent(cols, "planeReduce cols");
        String what = "planeReduce " + planes + " planes of " + rows + "x" + cols + (reluOut == null ? "" : " of dy * relu'(y)");
        Launch.Builder b = Launch.of(reluOut == null ? Kernel.PLANE_REDUCE : Kernel.PLANE_REDUCE_RELU_GATED, what)
                .ptr(x).ptr(orNull(rowOut)).ptr(orNull(colOut)).ptr(orNull(allOut)).l(planes).i(rows).i(cols)
                .d(mean ? 1.0 / rows : 1).d(mean ? 1.0 / cols : 1).d(mean ? 1.0 / plane : 1);
        if (reluOut != null) b.ptr(reluOut);
        return List.of(b.grid1d(Math.min(planes, PLANE_BLOCKS)));
    }

    static List<Launch> planeBroadcast(long planes, int rows, int cols, DevPtr row, float sRow, DevPtr col, float sCol, DevPtr all, float sAll, DevPtr dx) {
        if (planes == 0 || (row == null && col == null && all == null)) return List.of();
        intExtent((long) rows * cols, "planeBroadcast plane (rows * cols)");
        String what = "planeBroadcast " + planes + " planes of " + rows + "x" + cols;
        return List.of(Launch.of(Kernel.PLANE_BROADCAST, what).ptr(orNull(row)).f(sRow).ptr(orNull(col)).f(sCol).ptr(orNull(all)).f(sAll)
                .ptr(dx).l(planes).i(rows).i(cols).grid1d(strideBlocks(planes * rows * cols)));
    }

    // ---- channel mix -------------------------------------------------------------------------------

    /**
     * Whether a mix of {@code cin -> cout} channels runs on the tensor cores in TF32: only when
     * enabled ({@code -Dnfn4j.tf32=true}) and both counts are at least {@link #TF32_MIN_CHANNELS},
     * where a 64-wide tile is filled and the GEMM, not the epilogue, sets the time.
     */
    static boolean tf32Applies(boolean enabled, int cin, int cout) {
        return enabled && cin >= TF32_MIN_CHANNELS && cout >= TF32_MIN_CHANNELS;
    }

    /**
     * The channel_mix (or channel_mix_tf32) launch computing y (+)= A x (+ epilogue), A[o][c] =
     * a[o * aRow + c * aCol], then {@code act} on each stored value.
     */
    private static Launch mix(String what, int batch, int cin, int cout, int rows, int cols, DevPtr x, DevPtr a, int aRow, int aCol,
                              DevPtr bias, DevPtr row, DevPtr col, DevPtr glob, DevPtr y, boolean accumulate, Act act, boolean tf32) {
        return mix(what, batch, cin, cout, rows, cols, x, null, a, aRow, aCol, bias, row, col, glob, y, accumulate, act, tf32);
    }

    /** As above, each x value multiplied by relu'(reluOut) as it is loaded (reluOut null: x as it is). */
    private static Launch mix(String what, int batch, int cin, int cout, int rows, int cols, DevPtr x, DevPtr reluOut, DevPtr a,
                              int aRow, int aCol, DevPtr bias, DevPtr row, DevPtr col, DevPtr glob, DevPtr y, boolean accumulate, Act act,
                              boolean tf32) {
        long plane = intExtent((long) rows * cols, what + ": plane (rows * cols)");
        long n = batch * plane;
        boolean t = tf32Applies(tf32, cin, cout);
        Kernel k = reluOut == null ? (t ? Kernel.CHANNEL_MIX_TF32 : Kernel.CHANNEL_MIX)
                : (t ? Kernel.CHANNEL_MIX_TF32_RELU_GATED : Kernel.CHANNEL_MIX_RELU_GATED);
        Launch.Builder b = Launch.of(k, what + (t ? " (tf32)" : ""))
                .ptr(x).ptr(a).ptr(orNull(bias)).ptr(orNull(row)).ptr(orNull(col)).ptr(orNull(glob)).ptr(y)
                .i(batch).i(cin).i(cout).i(rows).i(cols).i(aRow).i(aCol).i(accumulate ? 1 : 0).i(act.ordinal());
        if (reluOut != null) b.ptr(reluOut);
        return b.grid(ceilDiv(n, t ? T32_BN : MIX_BN), ceilDiv(cout, t ? T32_BM : MIX_BM), 1, THREADS);
    }

    /** The forward mix, {@code act} applied as each output is stored; with {@code tf32}, on the tensor cores where {@link #tf32Applies}. */
    static List<Launch> channelMix(MixShape s, DevPtr x, DevPtr a, DevPtr bias, DevPtr row, DevPtr col, DevPtr glob, Act act, DevPtr y,
                                   boolean tf32) {
        String what = "channelMix " + s + (act == Act.IDENTITY ? "" : " + " + act);
        return List.of(mix(what, s.batch(), s.cin(), s.cout(), s.rows(), s.cols(), x, a, s.cin(), 1, bias, row, col, glob, y, false, act, tf32));
    }

    /** channel_mix_pooled's tile of a plane: 8 rows by 32 columns (each block, for 32 output channels). */
    static final int POOL_TILE_ROWS = 8, POOL_TILE_COLS = 32;

    /**
     * Whether a forward mix takes its output's plane means in its own epilogue
     * (channel_mix_pooled): planes of at least one tile (8 x 32), and not on the TF32 path;
     * otherwise the mix, then plane_reduce of its output.
     */
    static boolean pooledMixApplies(MixShape s, boolean tf32) {
        return s.rows() >= POOL_TILE_ROWS && s.cols() >= POOL_TILE_COLS && !tf32Applies(tf32, s.cin(), s.cout());
    }

    /** Floats of scratch the pooled mix needs (its tiles' partial row and column sums), 0 when it does not apply. */
    static long pooledMixScratch(MixShape s, boolean tf32) {
        if (!pooledMixApplies(s, tf32)) return 0;
        long planes = (long) s.batch() * s.cout();
        return ceilDiv(s.rows(), POOL_TILE_ROWS) * planes * s.cols() + ceilDiv(s.cols(), POOL_TILE_COLS) * planes * s.rows();
    }

    /**
     * The forward mix that also writes the plane means of y ({@code rowMean [B*cout][cols]},
     * {@code colMean [B*cout][rows]}, {@code allMean [B*cout]}; any may be null): where
     * {@link #pooledMixApplies}, channel_mix_pooled writes y and per-tile partial sums into
     * {@code scratch} ({@link #pooledMixScratch} floats), then plane_pools_finish adds them in tile
     * order; elsewhere channelMix, then planeReduce of y.
     */
    static List<Launch> channelMix(MixShape s, DevPtr x, DevPtr a, DevPtr bias, DevPtr row, DevPtr col, DevPtr glob, Act act, DevPtr y,
                                   DevPtr rowMean, DevPtr colMean, DevPtr allMean, DevPtr scratch, boolean tf32) {
        long planes = (long) s.batch() * s.cout();
        if (!pooledMixApplies(s, tf32)) {
            List<Launch> out = new ArrayList<>(channelMix(s, x, a, bias, row, col, glob, act, y, tf32));
            out.addAll(planeReduce(planes, s.rows(), s.cols(), y, rowMean, colMean, allMean, true));
            return out;
        }
        String what = "channelMix " + s + (act == Act.IDENTITY ? "" : " + " + act) + " + pools";
        long plane = intExtent(s.plane(), what + ": plane (rows * cols)");
        long rowTiles = ceilDiv(s.rows(), POOL_TILE_ROWS), colTiles = ceilDiv(s.cols(), POOL_TILE_COLS);
        intExtent(s.batch() * rowTiles * colTiles, what + ": tiles");
        DevPtr partRow = scratch, partCol = scratch.plusFloats(rowTiles * planes * s.cols());
        Launch mix = Launch.of(Kernel.CHANNEL_MIX_POOLED, what + " (tile partial sums)")
                .ptr(x).ptr(a).ptr(orNull(bias)).ptr(orNull(row)).ptr(orNull(col)).ptr(orNull(glob)).ptr(y)
                .i(s.batch()).i(s.cin()).i(s.cout()).i(s.rows()).i(s.cols()).i(act.ordinal()).ptr(partRow).ptr(partCol)
                .grid(s.batch() * rowTiles * colTiles, ceilDiv(s.cout(), MIX_BM), 1, THREADS);
        Launch finish = Launch.of(Kernel.PLANE_POOLS_FINISH, what + " (means)")
                .ptr(partRow).ptr(partCol).ptr(orNull(rowMean)).ptr(orNull(colMean)).ptr(orNull(allMean))
                .i(s.batch()).i(s.cout()).i(s.rows()).i(s.cols()).i((int) rowTiles).d(1.0 / s.rows()).d(1.0 / s.cols()).d(1.0 / plane)
                .grid1d(Math.min(planes, PLANE_BLOCKS));
        return List.of(mix, finish);
    }

    /** Sizes of the weight gradient's deterministic split of the N = batch * plane columns. */
    record WeightGradSplit(long columns, long chunk, int chunks) {}

    /** A fixed partition (a function of the sizes only, never of the GPU): at most 128 chunks of at least 8192 columns. */
    static WeightGradSplit weightGradSplit(long columns) {
        long wanted = Math.max(1, Math.min(WG_MAX_CHUNKS, ceilDiv(columns, WG_MIN_CHUNK)));
        long chunk = ceilDiv(ceilDiv(columns, wanted), WG_TILE) * WG_TILE;
        return new WeightGradSplit(columns, chunk, (int) ceilDiv(columns, chunk));
    }

    /** Floats of scratch the weight gradient needs (partial sums per chunk), 0 when it is not asked for. */
    static long weightGradScratch(MixShape s, boolean da, boolean dbias) {
        if (!da && !dbias) return 0;
        int chunks = weightGradSplit(s.batch() * s.plane()).chunks();
        return (da ? (long) chunks * s.cout() * s.cin() : 0) + (dbias ? (long) chunks * s.cout() : 0);
    }

    /** At most this many chunks (2-d tiles) in the pooled weight gradient's split, unless one tile row a plane needs more. */
    static final int WGP_MAX_CHUNKS = 1024;

    /**
     * Whether the mix backward takes the dOut pools (the term gradients) in the weight gradient's
     * pass over dy (mix_weight_grad_pooled): when both are asked for and the planes have at
     * least 32 columns, a full tile row; otherwise plane_reduce and mix_weight_grad_partial, two reads.
     */
    static boolean pooledWeightGradApplies(MixShape s, boolean terms, boolean weights) {
        return terms && weights && s.cols() >= WG_TILE;
    }

    /** The pooled weight gradient's chunks: tiles of tileRows plane rows by 32 columns of one sample, a function of the sizes only. */
    record PooledWeightGradSplit(int tileRows, int rowTiles, int colTiles, long chunks) {}

    static PooledWeightGradSplit pooledWeightGradSplit(MixShape s) {
        long colTiles = ceilDiv(s.cols(), WG_TILE);
        long rowTilesWanted = Math.max(1, Math.min(s.rows(), WGP_MAX_CHUNKS / (s.batch() * colTiles)));
        int tileRows = (int) ceilDiv(s.rows(), rowTilesWanted), rowTiles = (int) ceilDiv(s.rows(), tileRows);
        return new PooledWeightGradSplit(tileRows, rowTiles, (int) colTiles, s.batch() * rowTiles * colTiles);
    }

    /**
     * Floats of scratch the mix backward needs: the weight gradient's partial sums, and with
     * {@link #pooledWeightGradApplies} also the dOut pools' (row sums per tile row, column sums per
     * tile column).
     */
    static long backwardScratch(MixShape s, boolean da, boolean dbias, boolean terms) {
        if (!pooledWeightGradApplies(s, terms, da || dbias)) return weightGradScratch(s, da, dbias);
        PooledWeightGradSplit split = pooledWeightGradSplit(s);
        long planes = (long) s.batch() * s.cout();
        return (da ? split.chunks() * s.cout() * s.cin() : 0) + (dbias ? split.chunks() * s.cout() : 0)
                + split.rowTiles() * planes * s.cols() + split.colTiles() * planes * s.rows();
    }

    /**
     * The backward: dx (the channel_mix kernel with a read transposed, accumulating), then da and
     * dbias: partial sums per column chunk into {@code scratch} ({@link #weightGradScratch}
     * floats), then their fixed-order sum. With {@code tf32}, dx on the tensor cores where
     * {@link #tf32Applies} (da and dbias stay FP32).
     */
    static List<Launch> channelMixBackward(MixShape s, DevPtr x, DevPtr a, DevPtr dy, DevPtr dx, DevPtr da, DevPtr dbias, DevPtr scratch,
                                           boolean tf32) {
        return channelMixBackward(s, x, a, Act.IDENTITY, null, dy, null, null, null, dx, false, da, dbias, scratch, tf32);
    }

    /**
     * The fused backward of a mix whose output y went through {@code act} (IDENTITY or RELU, the
     * activations differentiable from their output): every pass loads dy and, for RELU, multiplies
     * it by relu'(y) as it goes (the kernels' gate), so dy * relu'(y) is never stored. First the
     * plane sums of the broadcast terms' gradients (dRow, dCol, dGlob, any may be null: one
     * plane_reduce), then the passes of the plain backward, dx stored instead of added to with
     * {@code overwriteDx}. y is unused (and may be null) for IDENTITY.
     */
    static List<Launch> channelMixBackward(MixShape s, DevPtr x, DevPtr a, Act act, DevPtr y, DevPtr dy, DevPtr dRow, DevPtr dCol,
                                           DevPtr dGlob, DevPtr dx, boolean overwriteDx, DevPtr da, DevPtr dbias, DevPtr scratch, boolean tf32) {
        List<Launch> out = new ArrayList<>();
        String what = "channelMixBackward " + s + (act == Act.IDENTITY ? "" : " through " + act);
        if (act != Act.IDENTITY && act != Act.RELU)
            throw new IllegalArgumentException(what + ": the kernels fuse only relu' (an activation differentiable from its output)");
        DevPtr gate = act == Act.RELU ? y : null;
        boolean terms = dRow != null || dCol != null || dGlob != null, fused = pooledWeightGradApplies(s, terms, da != null || dbias != null);
        if (!fused) out.addAll(planeReduce((long) s.batch() * s.cout(), s.rows(), s.cols(), dy, gate, dRow, dCol, dGlob, false));
        if (dx != null)
            out.add(mix(what + " (dx)", s.batch(), s.cout(), s.cin(), s.rows(), s.cols(), dy, gate, a, 1, s.cin(), null, null, null, null,
                    dx, !overwriteDx, Act.IDENTITY, tf32));
        if (fused) {
            out.addAll(pooledWeightGrad(what, s, x, dy, gate, dRow, dCol, dGlob, da, dbias, scratch));
        } else if (da != null || dbias != null) {
            intExtent(s.plane(), what + ": plane (rows * cols)");
            intExtent((long) s.cout() * s.cin(), what + ": weight (cout * cin)");
            WeightGradSplit split = weightGradSplit(s.batch() * s.plane());
            DevPtr partDa = da == null ? DevPtr.NULL : scratch;
            DevPtr partDb = dbias == null ? DevPtr.NULL : scratch.plusFloats(da == null ? 0 : (long) split.chunks() * s.cout() * s.cin());
            Launch.Builder partial = Launch.of(gate == null ? Kernel.MIX_WEIGHT_GRAD_PARTIAL : Kernel.MIX_WEIGHT_GRAD_PARTIAL_RELU_GATED,
                            what + " (weight partial sums, " + split.chunks() + " chunks of " + split.chunk() + ")")
                    .ptr(orNull(x)).ptr(dy).ptr(partDa).ptr(partDb).i(s.batch()).i(s.cin()).i(s.cout()).i(s.rows()).i(s.cols()).l(split.chunk());
            if (gate != null) partial.ptr(gate);
            out.add(partial.grid(split.chunks(), ceilDiv(s.cout(), WG_TILE), da == null ? 1 : ceilDiv(s.cin(), WG_TILE), THREADS));
            long outputs = Math.max((long) s.cout() * s.cin(), s.cout());
            out.add(Launch.of(Kernel.MIX_WEIGHT_GRAD_FINAL, what + " (weight final sums)")
                    .ptr(partDa).ptr(partDb).ptr(orNull(da)).ptr(orNull(dbias)).i(s.cin()).i(s.cout()).i(split.chunks())
                    .grid1d(ceilDiv(outputs, THREADS)));
        }
        return out;
    }

    /**
     * da, dbias and the dOut pools in one pass over dy: mix_weight_grad_pooled (gated through a
     * ReLU) writes the partial sums into scratch (partDa, partDb, then the pools' row and column
     * sums; {@link #backwardScratch}), plane_pools_finish adds the pools' in tile order, and
     * mix_weight_grad_final the weight gradient's in chunk order.
     */
    private static List<Launch> pooledWeightGrad(String what, MixShape s, DevPtr x, DevPtr dy, DevPtr gate, DevPtr dRow, DevPtr dCol,
                                                 DevPtr dGlob, DevPtr da, DevPtr dbias, DevPtr scratch) {
        intExtent(s.plane(), what + ": plane (rows * cols)");
        intExtent((long) s.cout() * s.cin(), what + ": weight (cout * cin)");
        PooledWeightGradSplit split = pooledWeightGradSplit(s);
        intExtent(split.chunks(), what + ": chunks");
        long planes = (long) s.batch() * s.cout(), daFloats = da == null ? 0 : split.chunks() * s.cout() * s.cin();
        long dbFloats = dbias == null ? 0 : split.chunks() * s.cout();
        DevPtr partDa = da == null ? DevPtr.NULL : scratch, partDb = dbias == null ? DevPtr.NULL : scratch.plusFloats(daFloats);
        DevPtr partRow = scratch.plusFloats(daFloats + dbFloats), partCol = partRow.plusFloats(split.rowTiles() * planes * s.cols());
        Launch.Builder pass = Launch.of(gate == null ? Kernel.MIX_WEIGHT_GRAD_POOLED : Kernel.MIX_WEIGHT_GRAD_POOLED_RELU_GATED,
                        what + " (weight and dOut-pool partial sums, " + split.chunks() + " tiles of " + split.tileRows() + " x " + WG_TILE + ")")
                .ptr(x).ptr(dy).ptr(partDa).ptr(partDb).ptr(partRow).ptr(partCol)
                .i(s.batch()).i(s.cin()).i(s.cout()).i(s.rows()).i(s.cols()).i(split.tileRows());
        if (gate != null) pass.ptr(gate);
        List<Launch> out = new ArrayList<>();
        out.add(pass.grid(split.chunks(), ceilDiv(s.cout(), WG_TILE), da == null ? 1 : ceilDiv(s.cin(), WG_TILE), THREADS));
        out.add(Launch.of(Kernel.PLANE_POOLS_FINISH, what + " (dOut pools)")
                .ptr(partRow).ptr(partCol).ptr(orNull(dRow)).ptr(orNull(dCol)).ptr(orNull(dGlob))
                .i(s.batch()).i(s.cout()).i(s.rows()).i(s.cols()).i(split.rowTiles()).d(1).d(1).d(1)
                .grid1d(Math.min(planes, PLANE_BLOCKS)));
        long outputs = Math.max((long) s.cout() * s.cin(), s.cout());
        out.add(Launch.of(Kernel.MIX_WEIGHT_GRAD_FINAL, what + " (weight final sums)")
                .ptr(partDa).ptr(partDb).ptr(orNull(da)).ptr(orNull(dbias)).i(s.cin()).i(s.cout()).i((int) split.chunks())
                .grid1d(ceilDiv(outputs, THREADS)));
        return out;
    }

    // ---- copies ------------------------------------------------------------------------------------

    /**
     * copy4d's axis split: outer axes (one destination element per index, one thread each) and
     * summed axes (a zero destination stride over more than one index), both in axis order and
     * padded with extent 1 at the front.
     */
    record CopySplit(long outer, int[] outerDims, long[] outerSrc, long[] outerDst, int[] sumDims, long[] sumSrc) {}

    static CopySplit copySplit(int[] dims, long[] ss, long[] ds) {
        int[] od = {1, 1, 1, 1}, zd = {1, 1, 1, 1};
        long[] os = new long[4], odst = new long[4], zs = new long[4];
        int no = 0, nz = 0;
        for (int i = 0; i < 4; i++) if (!(ds[i] == 0 && dims[i] > 1)) no++; else nz++;
        int io = 4 - no, iz = 4 - nz;
        long outer = 1;
        for (int i = 0; i < 4; i++) {
            if (ds[i] == 0 && dims[i] > 1) {
                zd[iz] = dims[i];
                zs[iz++] = ss[i];
            } else {
                od[io] = dims[i];
                os[io] = ss[i];
                odst[io++] = ds[i];
                outer *= dims[i];
            }
        }
        return new CopySplit(outer, od, os, odst, zd, zs);
    }

    static List<Launch> copy4d(int[] dims, DevPtr src, long[] ss, DevPtr dst, long[] ds, boolean accumulate) {
        for (int d : dims) if (d == 0) return List.of(); // an empty range copies nothing
        CopySplit c = copySplit(dims, ss, ds);
        String what = "copy4d dims " + java.util.Arrays.toString(dims);
        Launch.Builder b = Launch.of(Kernel.COPY4D, what).ptr(src).ptr(dst).l(c.outer());
        for (int v : c.outerDims()) b.i(v);
        for (long v : c.outerSrc()) b.l(v);
        for (long v : c.outerDst()) b.l(v);
        for (int v : c.sumDims()) b.i(v);
        for (long v : c.sumSrc()) b.l(v);
        return List.of(b.i(accumulate ? 1 : 0).grid1d(strideBlocks(c.outer())));
    }

    // ---- elementwise -------------------------------------------------------------------------------

    static List<Launch> planeScale(long planes, int n, DevPtr x, DevPtr scale, DevPtr y) {
        if (planes == 0 || n == 0) return List.of();
        intExtent(n, "planeScale n");
        return List.of(Launch.of(Kernel.PLANE_SCALE, "planeScale " + planes + " planes of " + n).ptr(x).ptr(scale).ptr(y).l(planes).i(n)
                .grid1d(strideBlocks(planes * n)));
    }

    static List<Launch> activation(Act act, long n, DevPtr x, DevPtr y) {
        if (n == 0) return List.of();
        return List.of(Launch.of(Kernel.ACTIVATION, "activation " + act + " n=" + n).ptr(x).ptr(y).l(n).i(act.ordinal()).grid1d(strideBlocks(n)));
    }

    static List<Launch> activationBackward(Act act, long n, DevPtr x, DevPtr dy, DevPtr dx) {
        if (n == 0) return List.of();
        return List.of(Launch.of(Kernel.ACTIVATION_BACKWARD, "activationBackward " + act + " n=" + n).ptr(x).ptr(dy).ptr(dx).l(n).i(act.ordinal())
                .grid1d(strideBlocks(n)));
    }

    static List<Launch> lossGradient(LossFn fn, int n, DevPtr pred, DevPtr target, DevPtr grad) {
        if (n == 0) return List.of();
        return List.of(Launch.of(Kernel.LOSS_GRADIENT, "lossGradient " + fn + " n=" + n).ptr(pred).ptr(target).ptr(grad).i(n).i(fn.ordinal())
                .grid1d(strideBlocks(n)));
    }

    // ---- statistics --------------------------------------------------------------------------------

    static List<Launch> planeStats(long planes, int n, DevPtr x, DevPtr out) {
        if (planes == 0) return List.of();
        if (n < 1) throw new IllegalArgumentException("planeStats of planes of " + n + " values");
        intExtent(n, "planeStats n");
        return List.of(Launch.of(Kernel.PLANE_STATS, "planeStats " + planes + " planes of " + n).ptr(x).ptr(out).l(planes).i(n)
                .grid1d(Math.min(planes, PLANE_BLOCKS)));
    }

    static List<Launch> planeStatsBackward(long planes, int n, DevPtr x, DevPtr dOut, DevPtr dx) {
        if (planes == 0) return List.of();
        if (n < 1) throw new IllegalArgumentException("planeStatsBackward of planes of " + n + " values");
        intExtent(n, "planeStatsBackward n");
        return List.of(Launch.of(Kernel.PLANE_STATS_BACKWARD, "planeStatsBackward " + planes + " planes of " + n).ptr(x).ptr(dOut).ptr(dx)
                .l(planes).i(n).grid1d(Math.min(planes, PLANE_BLOCKS)));
    }

    // ---- layer norms and attention ------------------------------------------------------------------

    /** Blocks of attention_backward: each holds a tokens x tokens slice of double scratch ({@link #attentionScratchDoubles}). */
    static final int ATTENTION_BLOCKS = 4096;

    private static void normExtents(NormShape s) {
        intExtent(s.n(), "layerNorm group (a * inner)");
        intExtent((long) s.groups() * s.inner(), "layerNorm groups * inner");
    }

    static List<Launch> layerNorm(NormShape s, DevPtr x, DevPtr gamma, DevPtr beta, DevPtr y) {
        normExtents(s);
        long count = (long) s.outer() * s.groups();
        return List.of(Launch.of(Kernel.LAYER_NORM, "layerNorm " + s).ptr(x).ptr(gamma).ptr(beta).ptr(y).l(count)
                .i(s.a()).i(s.groups()).i(s.inner()).i(s.kind().ordinal()).d(s.eps()).grid1d(Math.min(count, PLANE_BLOCKS)));
    }

    /** Doubles of layer_norm_backward's per-group statistics. */
    static long layerNormScratchDoubles(NormShape s) {
        return 2L * s.outer() * s.groups();
    }

    /** dx and the statistics per group, then the parameter gradients from them (when asked for). */
    static List<Launch> layerNormBackward(NormShape s, DevPtr x, DevPtr gamma, DevPtr dy, DevPtr dx, DevPtr dgamma, DevPtr dbeta, DevPtr stats) {
        normExtents(s);
        long count = (long) s.outer() * s.groups();
        List<Launch> out = new ArrayList<>();
        if (dx == null && dgamma == null && dbeta == null) return out;
        out.add(Launch.of(Kernel.LAYER_NORM_BACKWARD, "layerNormBackward " + s).ptr(x).ptr(gamma).ptr(dy).ptr(orNull(dx)).ptr(stats).l(count)
                .i(s.a()).i(s.groups()).i(s.inner()).i(s.kind().ordinal()).d(s.eps()).grid1d(Math.min(count, PLANE_BLOCKS)));
        if (dgamma != null || dbeta != null)
            out.add(Launch.of(Kernel.LAYER_NORM_PARAM_GRAD, "layerNorm parameter gradients " + s).ptr(x).ptr(dy).ptr(stats)
                    .ptr(orNull(dgamma)).ptr(orNull(dbeta)).l(count).i(s.a()).i(s.groups()).i(s.inner()).grid1d(strideBlocks(s.n())));
        return out;
    }

    private static void attentionExtents(int tokens, int dim) {
        if (tokens < 1 || dim < 1) throw new IllegalArgumentException("attention over " + tokens + " tokens of " + dim + " values");
        intExtent((long) tokens * tokens, "attention tokens^2");
        intExtent(3L * tokens * dim, "attention tokens * 3 * dim");
    }

    static List<Launch> attention(long groups, int tokens, int dim, float scale, DevPtr qkv, DevPtr probs, DevPtr out) {
        if (groups == 0) return List.of();
        attentionExtents(tokens, dim);
        return List.of(Launch.of(Kernel.ATTENTION, "attention " + groups + " sets of " + tokens + " tokens x " + dim).ptr(qkv).ptr(probs).ptr(out)
                .l(groups).i(tokens).i(dim).f(scale).grid1d(Math.min(groups, PLANE_BLOCKS)));
    }

    static long attentionScratchDoubles(long groups, int tokens) {
        return Math.min(groups, ATTENTION_BLOCKS) * tokens * (long) tokens;
    }

    static List<Launch> attentionBackward(long groups, int tokens, int dim, float scale, DevPtr qkv, DevPtr probs, DevPtr dOut, DevPtr dqkv,
                                          DevPtr dScores) {
        if (groups == 0) return List.of();
        attentionExtents(tokens, dim);
        return List.of(Launch.of(Kernel.ATTENTION_BACKWARD, "attentionBackward " + groups + " sets of " + tokens + " tokens x " + dim)
                .ptr(qkv).ptr(probs).ptr(dOut).ptr(dqkv).ptr(dScores).l(groups).i(tokens).i(dim).f(scale)
                .grid1d(Math.min(groups, ATTENTION_BLOCKS)));
    }

    // ---- SIRENs ------------------------------------------------------------------------------------

    /** The largest sizes kernels/siren.cu holds in shared memory (SIREN_MAX_IN, SIREN_MAX_HIDDEN, SIREN_MAX_OUT). */
    static final int SIREN_MAX_IN = 4, SIREN_MAX_HIDDEN = 32, SIREN_MAX_OUT = 4;
    /** Blocks of the SIREN kernels: one SIREN each, grid-stride beyond. */
    static final int SIREN_BLOCKS = 1 << 16;

    private static void sirenExtents(SirenShape s) {
        if (s.in() > SIREN_MAX_IN || s.hidden() > SIREN_MAX_HIDDEN || s.out() > SIREN_MAX_OUT)
            throw new IllegalArgumentException("the cuda SIREN kernels take in <= " + SIREN_MAX_IN + ", hidden <= " + SIREN_MAX_HIDDEN + ", out <= "
                    + SIREN_MAX_OUT + ", got " + s);
    }

    static List<Launch> siren(SirenShape s, DevPtr weights, DevPtr coords, DevPtr out) {
        sirenExtents(s);
        return List.of(Launch.of(Kernel.SIREN_FORWARD, "siren " + s).ptr(weights).ptr(coords).ptr(out).i(s.batch()).i(s.points()).i(s.in())
                .i(s.hidden()).i(s.out()).f(s.omega0()).f(s.omega()).grid1d(Math.min(s.batch(), SIREN_BLOCKS)));
    }

    static List<Launch> sirenBackward(SirenShape s, DevPtr weights, DevPtr coords, DevPtr dOut, DevPtr target, DevPtr dWeights, DevPtr loss) {
        sirenExtents(s);
        return List.of(Launch.of(Kernel.SIREN_BACKWARD, "sirenBackward " + s).ptr(weights).ptr(coords).ptr(orNull(dOut)).ptr(orNull(target))
                .ptr(dWeights).ptr(orNull(loss)).i(s.batch()).i(s.points()).i(s.in()).i(s.hidden()).i(s.out()).f(s.omega0()).f(s.omega())
                .grid1d(Math.min(s.batch(), SIREN_BLOCKS)));
    }

    // ---- Adam --------------------------------------------------------------------------------------

    /**
     * The step's scalars as the reference rounds them ({@link AdamScalars}: lr / bc1, sqrt(bc2),
     * decay, l2, each a float widened exactly), set on the device by a one-thread kernel (so the
     * step stays capturable), then the update.
     */
    static List<Launch> adamStep(long n, DevPtr param, DevPtr grad, DevPtr m, DevPtr v, AdamConfig cfg, long step, DevPtr hyper) {
        AdamScalars k = AdamScalars.of(cfg, step);
        List<Launch> out = new ArrayList<>();
        out.add(Launch.of(Kernel.ADAM_HYPER_SET, "adamStep " + step).ptr(hyper).d(-(double) k.negStep()).d(k.bc2Sqrt()).d(k.decay()).d(k.l2())
                .grid(1, 1, 1, 1));
        out.add(adamUpdate(n, param, grad, m, v, cfg, hyper));
        return out;
    }

    /** As {@link #adamStep}, the step and learning rate taken from a device counter. */
    static List<Launch> adamStepCounter(long n, DevPtr param, DevPtr grad, DevPtr m, DevPtr v, AdamConfig cfg, int warmupSteps, DevPtr counter,
                                        DevPtr hyper) {
        List<Launch> out = new ArrayList<>();
        out.add(Launch.of(Kernel.ADAM_HYPER_FROM_COUNTER, "adamStep (device counter)").ptr(counter).ptr(hyper).d(cfg.lr()).d(cfg.beta1())
                .d(cfg.beta2()).d(cfg.weightDecay()).i(cfg.decoupled() ? 1 : 0).i(warmupSteps).grid(1, 1, 1, 1));
        out.add(adamUpdate(n, param, grad, m, v, cfg, hyper));
        return out;
    }

    private static Launch adamUpdate(long n, DevPtr param, DevPtr grad, DevPtr m, DevPtr v, AdamConfig cfg, DevPtr hyper) {
        return Launch.of(Kernel.ADAM_STEP, "adamStep n=" + n).ptr(param).ptr(grad).ptr(m).ptr(v).ptr(hyper).l(n)
                .d(cfg.beta1()).d(cfg.beta2()).d(cfg.eps()).grid1d(strideBlocks(n));
    }
}
