package dev.nfn4j.nn;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;

import java.util.ArrayList;
import java.util.List;

/**
 * The invariant mean pools, NPPool and HNPPool: weight space in, {@code [B, C, K]} out. Each
 * output piece is a mean of one tensor (or the tensor itself), placed as nfn flattens it from its
 * original layout {@code [B, C, o, i, h, w]}: a conv layer's kept axis comes out as (i, h, w)
 * with i major, while the canonical layout stores the filter positions with the channels.
 */
public final class WeightPool implements Layer {
    /** What a piece keeps of W_i or b_i. */
    enum Keep { W_NOTHING, W_COLS, W_ROWS, B_NOTHING, B_ALL }

    private record Piece(int layer, Keep keep, int offset) {}

    private final Ops ops;
    private final NetworkSpec spec;
    private final boolean hidden;
    private final List<Piece> pieces = new ArrayList<>();
    private final int width;
    private final Workspace ws;
    private WsLayout lastLayout;

    private WeightPool(Ops ops, NetworkSpec spec, boolean hidden) {
        this.ops = ops;
        this.ws = new Workspace(ops);
        this.spec = spec;
        this.hidden = hidden;
        int L = spec.numLayers(), k = 0;
        for (int i = 0; i < L; i++) {
            int f = spec.filterSize(i);
            Keep w = !hidden ? Keep.W_NOTHING : i == 0 ? Keep.W_COLS : i == L - 1 ? Keep.W_ROWS : Keep.W_NOTHING;
            pieces.add(new Piece(i, w, k));
            k += f * switch (w) {
                case W_COLS -> spec.cols(i);
                case W_ROWS -> spec.rows(i);
                default -> 1;
            };
            Keep b = hidden && i == L - 1 ? Keep.B_ALL : Keep.B_NOTHING;
            pieces.add(new Piece(i, b, k));
            k += b == Keep.B_ALL ? spec.rows(i) : 1;
        }
        this.width = k;
    }

    /** nfn's NPPool: per layer, the mean of W_i per channel and filter position, then the mean of b_i. */
    public static WeightPool np(Ops ops, NetworkSpec spec) {
        return new WeightPool(ops, spec, false);
    }

    /**
     * nfn's HNPPool: layer 0 keeps its n_in columns (mean over rows), layer L-1 keeps its n_out
     * rows (mean over columns) and its whole bias; the rest are fully averaged.
     */
    public static WeightPool hnp(Ops ops, NetworkSpec spec) {
        return new WeightPool(ops, spec, true);
    }

    /** K, the number of pooled features per channel. */
    public int width() {
        return width;
    }

    @Override
    public Value forward(Value in) {
        if (!(in instanceof WeightSpace x) || !x.spec().equals(spec))
            throw new IllegalArgumentException(this + " takes a weight space of " + spec + ", got " + in);
        lastLayout = x.layout();
        int B = x.batch(), C = x.channels();
        Ptr out = ws.get("out", (long) B * C * width);
        for (int q = 0; q < pieces.size(); q++) {
            Piece p = pieces.get(q);
            View v = view(p, x.layout());
            Ptr src = p.keep == Keep.B_ALL ? x.b(p.layer) : ws.get("pooled." + q, v.scratch);
            if (p.keep != Keep.B_ALL) reduce(p, x, src);
            ops.copy4d(v.dims, src, v.srcStrides, out.plus(p.offset), v.outStrides, false);
        }
        return new Tensor(new int[]{B, C, width}, out);
    }

    private void reduce(Piece p, WeightSpace x, Ptr scratch) {
        int i = p.layer;
        WsLayout lay = x.layout();
        switch (p.keep) {
            case W_NOTHING -> ops.planeReduce((long) x.batch() * lay.wChannels(i), spec.rows(i), spec.cols(i), x.w(i), null, null, scratch, true);
            case W_COLS -> ops.planeReduce((long) x.batch() * lay.wChannels(i), spec.rows(i), spec.cols(i), x.w(i), scratch, null, null, true);
            case W_ROWS -> ops.planeReduce((long) x.batch() * lay.wChannels(i), spec.rows(i), spec.cols(i), x.w(i), null, scratch, null, true);
            case B_NOTHING -> ops.planeReduce((long) x.batch() * x.channels(), 1, spec.rows(i), x.b(i), null, null, scratch, true);
            case B_ALL -> throw new IllegalStateException();
        }
    }

    /** A piece as a strided copy from its pooled source {@code [B][C][f][n]} into {@code out[b][c][offset + n*f + s]}. */
    private record View(int[] dims, long[] srcStrides, long[] outStrides, long scratch) {}

    private View view(Piece p, WsLayout lay) {
        int B = lay.batch(), C = lay.channels(), i = p.layer;
        int f = p.keep.name().startsWith("W") ? spec.filterSize(i) : 1;
        int n = switch (p.keep) {
            case W_COLS -> spec.cols(i);
            case W_ROWS, B_ALL -> spec.rows(i);
            default -> 1;
        };
        long cs = (long) f * n; // per channel in the source: [f][n]
        return new View(new int[]{B, C, f, n}, new long[]{C * cs, cs, n, 1}, new long[]{(long) C * width, width, 1, f}, (long) B * C * cs);
    }

    @Override
    public Value backward(Value gradOut) {
        if (lastLayout == null) throw new IllegalStateException(this + ": backward without a forward");
        int B = lastLayout.batch(), C = lastLayout.channels();
        if (!(gradOut instanceof Tensor g) || g.size() != (long) B * C * width)
            throw new IllegalArgumentException(this + ": gradient must be [" + B + ", " + C + ", " + width + "], got " + gradOut);
        WeightSpace dx = new WeightSpace(lastLayout, ws.zeroed("dx", lastLayout.size()));
        for (int q = 0; q < pieces.size(); q++) {
            Piece p = pieces.get(q);
            View v = view(p, lastLayout);
            int i = p.layer;
            if (p.keep == Keep.B_ALL) {
                ops.copy4d(v.dims, g.data().plus(p.offset), v.outStrides, dx.b(i), v.srcStrides, true);
                continue;
            }
            Ptr gs = ws.get("dpooled." + q, v.scratch);
            ops.copy4d(v.dims, g.data().plus(p.offset), v.outStrides, gs, v.srcStrides, false);
            long wPlanes = (long) B * lastLayout.wChannels(i);
            int rows = spec.rows(i), cols = spec.cols(i);
            switch (p.keep) {
                case W_NOTHING -> ops.planeBroadcast(wPlanes, rows, cols, null, 0, null, 0, gs, 1f / ((float) rows * cols), dx.w(i));
                case W_COLS -> ops.planeBroadcast(wPlanes, rows, cols, gs, 1f / rows, null, 0, null, 0, dx.w(i));
                case W_ROWS -> ops.planeBroadcast(wPlanes, rows, cols, null, 0, gs, 1f / cols, null, 0, dx.w(i));
                case B_NOTHING -> ops.planeBroadcast((long) B * C, 1, rows, null, 0, null, 0, gs, 1f / rows, dx.b(i));
                case B_ALL -> throw new IllegalStateException();
            }
        }
        return dx;
    }

    @Override
    public String toString() {
        return (hidden ? "HNPPool" : "NPPool") + "(K=" + width + ")";
    }
}
