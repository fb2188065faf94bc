package dev.nfn4j.ops.reference;

import dev.nfn4j.ops.Buf;

/** A buffer in Java heap memory, used by the CPU backends. */
public final class HostBuf implements Buf {
    public final float[] data;

    public HostBuf(long n) {
        if (n < 0 || n > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("cannot allocate a host buffer of " + n + " floats");
        this.data = new float[(int) n];
    }

    /** The backing array of a host pointer; fails clearly for a buffer of another backend. */
    public static float[] array(dev.nfn4j.ops.Ptr p) {
        if (!(p.buf() instanceof HostBuf h))
            throw new IllegalArgumentException("buffer of type " + p.buf().getClass().getSimpleName() + " given to a host backend");
        return h.data;
    }

    @Override
    public long length() {
        return data.length;
    }
}
