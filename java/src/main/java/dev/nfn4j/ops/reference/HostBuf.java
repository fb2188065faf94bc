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

    @Override
    public long length() {
        return data.length;
    }
}
