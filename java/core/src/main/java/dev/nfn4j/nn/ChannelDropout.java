package dev.nfn4j.nn;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;


/**
 * nfn's ChannelDropout, in training only: each (sample, channel) plane of every W_i (for conv
 * layers each filter position's plane, as Dropout2d on nfn's {@code b (c h w) o i}) is zeroed with
 * probability p, and each bias entry likewise; survivors are scaled by 1/(1-p). A whole plane
 * shares its fate, so the layer stays permutation equivariant. On a tensor {@code [B, F]} every
 * entry is its own channel: torch.nn.Dropout, as heads use it. The mask depends only on the
 * seed, the optimizer step and the position in the batch.
 */
public final class ChannelDropout implements Layer {
    private final Ops ops;
    private final DropoutMask dropout;
    private final Workspace ws;
    private Value lastIn;
    private Ptr lastMask;

    /** Dropout with probability {@code p}; masks are drawn from {@code seed}, the step and the batch position. */
    public ChannelDropout(Ops ops, double p, long seed) {
        this.dropout = new DropoutMask(p, seed);
        this.ops = ops;
        this.ws = new Workspace(ops);
    }

    @Override
    public void setTraining(boolean training, long step) {
        dropout.setTraining(training, step);
    }

    /** Mask entries: per W_i plane, then per b_i entry, tensor by tensor; per entry of a tensor. */
    private static long maskSize(Value v) {
        if (!(v instanceof WeightSpace x)) return v.size();
        WsLayout lay = x.layout();
        long n = 0;
        for (int i = 0; i < lay.numLayers(); i++) n += (long) lay.batch() * (lay.wChannels(i) + lay.bPerSample(i));
        return n;
    }

    @Override
    public Value forward(Value in) {
        if (!(in instanceof WeightSpace) && !(in instanceof Tensor)) throw new IllegalArgumentException(this + " takes a weight space or a tensor, got " + in);
        lastIn = in;
        float[] m = dropout.draw(Math.toIntExact(maskSize(in)));
        if (m == null) {
            lastMask = null;
            return in;
        }
        Ptr mask = ws.get("mask", m.length);
        ops.upload(m, 0, mask, m.length);
        lastMask = mask;
        Value y = in.withData(ws.get("out", in.size()));
        apply(in, mask, y);
        return y;
    }

    private void apply(Value in, Ptr mask, Value out) {
        if (!(in instanceof WeightSpace x)) {
            ops.planeScale(in.size(), 1, in.data(), mask, out.data());
            return;
        }
        WeightSpace y = (WeightSpace) out;
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
        Value dx = gradOut.withData(ws.get("dx", gradOut.size()));
        apply(gradOut, lastMask, dx);
        return dx;
    }

    @Override
    public String toString() {
        return "ChannelDropout(" + dropout.p() + ")";
    }
}
