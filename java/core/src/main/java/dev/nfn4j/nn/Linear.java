package dev.nfn4j.nn;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.MixEpilogue;
import dev.nfn4j.ops.MixGrads;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.Value;

/** {@code y = x W^T + b} on {@code [B, in]}; parameters {@code weight [out, in]}, {@code bias [out]} as torch.nn.Linear. */
public final class Linear implements FusesActivation {
    private final Ops ops;
    private final int in, out;
    private final Param weight, bias;
    private final Workspace ws;
    private Tensor last, lastOut;
    /** The activation applied to y as it is written (IDENTITY: none). */
    private Act post = Act.IDENTITY;

    /** A Linear from {@code in} to {@code out} features, declaring {@code prefix + "weight"} and {@code prefix + "bias"}. */
    public Linear(Params params, String prefix, int in, int out) {
        if (in < 1 || out < 1) throw new IllegalArgumentException("Linear(" + in + ", " + out + "): sizes must be >= 1");
        this.ops = params.ops();
        this.ws = new Workspace(ops);
        this.in = in;
        this.out = out;
        // torch.nn.Linear's default init: U(+-1/sqrt(in)) for weight and bias.
        double bound = 1 / Math.sqrt(in);
        this.weight = params.declare(prefix + "weight", new int[]{out, in}, Init.uniform(bound));
        this.bias = params.declare(prefix + "bias", new int[]{out}, Init.uniform(bound));
    }

    @Override
    public Value forward(Value v) {
        if (!(v instanceof Tensor x) || x.perSample() != in)
            throw new IllegalArgumentException(this + " takes [B, " + in + "], got " + v);
        last = x;
        Ptr y = ws.get("out", (long) x.batch() * out);
        ops.channelMix(new MixShape(x.batch(), in, out, 1, 1), x.data(), weight.value(), MixEpilogue.bias(bias.value()).then(post), y);
        lastOut = new Tensor(new int[]{x.batch(), out}, y);
        return lastOut;
    }

    @Override
    public void fuseActivation(Act act) {
        FusesActivation.checkFusable(this, act, last != null);
        post = act;
    }

    @Override
    public Value backward(Value gradOut) {
        if (last == null) throw new IllegalStateException(this + ": backward without a forward");
        if (gradOut.size() != (long) last.batch() * out)
            throw new IllegalArgumentException(this + ": gradient must be [" + last.batch() + ", " + out + "], got " + gradOut);
        Ptr dx = ws.zeroed("dx", last.size());
        ops.channelMixBackward(new MixShape(last.batch(), in, out, 1, 1), last.data(), weight.value(), post, lastOut.data(), gradOut.data(),
                MixGrads.of(dx, weight.grad(), bias.grad()));
        return new Tensor(last.shape(), dx);
    }

    @Override
    public String toString() {
        return "Linear(" + in + ", " + out + ")" + (post == Act.IDENTITY ? "" : " + " + post);
    }
}
