package dev.nfn4j.nn;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.MixEpilogue;
import dev.nfn4j.ops.MixGrads;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;

/**
 * nfn's LearnedScale: every weight tensor W_i times its own learned scalar {@code weight_scales.i},
 * every bias b_i times {@code bias_scales.i}, all starting at {@code initScale} (nfn scales an
 * equivariant network's output delta this way, 0.01 for INR editing). Each product is a 1 x 1
 * channel mix over the whole tensor, so its backward gives the scalar's gradient, sum(dy * x).
 */
public final class LearnedScale implements Layer {
    private final Ops ops;
    private final NetworkSpec spec;
    private final Param[] weightScales, biasScales;
    private final Workspace ws;
    private WeightSpace lastIn, lastOut;

    /** Per-tensor scales under {@code prefix}, each starting at {@code initScale}. */
    public LearnedScale(Params params, String prefix, NetworkSpec spec, double initScale) {
        this.ops = params.ops();
        this.spec = spec;
        this.ws = new Workspace(ops);
        int L = spec.numLayers();
        weightScales = new Param[L];
        biasScales = new Param[L];
        for (int i = 0; i < L; i++) weightScales[i] = params.declare(prefix + "weight_scales." + i, new int[]{1}, Init.constant(initScale));
        for (int i = 0; i < L; i++) biasScales[i] = params.declare(prefix + "bias_scales." + i, new int[]{1}, Init.constant(initScale));
    }

    /** The whole tensor of n values as one plane of a 1 -> 1 channel mix. */
    private static MixShape whole(long n) {
        return new MixShape(1, 1, 1, 1, Math.toIntExact(n));
    }

    @Override
    public Value forward(Value in) {
        WeightSpace x = WeightSpaces.check(this, in, spec, -1);
        WeightSpace y = new WeightSpace(x.layout(), ws.get("out", x.size()));
        for (int i = 0; i < spec.numLayers(); i++) {
            long nw = x.batch() * x.layout().wPerSample(i), nb = x.batch() * x.layout().bPerSample(i);
            ops.channelMix(whole(nw), x.w(i), weightScales[i].value(), MixEpilogue.NONE, y.w(i)); // y = s * x
            ops.channelMix(whole(nb), x.b(i), biasScales[i].value(), MixEpilogue.NONE, y.b(i));
        }
        lastIn = x;
        lastOut = y;
        return y;
    }

    @Override
    public Value backward(Value gradOut) {
        WeightSpace g = WeightSpaces.checkGrad(this, gradOut, lastOut), x = lastIn;
        WeightSpace dx = new WeightSpace(x.layout(), ws.get("dx", x.size()));
        for (int i = 0; i < spec.numLayers(); i++) {
            long nw = x.batch() * x.layout().wPerSample(i), nb = x.batch() * x.layout().bPerSample(i);
            backward(whole(nw), x.w(i), weightScales[i], g.w(i), dx.w(i)); // dx = s * dy, ds += sum(dy * x)
            backward(whole(nb), x.b(i), biasScales[i], g.b(i), dx.b(i));
        }
        return dx;
    }

    private void backward(MixShape s, Ptr x, Param scale, Ptr dy, Ptr dx) {
        ops.channelMixBackward(s, x, scale.value(), Act.IDENTITY, null, dy, MixGrads.overwriting(dx, scale.grad(), null));
    }

    @Override
    public String toString() {
        return "LearnedScale(" + spec.numLayers() + " layers)";
    }
}
