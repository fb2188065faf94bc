package dev.nfn4j.ops.cuda;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The caching allocator's bookkeeping against a fake driver with a fixed capacity (no GPU). */
class CachingAllocatorTest {
    /** A device of {@code capacity} bytes: handles are serial numbers; frees of unknown or freed blocks fail. */
    static final class FakeDevice implements CachingAllocator.RawMemory<Long> {
        final long capacity;
        long used, allocs, frees, next;
        final java.util.Map<Long, Long> live = new java.util.HashMap<>();

        FakeDevice(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public Long allocate(long bytes) {
            if (used + bytes > capacity) return null;
            used += bytes;
            allocs++;
            live.put(++next, bytes);
            return next;
        }

        @Override
        public void free(Long block) {
            Long bytes = live.remove(block);
            if (bytes == null) throw new AssertionError("free of a block the device does not hold: " + block);
            used -= bytes;
            frees++;
        }
    }

    @Test
    void sizeClassesRoundUpWithBoundedWaste() {
        assertEquals(512, CachingAllocator.sizeClass(0));
        assertEquals(512, CachingAllocator.sizeClass(4));
        assertEquals(512, CachingAllocator.sizeClass(512));
        assertEquals(1024, CachingAllocator.sizeClass(513));
        assertEquals(1 << 20, CachingAllocator.sizeClass((1 << 20) - 3));
        assertEquals(5 << 18, CachingAllocator.sizeClass((1 << 20) + 1)); // 1.25 MiB
        assertEquals(2 << 20, CachingAllocator.sizeClass(2 << 20));
        for (long b = 1; b < 1L << 34; b = b * 3 + 7) {
            long c = CachingAllocator.sizeClass(b);
            assertTrue(c >= b, "class " + c + " below " + b);
            if (b > 1 << 20) assertTrue(c <= b * 1.25 + 1, "class " + c + " wastes more than 25% of " + b);
            assertEquals(c, CachingAllocator.sizeClass(c), "a class is its own class");
        }
        assertThrows(IllegalArgumentException.class, () -> CachingAllocator.sizeClass(-1));
    }

    @Test
    void releasedBlocksAreReusedForTheSameClassOnly() {
        FakeDevice dev = new FakeDevice(1 << 30);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        CachingAllocator.Block<Long> b1 = a.allocate(1000), b2 = a.allocate(3000);
        assertEquals(1024, b1.bytes());
        assertEquals(4096, b2.bytes());
        assertEquals(2, dev.allocs);
        a.release(b1);
        CachingAllocator.Block<Long> b3 = a.allocate(700); // same class as b1
        assertEquals(b1.handle(), b3.handle());
        CachingAllocator.Block<Long> b4 = a.allocate(2000); // class 2048: nothing cached there
        assertNotEquals(b1.handle(), b4.handle());
        assertEquals(3, dev.allocs);
        CachingAllocator.Stats s = a.stats();
        assertEquals(1024 + 4096 + 2048, s.bytesInUse());
        assertEquals(0, s.bytesCached());
        assertEquals(1, s.cacheHits());
        assertEquals(3, s.rawAllocations());
    }

    @Test
    void aSteadyLoopAllocatesFromTheDriverOnlyOnce() {
        FakeDevice dev = new FakeDevice(1 << 30);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        int[] sizes = {4, 1000, 70_000, 3_000_000, 40_000_001};
        for (int step = 0; step < 20; step++) {
            List<CachingAllocator.Block<Long>> held = new ArrayList<>();
            for (int s : sizes) held.add(a.allocate(s));
            held.forEach(a::release);
        }
        assertEquals(sizes.length, dev.allocs);
        assertEquals(0, a.stats().bytesInUse());
        assertEquals(dev.used, a.stats().bytesCached());
    }

    @Test
    void outOfMemoryFreesTheCacheAndRetriesOnce() {
        FakeDevice dev = new FakeDevice(8192);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        CachingAllocator.Block<Long> small = a.allocate(2048), other = a.allocate(2048);
        a.release(small);
        a.release(other);
        CachingAllocator.Block<Long> big = a.allocate(8192); // only fits once the two cached blocks are freed
        assertEquals(8192, big.bytes());
        assertEquals(2, dev.frees);
        assertEquals(0, a.stats().bytesCached());
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> a.allocate(1));
        assertTrue(e.getMessage().contains("8192 bytes in use"), e.getMessage());
    }

    @Test
    void trimFreesEveryCachedBlockExactlyOnce() {
        FakeDevice dev = new FakeDevice(1 << 30);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        Set<Long> handles = new HashSet<>();
        List<CachingAllocator.Block<Long>> blocks = new ArrayList<>();
        for (int i = 0; i < 50; i++) blocks.add(a.allocate(100L * (i + 1) * (i + 1)));
        for (var b : blocks) handles.add(b.handle());
        assertEquals(50, handles.size(), "distinct blocks while all are held");
        blocks.forEach(a::release);
        long cached = a.stats().bytesCached();
        assertEquals(cached, a.trim());
        assertEquals(0, dev.used);
        assertEquals(50, dev.frees);
        assertEquals(0, a.trim());
    }

    @Test
    void releaseFromOtherThreadsIsPickedUpByTheOwner() throws Exception {
        FakeDevice dev = new FakeDevice(1 << 30);
        CachingAllocator<Long> a = new CachingAllocator<>(dev);
        List<CachingAllocator.Block<Long>> blocks = new ArrayList<>();
        for (int i = 0; i < 400; i++) blocks.add(a.allocate(4096));
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            List<CachingAllocator.Block<Long>> mine = blocks.subList(t * 100, (t + 1) * 100);
            Thread th = new Thread(() -> mine.forEach(a::release));
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) th.join();
        for (int i = 0; i < 400; i++) a.allocate(4096);
        assertEquals(400, dev.allocs, "all 400 reused");
        assertEquals(400, a.stats().cacheHits());
    }
}
