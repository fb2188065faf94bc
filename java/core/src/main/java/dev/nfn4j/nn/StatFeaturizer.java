package dev.nfn4j.nn;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;

/**
 * The StatNN featurizer (Unterthiner et al.): for every tensor and channel, 7 statistics over all
 * its entries (rows, columns and filter positions): mean, unbiased variance, quantiles 0, .25,
 * .5, .75, 1. Output {@code [B, C, 2L * 7]} ordered W_0, b_0, W_1, ... A channel's entries are
 * contiguous in the canonical layout, so each (sample, channel) is one plane.
 */
public final class StatFeaturizer implements Layer {
    private final Ops ops;
    private final Workspace ws;
    private WeightSpace last;

    /** A featurizer running on the given backend. */
    public StatFeaturizer(Ops ops) {
        this.ops = ops;
        this.ws = new Workspace(ops);
    }

    /** Statistics per channel for a network: 7 for each of its 2L tensors. */
    public static int width(NetworkSpec spec) {
        return 2 * spec.numLayers() * 7;
    }

    @Override
    public Value forward(Value in) {
        if (!(in instanceof WeightSpace x)) throw new IllegalArgumentException(this + " takes a weight space, got " + in);
        last = x;
        WsLayout lay = x.layout();
        int B = x.batch(), C = x.channels(), K = width(x.spec());
        Ptr out = ws.get("out", (long) B * C * K);
        Ptr scratch = ws.get("stats", (long) B * C * 7);
        for (int t = 0; t < 2 * x.spec().numLayers(); t++) {
            ops.planeStats((long) B * C, perChannel(lay, t), tensor(x, t), scratch);
            ops.copy4d(new int[]{B, C, 7, 1}, scratch, new long[]{C * 7L, 7, 1, 0}, out.plus(t * 7L), new long[]{(long) C * K, K, 1, 0}, false);
        }
        return new Tensor(new int[]{B, C, K}, out);
    }

    @Override
    public Value backward(Value gradOut) {
        if (last == null) throw new IllegalStateException(this + ": backward without a forward");
        WsLayout lay = last.layout();
        int B = last.batch(), C = last.channels(), K = width(last.spec());
        if (!(gradOut instanceof Tensor g) || g.size() != (long) B * C * K)
            throw new IllegalArgumentException(this + ": gradient must be [" + B + ", " + C + ", " + K + "], got " + gradOut);
        WeightSpace dx = new WeightSpace(lay, ws.zeroed("dx", lay.size()));
        Ptr scratch = ws.get("stats", (long) B * C * 7);
        for (int t = 0; t < 2 * last.spec().numLayers(); t++) {
            ops.copy4d(new int[]{B, C, 7, 1}, g.data().plus(t * 7L), new long[]{(long) C * K, K, 1, 0}, scratch, new long[]{C * 7L, 7, 1, 0}, false);
            ops.planeStatsBackward((long) B * C, perChannel(lay, t), tensor(last, t), scratch, tensor(dx, t));
        }
        return dx;
    }

    /** Tensor t: W_{t/2} for even t, b_{t/2} for odd t. */
    private static Ptr tensor(WeightSpace x, int t) {
        return t % 2 == 0 ? x.w(t / 2) : x.b(t / 2);
    }

    private static int perChannel(WsLayout lay, int t) {
        int i = t / 2;
        return Math.toIntExact(t % 2 == 0 ? lay.wPerSample(i) / lay.channels() : lay.bPerSample(i) / lay.channels());
    }

    @Override
    public String toString() {
        return "StatFeaturizer";
    }
}
