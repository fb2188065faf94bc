package dev.nfn4j.nn;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.Value;

/**
 * An elementwise activation on any value: every weight and bias of a weight space, or every entry
 * of a tensor. Made by {@link #after}, it may be fused into the layer before it and then passes
 * values and gradients through untouched.
 */
public final class Activation implements Layer {
    private final Ops ops;
    private final Act act;
    private final Workspace ws;
    /** The layer before applies the activation itself; this module only keeps its place. */
    private final boolean fused;
    private Value lastIn, lastOut;

    /** Applies {@code act} elementwise to its input. */
    public Activation(Ops ops, Act act) {
        this(ops, act, false);
    }

    private Activation(Ops ops, Act act, boolean fused) {
        this.ops = ops;
        this.act = act;
        this.ws = new Workspace(ops);
        this.fused = fused;
    }

    /**
     * The activation {@code act} following {@code previous}: fused into it when it can take it
     * ({@link FusesActivation} and {@link Act#derivativeFromOutput}), as a pass-through module
     * that keeps the activation's index in the model; otherwise a separate activation.
     */
    public static Activation after(Layer previous, Ops ops, Act act) {
        if (previous instanceof FusesActivation f && act.derivativeFromOutput() && act != Act.IDENTITY) {
            f.fuseActivation(act);
            return new Activation(ops, act, true);
        }
        return new Activation(ops, act);
    }

    /** Whether this module only keeps the place of an activation fused into the layer before (values pass untouched). */
    boolean passesThrough() {
        return fused;
    }

    @Override
    public Value forward(Value in) {
        if (fused) return in;
        Ptr y = ws.get("out", in.size());
        ops.activation(act, in.size(), in.data(), y);
        lastIn = in;
        lastOut = in.withData(y);
        return lastOut;
    }

    @Override
    public Value backward(Value gradOut) {
        if (fused) return gradOut;
        if (lastIn == null) throw new IllegalStateException(this + ": backward without a forward");
        if (gradOut.size() != lastIn.size())
            throw new IllegalArgumentException(this + ": gradient has " + gradOut.size() + " values, input had " + lastIn.size());
        Ptr dx = ws.get("dx", lastIn.size());
        ops.activationBackward(act, lastIn.size(), lastIn.data(), lastOut.data(), gradOut.data(), dx);
        return lastIn.withData(dx);
    }

    @Override
    public String toString() {
        return act.name().charAt(0) + act.name().substring(1).toLowerCase() + (fused ? " (fused into the layer before)" : "");
    }
}
