package dev.nfn4j.nn;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;

/**
 * A weight-space batch as one row per sample and back (nfn's FlattenWeights / UnflattenWeights,
 * one channel): {@link #flatten} turns the canonical layout (each tensor batch first) into a
 * tensor {@code [B, P]} whose row b is sample b's tensors W_0, b_0, W_1, ... one after another
 * (its one-sample form, as zoos store networks); {@link #unflatten} does the reverse. Pure copies
 * ({@link Ops#copy4d}); each direction's backward is the other's forward.
 */
public final class WeightRows implements Layer {
    private final Ops ops;
    private final NetworkSpec spec;
    private final boolean toRows;
    private final Workspace ws;
    private Value lastIn, lastOut;

    private WeightRows(Ops ops, NetworkSpec spec, boolean toRows) {
        this.ops = ops;
        this.spec = spec;
        this.toRows = toRows;
        this.ws = new Workspace(ops);
    }

    /** Weight space (one channel) in, {@code [B, P]} out. */
    public static WeightRows flatten(Ops ops, NetworkSpec spec) {
        return new WeightRows(ops, spec, true);
    }

    /** {@code [B, P]} in, weight space (one channel) out. */
    public static WeightRows unflatten(Ops ops, NetworkSpec spec) {
        return new WeightRows(ops, spec, false);
    }

    @Override
    public Value forward(Value in) {
        lastIn = in;
        lastOut = convert(in, toRows, "out");
        return lastOut;
    }

    @Override
    public Value backward(Value gradOut) {
        if (lastOut == null) throw new IllegalStateException(this + ": backward without a forward");
        if (gradOut.size() != lastOut.size()) throw new IllegalArgumentException(this + ": gradient of " + gradOut.size() + " floats, expected " + lastOut.size());
        return convert(lastOut.withData(gradOut.data()), !toRows, "dx");
    }

    /** Rows from a weight space ({@code rows} true) or a weight space from rows, into the buffer {@code name}. */
    private Value convert(Value in, boolean rows, String name) {
        WsLayout lay;
        if (rows) {
            WeightSpace x = WeightSpaces.check(this, in, spec, 1);
            lay = x.layout();
        } else {
            long perRow = new WsLayout(spec, 1, 1).size();
            if (!(in instanceof Tensor t) || t.perSample() != perRow)
                throw new IllegalArgumentException(this + " takes [B, " + perRow + "], got " + in);
            lay = new WsLayout(spec, t.batch(), 1);
        }
        WsLayout one = lay.withBatch(1);
        int B = lay.batch(), P = Math.toIntExact(one.size());
        Ptr y = ws.get(name, lay.size());
        for (int i = 0; i < spec.numLayers(); i++) {
            copyTensor(B, P, lay.wOffset(i), one.wOffset(i), one.wPerSample(i), in.data(), y, rows);
            copyTensor(B, P, lay.bOffset(i), one.bOffset(i), one.bPerSample(i), in.data(), y, rows);
        }
        return rows ? new Tensor(new int[]{B, P}, y) : new WeightSpace(lay, y);
    }

    /** One tensor of n floats per sample: at {@code batched} as [B][n] in the weight space, at column {@code column} of the rows [B][P]. */
    private void copyTensor(int B, int P, long batched, long column, long n, Ptr src, Ptr dst, boolean rows) {
        int[] dims = {1, 1, B, Math.toIntExact(n)};
        long[] wsStrides = {0, 0, n, 1}, rowStrides = {0, 0, P, 1};
        if (rows) ops.copy4d(dims, src.plus(batched), wsStrides, dst.plus(column), rowStrides, false);
        else ops.copy4d(dims, src.plus(column), rowStrides, dst.plus(batched), wsStrides, false);
    }

    @Override
    public String toString() {
        return toRows ? "FlattenWeights" : "UnflattenWeights";
    }
}
