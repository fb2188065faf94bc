package dev.nfn4j.nn;

import dev.nfn4j.ops.Ptr;

import java.util.Arrays;

/**
 * One named parameter: a slice of its {@link Params}' value buffer, with the gradient at the same
 * offset of the gradient buffer. Names and shapes are exactly nfn's {@code state_dict()} ones.
 */
public final class Param {
    private final Params owner;
    private final String name;
    private final int[] shape;
    private final long offset;
    private final long numel;
    final Init init;

    Param(Params owner, String name, int[] shape, long offset, Init init) {
        this.owner = owner;
        this.name = name;
        this.shape = shape.clone();
        this.offset = offset;
        long n = 1;
        for (int d : shape) n *= d;
        this.numel = n;
        this.init = init;
    }

    /** The parameter's name, as in nfn's {@code state_dict()}. */
    public String name() {
        return name;
    }

    /** A copy of the parameter's shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Number of elements. */
    public long numel() {
        return numel;
    }

    /** Offset of the parameter in the value and gradient buffers. */
    public long offset() {
        return offset;
    }

    /** Pointer to the parameter's values. */
    public Ptr value() {
        return owner.values().at(offset);
    }

    /** Pointer to the parameter's gradient. */
    public Ptr grad() {
        return owner.grads().at(offset);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
