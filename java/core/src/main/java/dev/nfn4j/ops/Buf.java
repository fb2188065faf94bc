package dev.nfn4j.ops;

/**
 * A float buffer owned by one backend: host memory for the reference and SIMD backends,
 * device memory for CUDA. Layers never touch the elements directly; they hand buffers to
 * {@link Ops} and move data in and out with {@link Ops#upload} and {@link Ops#download}.
 */
public interface Buf {
    /** Number of float elements. */
    long length();

    /** A pointer to element {@code offset} of this buffer. */
    default Ptr at(long offset) {
        return new Ptr(this, offset);
    }
}
