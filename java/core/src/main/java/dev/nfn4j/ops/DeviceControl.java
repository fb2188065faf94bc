package dev.nfn4j.ops;

/**
 * Where a backend's buffers live and how its queued work is ordered, captured and timed: the
 * half of the kernel SPI that is about the device, not the math ({@link Ops} extends it).
 * Defaults are exact for host backends, which have nothing to overlap or capture.
 */
public interface DeviceControl {
    /** A zero-filled buffer of {@code n} floats. */
    Buf alloc(long n);

    /** {@code dst[0..n) = src[srcOff..srcOff+n)}. */
    void upload(float[] src, int srcOff, Ptr dst, int n);

    /** {@code dst[dstOff..dstOff+n) = src[0..n)}; waits for the work queued before it. */
    void download(Ptr src, float[] dst, int dstOff, int n);

    /**
     * A buffer over {@code array} itself, without a copy, where the backend's memory is the JVM
     * heap; null where it is not (a device backend), and callers upload and download instead.
     * For callers that keep small models in Java arrays and call single ops on them.
     */
    default Buf heapView(float[] array) {
        return null;
    }

    /** Waits until every queued operation has finished (device backends run asynchronously). */
    default void synchronize() {}

    /**
     * Runs {@code body}, a sequence of calls to this backend, possibly as a captured graph: a
     * device backend runs it normally the first time for a key, captures it the second time and
     * replays the capture from then on, without running the Java code again. So the body must
     * do the same work on the same buffers every time: no upload or download inside (stage
     * inputs into the same buffers before the call, read results after it), no host-side
     * decisions that change between calls, and no allocation after the first call. The key
     * names one such body (include the shapes and buffers it depends on).
     */
    default void runGraph(Object key, Runnable body) {
        body.run();
    }

    /**
     * Forgets what {@link #runGraph} keeps for {@code key} (a device backend's captured graph and
     * the buffers it holds), so a caller that is done with a body lets its memory go.
     */
    default void releaseGraph(Object key) {}

    /**
     * Times {@code body}: runs it {@code warmup} times, then {@code reps} times, and returns each
     * rep's milliseconds (device backends: events around each rep on the device; host backends:
     * the wall clock, the backend synchronized after each rep).
     */
    default float[] timeMillis(Runnable body, int warmup, int reps) {
        for (int i = 0; i < warmup; i++) body.run();
        synchronize();
        float[] ms = new float[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            body.run();
            synchronize();
            ms[i] = (System.nanoTime() - t0) / 1e6f;
        }
        return ms;
    }
}
