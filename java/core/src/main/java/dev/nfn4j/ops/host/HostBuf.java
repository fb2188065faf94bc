package dev.nfn4j.ops.host;

import dev.nfn4j.ops.Buf;
import dev.nfn4j.ops.OpArgs;
import dev.nfn4j.ops.Ptr;

/** A buffer in Java heap memory, the buffers of the host backends (reference and simd). */
public final class HostBuf implements Buf {
    /** The buffer's floats. */
    public final float[] data;

    /** A zeroed buffer of {@code n} floats. */
    public HostBuf(long n) {
        if (n < 0 || n > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("cannot allocate a host buffer of " + n + " floats");
        this.data = new float[(int) n];
    }

    private HostBuf(float[] data) {
        this.data = data;
    }

    /** A buffer whose floats are {@code data} itself (no copy). */
    public static HostBuf over(float[] data) {
        return new HostBuf(data);
    }

    /** The backing array of a host pointer; fails clearly for a buffer of another backend. */
    public static float[] array(Ptr p) {
        if (!(p.buf() instanceof HostBuf h))
            throw new IllegalArgumentException("buffer of type " + p.buf().getClass().getSimpleName() + " given to a host backend");
        return h.data;
    }

    /** The offset of a host pointer into {@link #array}. */
    public static int offset(Ptr p) {
        return (int) p.offset();
    }

    /** {@link dev.nfn4j.ops.DeviceControl#upload} into a host buffer. */
    public static void upload(float[] src, int srcOff, Ptr dst, int n) {
        OpArgs.upload(src, srcOff, dst, n);
        System.arraycopy(src, srcOff, array(dst), offset(dst), n);
    }

    /** {@link dev.nfn4j.ops.DeviceControl#download} from a host buffer. */
    public static void download(Ptr src, float[] dst, int dstOff, int n) {
        OpArgs.download(src, dst, dstOff, n);
        System.arraycopy(array(src), offset(src), dst, dstOff, n);
    }

    @Override
    public long length() {
        return data.length;
    }
}
