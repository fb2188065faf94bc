package dev.nfn4j.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * One fixed pool of worker threads for the CPU backends. Work is split into a fixed list of
 * tasks that does not depend on the thread count; each task writes its own outputs, so results
 * are bit-identical for 1, 2 or 16 threads. {@code -Dnfn4j.threads} sets the count (default:
 * available processors).
 */
public final class Parallel {
    private final int threads;
    private final ExecutorService pool;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "nfn4j-worker");
            t.setDaemon(true);
            return t;
        });
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

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body(0..tasks-1)}, spread over the pool (the caller works too). Tasks must
     * write disjoint outputs. Small jobs ({@code tasks == 1} or one thread) run inline.
     */
    public void forEach(int tasks, IntConsumer body) {
        if (tasks <= 0) return;
        if (pool == null || tasks == 1) {
            for (int i = 0; i < tasks; i++) body.accept(i);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int i; (i = next.getAndIncrement()) < tasks; ) body.accept(i);
        };
        int helpers = Math.min(threads - 1, tasks - 1);
        List<Future<?>> fs = new ArrayList<>(helpers);
        for (int h = 0; h < helpers; h++) fs.add(pool.submit(worker));
        Throwable failure = null;
        try {
            worker.run();
        } catch (Throwable t) {
            failure = t;
        }
        for (Future<?> f : fs) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = e;
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
        if (failure != null) throw new IllegalStateException(failure);
    }
}
