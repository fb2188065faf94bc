package dev.nfn4j.ops;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * One fixed set of worker threads for the CPU backends. Work is split into a fixed list of tasks
 * that does not depend on the thread count; each task writes its own outputs, so results are
 * bit-identical for 1, 2 or 16 threads. {@code -Dnfn4j.threads} sets the count (default:
 * available processors).
 *
 * <p>An NF-Layer issues hundreds of small kernel calls per step, so the hand-off must be cheap:
 * workers spin briefly on a job counter before parking, and jobs below a size threshold run on
 * the caller alone. Calls are serialized: one job at a time per pool.
 */
public final class Parallel {
    /** Below this many element operations a job runs inline: waking a worker costs more. */
    public static final long INLINE_WORK = 1 << 15;

    private final int threads;
    private final Thread[] workers;
    private volatile Job job;
    private final AtomicInteger generation = new AtomicInteger();

    private static final class Job {
        final int tasks;
        final IntConsumer body;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(int tasks, IntConsumer body) {
            this.tasks = tasks;
            this.body = body;
        }

        void work() {
            for (int i; (i = next.getAndIncrement()) < tasks; ) {
                try {
                    if (failure == null) body.accept(i);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    /** Starts a pool that runs tasks on {@code threads} threads (the caller's included). */
    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int w = 0; w < workers.length; w++) {
            workers[w] = new Thread(this::workerLoop, "nfn4j-worker-" + w);
            workers[w].setDaemon(true);
            workers[w].start();
        }
    }

    /** The count from {@code -Dnfn4j.threads}, else the number of available processors. */
    public static int configuredThreads() {
        String s = System.getProperty("nfn4j.threads", "").trim();
        if (s.isEmpty()) return Runtime.getRuntime().availableProcessors();
        try {
            int n = Integer.parseInt(s);
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // fall through to the error
        }
        throw new IllegalArgumentException("-Dnfn4j.threads must be a positive integer, got '" + s + "'");
    }

    /** The number of threads, the caller's included. */
    public int threads() {
        return threads;
    }

    private boolean isWorker() {
        Thread t = Thread.currentThread();
        for (Thread w : workers) if (w == t) return true;
        return false;
    }

    private void workerLoop() {
        int seen = generation.get();
        while (true) {
            int spins = 0;
            while (generation.get() == seen) {
                if (++spins < 4_000) Thread.onSpinWait(); // ~10 us: back-to-back kernels reuse a hot worker
                else LockSupport.parkNanos(this, 200_000);
            }
            seen = generation.get();
            Job j = job;
            if (j != null) j.work();
        }
    }

    /** Runs {@code body(0..tasks-1)}, spread over the workers (the caller works too). Tasks must write disjoint outputs. */
    public void forEach(int tasks, IntConsumer body) {
        forEach(tasks, Long.MAX_VALUE, body);
    }

    /**
     * As {@link #forEach(int, IntConsumer)}, but runs inline when {@code totalWork} (element
     * operations, roughly) is below {@link #INLINE_WORK}.
     */
    public synchronized void forEach(int tasks, long totalWork, IntConsumer body) {
        if (tasks <= 0) return;
        // Inline: one thread, tiny jobs, or a nested call from inside a task (a worker must not wait on the pool it serves).
        if (workers.length == 0 || tasks == 1 || totalWork < INLINE_WORK || job != null || isWorker()) {
            for (int i = 0; i < tasks; i++) body.accept(i);
            return;
        }
        Job j = new Job(tasks, body);
        job = j;
        generation.incrementAndGet();
        for (Thread w : workers) LockSupport.unpark(w);
        j.work();
        for (int spins = 0; j.done.get() < tasks; spins++) {
            if (spins < 10_000) Thread.onSpinWait();
            else Thread.yield(); // an oversubscribed machine: let the worker holding the last task run
        }
        job = null;
        Throwable f = j.failure;
        if (f instanceof RuntimeException re) throw re;
        if (f instanceof Error er) throw er;
        if (f != null) throw new IllegalStateException(f);
    }
}
