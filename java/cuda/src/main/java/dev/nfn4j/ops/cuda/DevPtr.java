package dev.nfn4j.ops.cuda;

/**
 * A device address as the launch planner sees it: an allocation (opaque here: a JCuda
 * {@code CUdeviceptr} in the backend, anything in tests) and a byte offset into it. {@link #NULL}
 * is an absent optional argument, passed to the kernel as a null pointer.
 */
record DevPtr(Object base, long byteOffset) {
    static final DevPtr NULL = new DevPtr(null, 0);

    DevPtr {
        if (byteOffset < 0) throw new IllegalArgumentException("negative byte offset " + byteOffset);
    }

    boolean isNull() {
        return base == null;
    }

    /** {@code floats} floats further on. */
    DevPtr plusFloats(long floats) {
        if (isNull()) throw new IllegalStateException("offset of a null device pointer");
        return new DevPtr(base, byteOffset + 4 * floats);
    }

    @Override
    public String toString() {
        return isNull() ? "null" : base + "+" + byteOffset;
    }
}
