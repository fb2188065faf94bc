package dev.nfn4j.nn;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;

import java.util.SplittableRandom;

/**
 * torch.nn.Dropout on a tensor {@code [B, ...]}, in training only: each entry is zeroed with
 * probability p and the survivors scaled by 1/(1-p). The mask depends only on the seed and the
 * optimizer step, so a resumed run repeats an uninterrupted one.
 */
public final class Dropout implements Layer {
    private final Ops ops;
    private final double p;
    private final long seed;
    private final Workspace ws;
    private boolean training;
    private long step;
    private Tensor lastIn;
    private Ptr lastMask;

    public Dropout(Ops ops, double p, long seed) {
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

    @Override
    public Value forward(Value in) {
        if (!(in instanceof Tensor x)) throw new IllegalArgumentException(this + " takes a tensor, got " + in);
        lastIn = x;
        if (!training || p == 0) {
            lastMask = null;
            return x;
        }
        float[] m = new float[Math.toIntExact(x.size())];
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
        float keep = (float) (1 / (1 - p));
        for (int k = 0; k < m.length; k++) m[k] = rnd.nextDouble() < p ? 0f : keep;
        lastMask = ws.get("mask", m.length);
        ops.upload(m, 0, lastMask, m.length);
        Ptr y = ws.get("out", x.size());
        ops.planeScale(x.size(), 1, x.data(), lastMask, y);
        return x.withData(y);
    }

    @Override
    public Value backward(Value gradOut) {
        if (lastIn == null) throw new IllegalStateException(this + ": backward without a forward");
        if (lastMask == null) return gradOut;
        Ptr dx = ws.get("dx", gradOut.size());
        ops.planeScale(gradOut.size(), 1, gradOut.data(), lastMask, dx);
        return lastIn.withData(dx);
    }

    @Override
    public String toString() {
        return "Dropout(" + p + ")";
    }
}
