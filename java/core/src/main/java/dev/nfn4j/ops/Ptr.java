package dev.nfn4j.ops;

/** Element {@code offset} of a backend buffer: the "device pointer" every {@link Ops} call takes. */
public record Ptr(Buf buf, long offset) {
    /** Checks that the offset lies within the buffer (its end included). */
    public Ptr {
        if (offset < 0 || offset > buf.length())
            throw new IllegalArgumentException("offset " + offset + " outside a buffer of " + buf.length() + " floats");
    }

    /** The pointer {@code delta} elements further on in the same buffer. */
    public Ptr plus(long delta) {
        return new Ptr(buf, offset + delta);
    }
}
