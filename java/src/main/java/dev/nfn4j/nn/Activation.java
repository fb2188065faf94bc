package dev.nfn4j.nn;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;

/** An elementwise activation on any value: every weight and bias of a weight space, or every entry of a tensor. */
public final class Activation implements Layer {
    private final Ops ops;
    private final Act act;
    private final Workspace ws;
    private Value lastIn, lastOut;

    public Activation(Ops ops, Act act) {
        this.ops = ops;
        this.act = act;
        this.ws = new Workspace(ops);
    }

    @Override
    public Value forward(Value in) {
        Ptr y = ws.get("out", in.size());
        ops.activation(act, in.size(), in.data(), y);
        lastIn = in;
        lastOut = in.withData(y);
        return lastOut;
    }

    @Override
    public Value backward(Value gradOut) {
        if (lastIn == null) throw new IllegalStateException(this + ": backward without a forward");
        if (gradOut.size() != lastIn.size())
            throw new IllegalArgumentException(this + ": gradient has " + gradOut.size() + " values, input had " + lastIn.size());
        Ptr dx = ws.get("dx", lastIn.size());
        ops.activationBackward(act, lastIn.size(), lastIn.data(), lastOut.data(), gradOut.data(), dx);
        return lastIn.withData(dx);
    }

    @Override
    public String toString() {
        return act.name().charAt(0) + act.name().substring(1).toLowerCase();
    }
}
