package dev.nfn4j.nn;

import dev.nfn4j.space.Value;

/** {@code [B, ...] -> [B, prod(...)]}, a view: no copy. */
public final class Flatten implements Layer {
    private Tensor last;

    /** A flatten layer; it has no parameters. */
    public Flatten() {
    }

    @Override
    public Value forward(Value in) {
        if (!(in instanceof Tensor t)) throw new IllegalArgumentException("Flatten takes a tensor, got " + in);
        last = t;
        return new Tensor(new int[]{t.batch(), Math.toIntExact(t.perSample())}, t.data());
    }

    @Override
    public Value backward(Value gradOut) {
        if (last == null) throw new IllegalStateException("Flatten: backward without a forward");
        return new Tensor(last.shape(), gradOut.data());
    }

    @Override
    public String toString() {
        return "Flatten";
    }
}
