package dev.nfn4j.nn;

import dev.nfn4j.nn.MixGraph.Concat;
import dev.nfn4j.nn.MixGraph.Mix;
import dev.nfn4j.nn.MixGraph.Place;
import dev.nfn4j.nn.MixGraph.Pool;
import dev.nfn4j.nn.MixGraph.Region;
import dev.nfn4j.nn.MixGraph.Src;
import dev.nfn4j.space.WsLayout;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a {@link MixGraph}'s fused ops apply, planned once from its wiring: which mixes take
 * the pools of the output they write ({@link #outputPools}), and how the backward writes the
 * input gradient ({@link #inputGrads}).
 */
final class FusionPlanner {
    private FusionPlanner() {}

    /**
     * A mix that writes a whole output tensor, and where in the OUTPOOL region it puts that
     * tensor's pools, as the next layer's {@link Pool} of it takes them: a weight W_i written as
     * {@code [B][f_i C'][rows_i][cols_i]} gives row, column and global means; a bias b_i written as
     * {@code [B][C'][1][n_i]} its global means (rowOut and colOut -1).
     */
    record OutputPools(Mix mix, int layer, boolean bias, long rowOut, long colOut, long allOut) {}

    /**
     * The backward's plan for the input gradient. {@code overwritesDx}: per mix, whether its
     * backward overwrites its dx instead of adding to it: the first, in backward order, to write
     * a range of IN's gradient (mixes run before the concats and pools that add to IN).
     * {@code zeroRanges}: the ranges no mix overwrites, to be zeroed; the rest of IN's gradient
     * is never zeroed nor read back (for np_mlp256's 256 x 256 planes, two passes over 64 MB a
     * layer). {@code broadcastInto}: per pool, the mix whose input gradient takes the pool's
     * adjoint ({@link #broadcastInto}), or null; {@code dxWaits}: per mix, whether it is one of those.
     */
    record InputGrads(boolean[] overwritesDx, List<long[]> zeroRanges, Mix[] broadcastInto, boolean[] dxWaits) {}

    /**
     * The output pools of every mix that writes a whole output tensor, their space reserved in
     * OUTPOOL. Tensors written otherwise (HNP's placed and reshaped first and last layers) give
     * none; the next layer pools those itself.
     */
    static List<OutputPools> outputPools(MixGraph g) {
        WsLayout out = g.out;
        List<OutputPools> list = new ArrayList<>();
        for (Mix m : g.mixes()) {
            if (m.outRegion() != Region.OUT) continue;
            for (int i = 0; i < out.numLayers(); i++) {
                int rows = out.spec().rows(i), cols = out.spec().cols(i);
                long planes = (long) g.batch * m.cout();
                if (m.outOffset() == out.wOffset(i) && m.cout() == out.wChannels(i) && m.rows() == rows && m.cols() == cols)
                    list.add(new OutputPools(m, i, false, g.reserve(Region.OUTPOOL, planes * cols), g.reserve(Region.OUTPOOL, planes * rows),
                            g.reserve(Region.OUTPOOL, planes)));
                else if (m.outOffset() == out.bOffset(i) && m.cout() == out.channels() && m.rows() == 1 && m.cols() == rows)
                    list.add(new OutputPools(m, i, true, -1, -1, g.reserve(Region.OUTPOOL, planes)));
            }
        }
        return List.copyOf(list);
    }

    static InputGrads inputGrads(MixGraph g) {
        List<Mix> mixes = g.mixes();
        boolean[] overwrites = new boolean[mixes.size()];
        List<long[]> written = new ArrayList<>();
        for (int q = mixes.size() - 1; q >= 0; q--) {
            Mix m = mixes.get(q);
            if (m.inRegion() != Region.IN) continue;
            long from = m.inOffset(), to = from + extent(g, m);
            if (written.stream().anyMatch(r -> r[0] < to && from < r[1])) continue; // an earlier writer: add to it
            overwrites[q] = true;
            written.add(new long[]{from, to});
        }
        written.sort((u, v) -> Long.compare(u[0], v[0]));
        List<long[]> zero = new ArrayList<>();
        long at = 0, size = g.size(Region.IN);
        for (long[] r : written) {
            if (r[0] > at) zero.add(new long[]{at, r[0]});
            at = Math.max(at, r[1]);
        }
        if (at < size) zero.add(new long[]{at, size});
        Mix[] into = broadcastInto(g, overwrites);
        boolean[] waits = new boolean[mixes.size()];
        for (Mix m : into)
            for (int q = 0; q < mixes.size(); q++) waits[q] |= mixes.get(q) == m;
        return new InputGrads(overwrites, List.copyOf(zero), into, waits);
    }

    /**
     * Per pool, the mix whose input gradient takes the pool's adjoint as its epilogue
     * ({@link dev.nfn4j.ops.MixGrads#pools}), or null: the mix that reads exactly the pooled
     * tensor and writes its gradient first, when nothing else in the backward writes that
     * gradient (no other mix, concat, pool or placement reads an overlapping range of the input)
     * and the mix's own dy is final when the mixes have run (it writes the output, which nothing
     * in the backward adds to). Its dx then waits until the concats have given the pool its
     * gradients, and the pool's broadcast pass over the gradient is not made.
     */
    private static Mix[] broadcastInto(MixGraph g, boolean[] overwrites) {
        List<Pool> pools = g.pools();
        List<Mix> mixes = g.mixes();
        Mix[] into = new Mix[pools.size()];
        for (int k = 0; k < pools.size(); k++) {
            Pool p = pools.get(k);
            if (p.from() != Region.IN) continue;
            long from = p.fromOffset(), to = from + p.planes() * p.rows() * p.cols();
            Mix only = null;
            int readers = 0;
            for (int q = 0; q < mixes.size(); q++) {
                Mix m = mixes.get(q);
                if (m.inRegion() != Region.IN || !overlaps(m.inOffset(), m.inOffset() + extent(g, m), from, to)) continue;
                readers++;
                if (overwrites[q] && m.outRegion() == Region.OUT && m.inOffset() == from && (long) g.batch * m.cin() == p.planes()
                        && m.rows() == p.rows() && m.cols() == p.cols())
                    only = m;
            }
            for (Pool o : pools)
                if (o != p && o.from() == Region.IN && overlaps(o.fromOffset(), o.fromOffset() + o.planes() * o.rows() * o.cols(), from, to)) readers++;
            for (Concat c : g.concats())
                for (Src s : c.sources())
                    if (s.region() == Region.IN && overlaps(s.offset(), s.offset() + extent(s.dims(), s.strides()), from, to)) readers++;
            for (Place pl : g.places())
                if (pl.from() == Region.IN && overlaps(pl.fromOffset(), pl.fromOffset() + extent(pl.dims(), pl.fromStrides()), from, to)) readers++;
            if (readers == 1) into[k] = only;
        }
        return into;
    }

    private static boolean overlaps(long a0, long a1, long b0, long b1) {
        return a0 < b1 && b0 < a1;
    }

    /** The floats a mix reads of its input, {@code [B][cin][rows][cols]}. */
    private static long extent(MixGraph g, Mix m) {
        return (long) g.batch * m.cin() * m.rows() * m.cols();
    }

    /** One past the largest offset a strided 4-d view reaches. */
    private static long extent(int[] dims, long[] strides) {
        long last = 0;
        for (int i = 0; i < 4; i++) last += (long) (dims[i] - 1) * strides[i];
        return last + 1;
    }
}
