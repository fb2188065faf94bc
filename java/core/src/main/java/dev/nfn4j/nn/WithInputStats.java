package dev.nfn4j.nn;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;

/**
 * nfn's {@code InvariantNFN(append_stats=True)}: an NFN's invariant features (its NF-Layers,
 * pooling and flatten, {@code [B, F]}) side by side with StatNN's statistics of the input
 * weights themselves ({@code [B, C * 14L]}, {@link StatFeaturizer}), {@code [B, F + C * 14L]},
 * so the head reads both: what the NF-Layers learned and the weight statistics StatNN is built on.
 * (nfn concatenates before its head's pooling, which cannot run; here the statistics join after
 * the flatten, where its head's input width counts them.) Both are invariant, so the whole is.
 */
final class WithInputStats implements Layer {
    private final Ops ops;
    private final Layer features;
    private final StatFeaturizer stats;
    private final Workspace ws;
    private int batch, f, s;

    /** @param features weight space in, {@code [B, F]} out (the NFN up to its flatten) */
    WithInputStats(Ops ops, Layer features) {
        this.ops = ops;
        this.features = features;
        this.stats = new StatFeaturizer(ops);
        this.ws = new Workspace(ops);
    }

    @Override
    public Value forward(Value in) {
        if (!(in instanceof WeightSpace)) throw new IllegalArgumentException(this + " takes a weight space, got " + in);
        Value fv = features.forward(in);
        if (!(fv instanceof Tensor ft) || ft.shape().length != 2) throw new IllegalStateException(this + ": features gave " + fv + ", not [B, F]");
        Tensor st = (Tensor) stats.forward(in);
        batch = ft.batch();
        f = (int) ft.perSample();
        s = (int) st.perSample();
        Ptr out = ws.get("out", (long) batch * (f + s));
        ops.copy4d(new int[]{batch, f, 1, 1}, ft.data(), new long[]{f, 1, 0, 0}, out, new long[]{f + s, 1, 0, 0}, false);
        ops.copy4d(new int[]{batch, s, 1, 1}, st.data(), new long[]{s, 1, 0, 0}, out.plus(f), new long[]{f + s, 1, 0, 0}, false);
        return new Tensor(new int[]{batch, f + s}, out);
    }

    @Override
    public Value backward(Value gradOut) {
        if (f + s == 0) throw new IllegalStateException(this + ": backward without a forward");
        if (!(gradOut instanceof Tensor g) || g.size() != (long) batch * (f + s))
            throw new IllegalArgumentException(this + ": gradient must be [" + batch + ", " + (f + s) + "], got " + gradOut);
        Ptr gf = ws.get("gradFeatures", (long) batch * f), gs = ws.get("gradStats", (long) batch * s);
        ops.copy4d(new int[]{batch, f, 1, 1}, g.data(), new long[]{f + s, 1, 0, 0}, gf, new long[]{f, 1, 0, 0}, false);
        ops.copy4d(new int[]{batch, s, 1, 1}, g.data().plus(f), new long[]{f + s, 1, 0, 0}, gs, new long[]{s, 1, 0, 0}, false);
        WeightSpace dxFeatures = (WeightSpace) features.backward(new Tensor(new int[]{batch, f}, gf));
        WeightSpace dxStats = (WeightSpace) stats.backward(new Tensor(new int[]{batch, s}, gs));
        // Both paths' input gradients, summed into the features' (a buffer of theirs, valid until their next forward).
        int[] flat = {1, 1, 1, Math.toIntExact(dxFeatures.layout().size())};
        long[] unit = {0, 0, 0, 1};
        ops.copy4d(flat, dxStats.data(), unit, dxFeatures.data(), unit, true);
        return dxFeatures;
    }

    @Override
    public void setTraining(boolean training, long step) {
        features.setTraining(training, step);
    }

    @Override
    public String toString() {
        return "WithInputStats(" + features + ")";
    }
}
