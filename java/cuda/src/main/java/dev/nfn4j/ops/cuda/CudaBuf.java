package dev.nfn4j.ops.cuda;

import dev.nfn4j.ops.Buf;
import jcuda.driver.CUdeviceptr;

import java.lang.ref.Cleaner;

/**
 * A buffer in device memory: a block of the backend's {@link CachingAllocator}, given back to it
 * when the buffer becomes unreachable (layers drop buffers by replacing them, there is no free).
 */
final class CudaBuf implements Buf {
    private static final Cleaner CLEANER = Cleaner.create();

    final CUdeviceptr ptr;
    private final long length;

    CudaBuf(CachingAllocator<CUdeviceptr> allocator, CachingAllocator.Block<CUdeviceptr> block, long length) {
        this.ptr = block.handle();
        this.length = length;
        CLEANER.register(this, () -> allocator.release(block)); // the action holds the block, never this buffer
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public String toString() {
        return "CudaBuf[" + length + " floats]";
    }
}
