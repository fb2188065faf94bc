package dev.nfn4j.space;

import dev.nfn4j.ops.Ptr;

/** What flows between modules: a {@link WeightSpace} or a plain tensor ({@code dev.nfn4j.nn.Tensor}), in backend memory. */
public interface Value {
    /** Pointer to the first float, in backend memory. */
    Ptr data();

    /** Number of samples, the first dimension. */
    int batch();

    /** Number of floats. */
    long size();

    /** A value of the same kind and shape holding {@code data} (a gradient buffer, an output). */
    Value withData(Ptr data);
}
