package dev.nfn4j.nn;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;

/**
 * nfn's ResBlock without dropout: {@code y = x + act(base(norm(x)))}, for an equivariant base
 * layer that keeps the channel count. Build the parts with their nfn names as prefixes
 * ({@code base_layer.}, {@code norm.}); {@link #npBlock} makes nfn's usual one. The activation is
 * fused into the base layer where it can be.
 */
public final class ResBlock implements Layer {
    private final Ops ops;
    private final Layer norm, base, activation;
    private final Workspace ws;
    private WeightSpace lastOut;

    /** The block {@code x + act(base(norm(x)))}, the activation fused into the base layer where it can be. */
    public ResBlock(Ops ops, Layer base, Act act, Layer norm) {
        this.ops = ops;
        this.base = base;
        this.norm = norm;
        this.activation = Activation.after(base, ops, act);
        this.ws = new Workspace(ops);
    }

    /** {@code x + act(NPLinear(SimpleLayerNorm(x)))}, parameters {@code prefix + base_layer.*} and {@code prefix + norm.*}. */
    public static ResBlock npBlock(Params params, String prefix, NetworkSpec spec, int channels, Act act, Init.Type init) {
        Layer base = new NPLinear(params, prefix + "base_layer.", spec, channels, channels, false, init);
        Layer norm = new SimpleLayerNorm(params, prefix + "norm.", spec, channels);
        return new ResBlock(params.ops(), base, act, norm);
    }

    @Override
    public Value forward(Value in) {
        if (!(in instanceof WeightSpace x)) throw new IllegalArgumentException(this + " takes a weight space, got " + in);
        Value r = activation.forward(base.forward(norm.forward(x)));
        if (!(r instanceof WeightSpace res) || !res.layout().equals(x.layout()))
            throw new IllegalArgumentException(this + ": the residual branch gives " + r + ", not the input's layout " + x.layout());
        Ptr y = ws.get("out", x.size());
        WeightSpaces.copy(ops, x.data(), y, x.size(), false);
        WeightSpaces.copy(ops, res.data(), y, x.size(), true);
        lastOut = new WeightSpace(x.layout(), y);
        return lastOut;
    }

    @Override
    public Value backward(Value gradOut) {
        WeightSpace g = WeightSpaces.checkGrad(this, gradOut, lastOut);
        Value dBranch = norm.backward(base.backward(activation.backward(g)));
        Ptr dx = ws.get("dx", g.size());
        WeightSpaces.copy(ops, dBranch.data(), dx, g.size(), false); // the branch's gradient, plus the skip's
        WeightSpaces.copy(ops, g.data(), dx, g.size(), true);
        return g.withData(dx);
    }

    @Override
    public void setTraining(boolean training, long step) {
        norm.setTraining(training, step);
        base.setTraining(training, step);
    }

    @Override
    public String toString() {
        return "ResBlock(" + base + ", " + activation + ", " + norm + ")";
    }
}
