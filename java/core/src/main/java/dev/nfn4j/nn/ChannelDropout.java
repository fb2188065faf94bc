package dev.nfn4j.nn;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;

import java.util.SplittableRandom;

/**
 * nfn's ChannelDropout, in training only: each (sample, channel) plane of every W_i (for conv
 * layers each filter position's plane, as Dropout2d on nfn's {@code b (c h w) o i}) is zeroed with
 * probability p, and each bias entry likewise; survivors are scaled by 1/(1-p). A whole plane
 * shares its fate, so the layer stays permutation equivariant. The mask depends only on the
 * seed, the optimizer step and the position in the batch.
 */
public final class ChannelDropout implements Layer {
    private final Ops ops;
    private final double p;
    private final long seed;
    private final Workspace ws;
    private boolean training;
    private long step;
    private WeightSpace lastIn;
    private Ptr lastMask;

    public ChannelDropout(Ops ops, double p, long seed) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        this.ops = ops;
        this.p = p;
        this.seed = seed;
        this.ws = new Workspace(ops);
    }

    @Override
    public void setTraining(boolean training, long step) {
        this.training = training;
        this.step = step;
    }

    /** Mask entries: per W_i plane, then per b_i entry, tensor by tensor. */
    private static long maskSize(WsLayout lay) {
        long n = 0;
        for (int i = 0; i < lay.numLayers(); i++) n += (long) lay.batch() * (lay.wChannels(i) + lay.bPerSample(i));
        return n;
    }

    @Override
    public Value forward(Value in) {
        if (!(in instanceof WeightSpace x)) throw new IllegalArgumentException(this + " takes a weight space, got " + in);
        lastIn = x;
        if (!training || p == 0) {
            lastMask = null;
            return x;
        }
        WsLayout lay = x.layout();
        float[] m = new float[Math.toIntExact(maskSize(lay))];
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
        float keep = (float) (1 / (1 - p));
        for (int k = 0; k < m.length; k++) m[k] = rnd.nextDouble() < p ? 0f : keep;
        Ptr mask = ws.get("mask", m.length);
        ops.upload(m, 0, mask, m.length);
        lastMask = mask;
        WeightSpace y = new WeightSpace(lay, ws.get("out", lay.size()));
        apply(x, mask, y);
        return y;
    }

    private void apply(WeightSpace x, Ptr mask, WeightSpace y) {
        WsLayout lay = x.layout();
        long k = 0;
        for (int i = 0; i < lay.numLayers(); i++) {
            long wPlanes = (long) lay.batch() * lay.wChannels(i), bEntries = lay.batch() * lay.bPerSample(i);
            ops.planeScale(wPlanes, lay.spec().rows(i) * lay.spec().cols(i), x.w(i), mask.plus(k), y.w(i));
            k += wPlanes;
            ops.planeScale(bEntries, 1, x.b(i), mask.plus(k), y.b(i));
            k += bEntries;
        }
    }

    @Override
    public Value backward(Value gradOut) {
        if (lastIn == null) throw new IllegalStateException(this + ": backward without a forward");
        if (lastMask == null) return gradOut;
        WeightSpace g = (WeightSpace) gradOut;
        WeightSpace dx = new WeightSpace(g.layout(), ws.get("dx", g.size()));
        apply(g, lastMask, dx);
        return dx;
    }

    @Override
    public String toString() {
        return "ChannelDropout(" + p + ")";
    }
}
