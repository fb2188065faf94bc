package dev.nfn4j.ops.host;

import dev.nfn4j.ops.Buf;
import dev.nfn4j.ops.DeviceControl;
import dev.nfn4j.ops.Ptr;

/** Device control for the backends whose "device" is the JVM heap: buffers are {@link HostBuf}s, copies are array copies. */
public interface HostMemory extends DeviceControl {
    /** A zeroed heap buffer of n floats. */
    @Override
    default Buf alloc(long n) {
        return new HostBuf(n);
    }

    /** Copies n floats from {@code src[srcOff..]} into the buffer at {@code dst}. */
    @Override
    default void upload(float[] src, int srcOff, Ptr dst, int n) {
        HostBuf.upload(src, srcOff, dst, n);
    }

    /** The array itself as a buffer: ops on it read and write the array. */
    @Override
    default Buf heapView(float[] array) {
        return HostBuf.over(array);
    }

    /** Copies n floats at {@code src} into {@code dst[dstOff..]}. */
    @Override
    default void download(Ptr src, float[] dst, int dstOff, int n) {
        HostBuf.download(src, dst, dstOff, n);
    }
}
