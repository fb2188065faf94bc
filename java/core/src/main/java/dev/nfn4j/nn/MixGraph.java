package dev.nfn4j.nn;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.MixEpilogue;
import dev.nfn4j.ops.MixGrads;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.PlanePools;
import dev.nfn4j.ops.PoolGrads;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.space.WsPools;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The wiring of an equivariant NF-Layer as {@link Ops} calls, shared by NPLinear, HNPLinear and
 * Pointwise, with one backward written once for all of them. An NF-Layer is (DESIGN.md section 5):
 * <ol>
 *   <li>pools: row, column and global means of every W_i, means of every b_i;</li>
 *   <li>concats: pooled vectors and rearranged inputs gathered along channels, {@code [B][ch][n]};</li>
 *   <li>mixes: {@code y = A x + bias (+ row, column and global terms from earlier mixes)}, with x an
 *       input tensor or a concat, writing to an internal buffer, the output, or a staging buffer;</li>
 *   <li>placements: staging buffers copied, transposed, into the output (HNP's first and last layer).</li>
 * </ol>
 * The pools of stage 1 may come from the layer before ({@link WsPools}): its mixes take the
 * plane means of every output tensor they write whole as they store it, so a stack of NF-Layers
 * reads each hidden weight space once instead of twice.
 * Every intermediate lives in one of a few per-call buffers ({@link Region}), addressed by offset.
 * A graph is built for one batch size; the layers cache one per size.
 */
final class MixGraph {
    enum Region { IN, POOL, CAT, Y, STAGE, OUT, OUTPOOL }

    /** A strided 4-d view {@code [B][c1][c2][n]} of a region, read as {@code [B][c1*c2][n]}. */
    record Src(Region region, long offset, int[] dims, long[] strides) {
        int channels() {
            return dims[1] * dims[2];
        }

        int n() {
            return dims[3];
        }

        /** The same values with the position axis folded into the channels: {@code [B][c1*c2*n][1]}. */
        Src flat() {
            if (dims[2] != 1) throw new IllegalStateException("flat() of a view that already has two channel axes");
            return new Src(region, offset, new int[]{dims[0], dims[1], dims[3], 1}, new long[]{strides[0], strides[1], strides[3], 0});
        }
    }

    record Concat(long offset, int channels, int n, List<Src> sources) {}

    /** y {@code [B][cout][rows][cols]} at (outRegion, outOffset) = A x + bias + terms; x {@code [B][cin][rows][cols]} contiguous. */
    record Mix(Param weight, Param bias, Region inRegion, long inOffset, int cin, int rows, int cols, int cout,
               Region outRegion, long outOffset, Mix rowTerm, Mix colTerm, Mix globTerm) {}

    /** Pools of input tensor {@code layer} (its weight, or its bias when {@code bias}). */
    record Pool(int layer, boolean bias, long planes, int rows, int cols, Region from, long fromOffset, long rowOut, long colOut, long allOut) {}

    record Place(int[] dims, Region from, long fromOffset, long[] fromStrides, Region to, long toOffset, long[] toStrides) {}

    final WsLayout in, out;
    final int batch;
    private final List<Pool> pools = new ArrayList<>();
    private final List<Concat> concats = new ArrayList<>();
    private final List<Mix> mixes = new ArrayList<>();
    private final List<Place> places = new ArrayList<>();
    private final Map<Region, Long> sizes = new EnumMap<>(Region.class);

    MixGraph(WsLayout in, WsLayout out) {
        if (in.batch() != out.batch() || !in.spec().equals(out.spec()))
            throw new IllegalArgumentException("input " + in + " and output " + out + " layouts differ in batch or spec");
        this.in = in;
        this.out = out;
        this.batch = in.batch();
        for (Region r : Region.values()) sizes.put(r, 0L);
        sizes.put(Region.IN, in.size());
        sizes.put(Region.OUT, out.size());
    }

    /** Reserves n floats of region r; returns their offset. */
    long reserve(Region r, long n) {
        long off = sizes.get(r);
        sizes.put(r, off + n);
        return off;
    }

    /** Floats of region r reserved so far. */
    long size(Region r) {
        return sizes.get(r);
    }

    List<Pool> pools() {
        return pools;
    }

    List<Concat> concats() {
        return concats;
    }

    List<Mix> mixes() {
        return mixes;
    }

    List<Place> places() {
        return places;
    }

    // ---- building -----------------------------------------------------------------------------

    /** Pools of layer i's inputs, computed once per forward (stage 1). */
    record Pooled(Src rowMean, Src colMean, Src rcMean, Src bMean) {}

    Pooled pool(int i) {
        int fc = in.wChannels(i), rows = in.spec().rows(i), cols = in.spec().cols(i), c = in.channels();
        long planes = (long) batch * fc;
        long row = reserve(Region.POOL, planes * cols), col = reserve(Region.POOL, planes * rows), all = reserve(Region.POOL, planes);
        pools.add(new Pool(i, false, planes, rows, cols, Region.IN, in.wOffset(i), row, col, all));
        long bAll = reserve(Region.POOL, (long) batch * c);
        pools.add(new Pool(i, true, (long) batch * c, 1, rows, Region.IN, in.bOffset(i), -1, -1, bAll));
        return new Pooled(plane(Region.POOL, row, fc, cols), plane(Region.POOL, col, fc, rows),
                plane(Region.POOL, all, fc, 1), plane(Region.POOL, bAll, c, 1));
    }

    /** A contiguous {@code [B][ch][n]} block of a region. */
    Src plane(Region r, long offset, int ch, int n) {
        return new Src(r, offset, new int[]{batch, ch, 1, n}, new long[]{(long) ch * n, n, 0, 1});
    }

    /** Input W_i as {@code b c rows cols -> b (c rows) cols}: contiguous. */
    Src inW(int i) {
        return plane(Region.IN, in.wOffset(i), in.wChannels(i) * in.spec().rows(i), in.spec().cols(i));
    }

    /** Input W_i as {@code b c rows cols -> b (c cols) rows}: a transposed view. */
    Src inWT(int i) {
        int fc = in.wChannels(i), rows = in.spec().rows(i), cols = in.spec().cols(i);
        return new Src(Region.IN, in.wOffset(i), new int[]{batch, fc, cols, rows},
                new long[]{(long) fc * rows * cols, (long) rows * cols, 1, cols});
    }

    /** Input b_i, {@code [B][C][n_i]}. */
    Src inB(int i) {
        return plane(Region.IN, in.bOffset(i), in.channels(), in.spec().rows(i));
    }

    Concat concat(int n, List<Src> sources) {
        int ch = 0;
        for (Src s : sources) {
            if (s.n() != n) throw new IllegalStateException("concat of length " + n + " given a source of length " + s.n());
            ch += s.channels();
        }
        Concat c = new Concat(reserve(Region.CAT, (long) batch * ch * n), ch, n, List.copyOf(sources));
        concats.add(c);
        return c;
    }

    /** An internal mix of a concat: {@code Y [B][cout][1][n]}, used as a term or a bias. */
    Mix mix(Param w, Param b, Concat x, int cout) {
        return add(w, b, Region.CAT, x.offset, x.channels, 1, x.n, cout, Region.Y, reserve(Region.Y, (long) batch * cout * x.n), null, null, null);
    }

    /** Mix of a concat into a staging buffer (to be placed into the output by {@link #place}). */
    Mix mixToStage(Param w, Param b, Concat x, int cout, Mix globTerm) {
        return add(w, b, Region.CAT, x.offset, x.channels, 1, x.n, cout, Region.STAGE, reserve(Region.STAGE, (long) batch * cout * x.n),
                null, null, globTerm);
    }

    /** Mix of input W_i (plane rows x cols) straight into output W_i, with optional broadcast terms. */
    Mix mixWeight(Param w, Param b, int i, Mix row, Mix col, Mix glob) {
        return add(w, b, Region.IN, in.wOffset(i), in.wChannels(i), in.spec().rows(i), in.spec().cols(i), out.wChannels(i),
                Region.OUT, out.wOffset(i), row, col, glob);
    }

    /** Mix of input b_i into output b_i. */
    Mix mixBiasInput(Param w, Param b, int i) {
        return add(w, b, Region.IN, in.bOffset(i), in.channels(), 1, in.spec().rows(i), out.channels(), Region.OUT, out.bOffset(i),
                null, null, null);
    }

    /** Mix of a concat (length n_i) into output b_i, plus a global term. */
    Mix mixBias(Param w, Param b, int i, Concat x, Mix glob) {
        return add(w, b, Region.CAT, x.offset, x.channels, 1, x.n, out.channels(), Region.OUT, out.bOffset(i), null, null, glob);
    }

    /** Mix of a concat (length n_{i-1}) into output W_i read as {@code [B][(c' n_i)][1][n_{i-1}]} (HNP's last layer). */
    Mix mixToWeight(Param w, Param b, int i, Concat x, Mix glob) {
        return add(w, b, Region.CAT, x.offset, x.channels, 1, x.n, out.wChannels(i) * out.spec().rows(i), Region.OUT, out.wOffset(i),
                null, null, glob);
    }

    /** A global-vector mix written straight into output b_i read as {@code [B][C' n_i]} (HNP's last bias). */
    Mix mixGlobalToBias(Param w, Param b, int i, Concat g) {
        return add(w, b, Region.CAT, g.offset, g.channels, 1, 1, out.channels() * out.spec().rows(i), Region.OUT, out.bOffset(i),
                null, null, null);
    }

    private Mix add(Param w, Param b, Region inR, long inOff, int cin, int rows, int cols, int cout, Region outR, long outOff,
                    Mix row, Mix col, Mix glob) {
        if (w.numel() != (long) cin * cout)
            throw new IllegalStateException("parameter " + w + " has " + w.numel() + " values, wiring needs [" + cout + ", " + cin + "]");
        if (b != null && b.numel() != cout)
            throw new IllegalStateException("parameter " + b + " has " + b.numel() + " values, wiring needs [" + cout + "]");
        checkTerm(row, cout, cols, "row");
        checkTerm(col, cout, rows, "column");
        checkTerm(glob, cout, 1, "global");
        Mix m = new Mix(w, b, inR, inOff, cin, rows, cols, cout, outR, outOff, row, col, glob);
        mixes.add(m);
        return m;
    }

    private void checkTerm(Mix t, int cout, int n, String what) {
        if (t == null) return;
        if (t.outRegion != Region.Y || t.cout != cout || t.rows * t.cols != n)
            throw new IllegalStateException(what + " term " + t.weight + " gives [" + t.cout + "][" + t.rows * t.cols + "], needs [" + cout + "][" + n + "]");
        for (Mix m : mixes)
            if (m.rowTerm == t || m.colTerm == t || m.globTerm == t)
                throw new IllegalStateException("term " + t.weight + " used twice; backward assumes one consumer");
    }

    /**
     * Places a staged mix {@code [B][(c' k)][n]} (k < inner) into output W_i as {@code [B][c'][n][inner]},
     * i.e. einops {@code b (c k) n -> b c n k}.
     */
    void placeTransposed(Mix staged, int i, int inner) {
        int n = staged.cols, cOut = staged.cout / inner;
        long outPlane = (long) n * inner;
        places.add(new Place(new int[]{batch, cOut, inner, n},
                Region.STAGE, staged.outOffset, new long[]{(long) staged.cout * n, (long) inner * n, n, 1},
                Region.OUT, out.wOffset(i), new long[]{cOut * outPlane, outPlane, 1, inner}));
    }

    /** The output pools the mixes take when a run provides them; planned, and OUTPOOL reserved, at the first such run. */
    private List<FusionPlanner.OutputPools> outputPools;

    /** How the backward writes the input gradient; planned at the first backward. */
    private FusionPlanner.InputGrads inputGrads;

    // ---- running ------------------------------------------------------------------------------

    /** Per-call buffers of the forward pass, kept for backward. */
    final class Run {
        final Map<Region, Ptr> base = new EnumMap<>(Region.class);
        final Ops ops;

        /** The pools of the output this run's mixes took as they wrote it (null when not asked for). */
        WsPools outPools;

        Run(Ops ops, Workspace ws, Ptr in, Ptr out) {
            this.ops = ops;
            base.put(Region.IN, in);
            base.put(Region.OUT, out);
            for (Region r : new Region[]{Region.POOL, Region.CAT, Region.Y, Region.STAGE, Region.OUTPOOL})
                base.put(r, ws.get("fwd." + r, sizes.get(r))); // every element is written before it is read
        }

        Ptr at(Region r, long off) {
            return base.get(r).plus(off);
        }
    }

    /**
     * Runs the layer on x (layout {@link #in}) writing y (layout {@link #out}), with {@code post}
     * applied by the mixes that write the output (directly, or to a staging buffer that a
     * placement only moves); returns what backward needs. {@code given}: pools of x taken by the
     * layer that wrote it (null: none), used instead of pooling x again. {@code providePools}:
     * the run also keeps the pools of y for the next layer ({@link Run#outPools}).
     */
    Run forward(Ops ops, Workspace ws, Ptr x, Ptr y, Act post, WsPools given, boolean providePools) {
        if (providePools && outputPools == null) outputPools = FusionPlanner.outputPools(this); // reserves OUTPOOL before the run sizes its buffers
        Run run = new Run(ops, ws, x, y);
        for (Pool p : pools) {
            Ptr row = p.rowOut < 0 ? null : run.at(Region.POOL, p.rowOut), col = p.colOut < 0 ? null : run.at(Region.POOL, p.colOut);
            Ptr all = run.at(Region.POOL, p.allOut);
            PlanePools ready = given == null ? null : given.of(p.layer, p.bias);
            if (ready == null) {
                ops.planeReduce(p.planes, p.rows, p.cols, run.at(p.from, p.fromOffset), row, col, all, true);
                continue;
            }
            if (row != null) copy(ops, ready.rowMean(), row, p.planes * p.cols);
            if (col != null) copy(ops, ready.colMean(), col, p.planes * p.rows);
            copy(ops, ready.allMean(), all, p.planes);
        }
        for (Concat c : concats) {
            int chOff = 0;
            for (Src s : c.sources) {
                ops.copy4d(s.dims, run.at(s.region, s.offset), s.strides, run.at(Region.CAT, c.offset + (long) chOff * c.n),
                        catStrides(c, s), false);
                chOff += s.channels();
            }
        }
        WsPools.Builder outPools = providePools ? WsPools.builder(out.numLayers()) : null;
        for (Mix m : mixes) {
            PlanePools mp = null;
            if (outPools != null)
                for (FusionPlanner.OutputPools p : outputPools)
                    if (p.mix() == m) {
                        mp = new PlanePools(p.rowOut() < 0 ? null : run.at(Region.OUTPOOL, p.rowOut()),
                                p.colOut() < 0 ? null : run.at(Region.OUTPOOL, p.colOut()), run.at(Region.OUTPOOL, p.allOut()));
                        outPools.put(p.layer(), p.bias(), mp);
                    }
            ops.channelMix(shape(m), run.at(m.inRegion, m.inOffset), m.weight.value(),
                    new MixEpilogue(m.bias == null ? null : m.bias.value(), termPtr(run, m.rowTerm), termPtr(run, m.colTerm), termPtr(run, m.globTerm),
                            appliesPost(m) ? post : Act.IDENTITY, mp), run.at(m.outRegion, m.outOffset));
        }
        if (outPools != null) run.outPools = outPools.build();
        for (Place p : places)
            ops.copy4d(p.dims, run.at(p.from, p.fromOffset), p.fromStrides, run.at(p.to, p.toOffset), p.toStrides, false);
        return run;
    }

    /** A contiguous copy of n floats. */
    private static void copy(Ops ops, Ptr from, Ptr to, long n) {
        ops.copy4d(new int[]{1, 1, 1, Math.toIntExact(n)}, from, new long[]{0, 0, 0, 1}, to, new long[]{0, 0, 0, 1}, false);
    }

    /** The mixes that write the output (directly, or to a staging buffer a placement only moves) apply the activation after the layer. */
    private static boolean appliesPost(Mix m) {
        return m.outRegion == Region.OUT || m.outRegion == Region.STAGE;
    }

    private static long[] catStrides(Concat c, Src s) {
        return new long[]{(long) c.channels * c.n, (long) s.dims[2] * c.n, c.n, 1};
    }

    private MixShape shape(Mix m) {
        return new MixShape(batch, m.cin, m.cout, m.rows, m.cols);
    }

    private static Ptr termPtr(Run run, Mix t) {
        return t == null ? null : run.at(t.outRegion, t.outOffset);
    }

    /**
     * Backward of {@link #forward} with the same {@code post}: returns dx (IN layout, a workspace
     * buffer), accumulating parameter gradients. The gradients of OUT and STAGE are those after
     * {@code post}; each mix that applied it differentiates it from its own output, fused into
     * its backward. A pool's adjoint goes into the input gradient of the one mix that reads the
     * pooled tensor, as that GEMM's epilogue ({@link FusionPlanner#inputGrads}), where nothing else writes
     * the tensor's gradient; that mix's dx then waits for the concats, which finish the pools'
     * gradients.
     */
    Ptr backward(Run run, Workspace ws, Ptr gradOut, Act post) {
        Ops ops = run.ops;
        Map<Region, Ptr> grad = new EnumMap<>(Region.class);
        grad.put(Region.OUT, gradOut);
        for (Region r : new Region[]{Region.POOL, Region.CAT, Region.Y, Region.STAGE})
            grad.put(r, ws.zeroed("bwd." + r, sizes.get(r))); // gradients accumulate
        if (inputGrads == null) inputGrads = FusionPlanner.inputGrads(this);
        FusionPlanner.InputGrads plan = inputGrads; // IN's: zeroed only where no mix overwrites it
        Ptr gIn = ws.get("bwd." + Region.IN, sizes.get(Region.IN));
        for (long[] r : plan.zeroRanges()) ops.fill(gIn.plus(r[0]), r[1] - r[0], 0f);
        grad.put(Region.IN, gIn);
        for (int q = places.size() - 1; q >= 0; q--) {
            Place p = places.get(q);
            ops.copy4d(p.dims, grad.get(p.to).plus(p.toOffset), p.toStrides, grad.get(p.from).plus(p.fromOffset), p.fromStrides, true);
        }
        for (int q = mixes.size() - 1; q >= 0; q--) {
            Mix m = mixes.get(q);
            boolean deferDx = plan.dxWaits()[q]; // its dx waits for its input's pool gradients (below)
            ops.channelMixBackward(shape(m), run.at(m.inRegion, m.inOffset), m.weight.value(),
                    appliesPost(m) ? post : Act.IDENTITY, run.at(m.outRegion, m.outOffset), grad.get(m.outRegion).plus(m.outOffset),
                    new MixGrads(deferDx ? null : grad.get(m.inRegion).plus(m.inOffset), m.weight.grad(), m.bias == null ? null : m.bias.grad(),
                            gradTerm(grad, m.rowTerm), gradTerm(grad, m.colTerm), gradTerm(grad, m.globTerm), plan.overwritesDx()[q]));
        }
        for (int q = concats.size() - 1; q >= 0; q--) {
            Concat c = concats.get(q);
            int chOff = 0;
            for (Src s : c.sources) {
                ops.copy4d(s.dims, grad.get(Region.CAT).plus(c.offset + (long) chOff * c.n), catStrides(c, s),
                        grad.get(s.region).plus(s.offset), s.strides, true);
                chOff += s.channels();
            }
        }
        for (int k = 0; k < pools.size(); k++) {
            Pool p = pools.get(k);
            Ptr gp = grad.get(Region.POOL);
            Ptr row = p.rowOut < 0 ? null : gp.plus(p.rowOut), col = p.colOut < 0 ? null : gp.plus(p.colOut), all = gp.plus(p.allOut);
            float sRow = 1f / p.rows, sCol = 1f / p.cols, sAll = 1f / ((float) p.rows * p.cols);
            Mix m = plan.broadcastInto()[k];
            if (m == null) {
                ops.planeBroadcast(p.planes, p.rows, p.cols, row, sRow, col, sCol, all, sAll, grad.get(p.from).plus(p.fromOffset));
                continue;
            }
            ops.channelMixBackward(shape(m), run.at(m.inRegion, m.inOffset), m.weight.value(),
                    appliesPost(m) ? post : Act.IDENTITY, run.at(m.outRegion, m.outOffset), grad.get(m.outRegion).plus(m.outOffset),
                    MixGrads.inputWithPools(grad.get(m.inRegion).plus(m.inOffset), new PoolGrads(row, sRow, col, sCol, all, sAll)));
        }
        return grad.get(Region.IN);
    }

    private static Ptr gradTerm(Map<Region, Ptr> grad, Mix t) {
        return t == null ? null : grad.get(t.outRegion).plus(t.outOffset);
    }
}
