package dev.nfn4j.ops.cuda;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A caching device allocator: blocks are rounded up to size classes and, once released, kept on
 * a free list of their class for the next request of that class, so steady training and
 * inference allocate nothing from the driver after their first step (cuMemAlloc and cuMemFree
 * synchronize the device). Our own because JCuda 12.6 cannot set memory-pool attributes (no
 * release threshold for cuMemAllocAsync's pool).
 *
 * <p>Size classes: 512 bytes at least; powers of two up to 1 MiB; above, quarter steps of the
 * power of two below (at most 25% waste). When the driver is out of memory, every cached block
 * is freed and the request tried once more.
 *
 * <p>Threads: {@link #release} may be called from any thread (a {@link java.lang.ref.Cleaner}
 * returns the blocks of unreachable buffers); it only queues the block. Everything that calls
 * the driver ({@link #allocate}, {@link #trim}) runs on the owner's thread, under its lock:
 * released blocks reach the free lists there. Reusing a block is safe for device work ordered on
 * one stream: work queued before the release runs before work queued after the reuse.
 *
 * @param <H> the raw block handle (a device pointer; anything in tests)
 */
final class CachingAllocator<H> {
    /** The driver's allocation calls. */
    interface RawMemory<H> {
        /** A block of exactly {@code bytes}, or null when the device is out of memory. */
        H allocate(long bytes);

        void free(H block);
    }

    /** A block handed out: its handle and its size class in bytes. */
    record Block<H>(H handle, long bytes) {}

    static final long MIN_BYTES = 512, SMALL_LIMIT = 1 << 20;

    private final RawMemory<H> raw;
    private final Map<Long, ArrayDeque<H>> free = new TreeMap<>();
    private final ConcurrentLinkedQueue<Block<H>> released = new ConcurrentLinkedQueue<>();
    private long bytesInUse, bytesCached, rawAllocations, cacheHits, rawFrees;

    CachingAllocator(RawMemory<H> raw) {
        this.raw = raw;
    }

    /** The size class of a request: what is allocated (and cached) for it. */
    static long sizeClass(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative allocation " + bytes);
        if (bytes <= MIN_BYTES) return MIN_BYTES;
        long pow = Long.highestOneBit(bytes - 1) << 1; // smallest power of two >= bytes
        if (pow <= SMALL_LIMIT) return pow;
        long step = pow >> 3; // quarter steps of the power of two below: pow/2 * {1.25, 1.5, 1.75, 2}
        return (bytes + step - 1) / step * step;
    }

    /** A block of at least {@code bytes}; throws {@link OutOfMemoryError} when the device has no room even after trimming. */
    synchronized Block<H> allocate(long bytes) {
        drainReleased();
        long cls = sizeClass(bytes);
        ArrayDeque<H> list = free.get(cls);
        H h = list == null ? null : list.pollFirst();
        if (h != null) {
            cacheHits++;
            bytesCached -= cls;
        } else {
            h = raw.allocate(cls);
            if (h == null) {
                long trimmed = trim();
                h = raw.allocate(cls);
                if (h == null)
                    throw new OutOfMemoryError("device out of memory allocating " + cls + " bytes (" + bytesInUse + " bytes in use, "
                            + trimmed + " cached bytes freed first)");
            }
            rawAllocations++;
        }
        bytesInUse += cls;
        return new Block<>(h, cls);
    }

    /** Returns a block for reuse; callable from any thread (the owner picks it up on its next allocation). */
    void release(Block<H> b) {
        released.add(b);
    }

    private void drainReleased() {
        Block<H> b;
        while ((b = released.poll()) != null) {
            bytesInUse -= b.bytes();
            bytesCached += b.bytes();
            free.computeIfAbsent(b.bytes(), k -> new ArrayDeque<>()).addFirst(b.handle());
        }
    }

    /** Frees every cached block to the driver; returns the bytes freed. */
    synchronized long trim() {
        drainReleased();
        long freed = 0;
        for (Map.Entry<Long, ArrayDeque<H>> e : free.entrySet()) {
            for (H h : e.getValue()) {
                raw.free(h);
                rawFrees++;
                freed += e.getKey();
            }
            e.getValue().clear();
        }
        bytesCached -= freed;
        return freed;
    }

    /** Bookkeeping, for tests and describe(). */
    record Stats(long bytesInUse, long bytesCached, long rawAllocations, long rawFrees, long cacheHits) {}

    synchronized Stats stats() {
        drainReleased();
        return new Stats(bytesInUse, bytesCached, rawAllocations, rawFrees, cacheHits);
    }
}
