package dev.nfn4j.nn;

import dev.nfn4j.ops.Ptr;

/** What flows between modules: a {@link dev.nfn4j.space.WeightSpace} or a plain {@link Tensor}, in backend memory. */
public interface Value {
    Ptr data();

    int batch();

    /** Number of floats. */
    long size();

    /** A value of the same kind and shape holding {@code data} (a gradient buffer, an output). */
    Value withData(Ptr data);
}
