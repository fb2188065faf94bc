package dev.nfn4j.ops;

import java.util.Map;
import java.util.TreeMap;

/** A decorator that times every {@link Ops} call by method name: where does a layer spend its time? */
public final class ProfilingOps implements Ops {
    private final Ops inner;
    private final boolean byShape;
    private final Map<String, long[]> stats = new TreeMap<>(); // name -> {calls, nanos}

    public ProfilingOps(Ops inner) {
        this(inner, false);
    }

    /** With {@code byShape}, channel mixes are also told apart by their shape. */
    public ProfilingOps(Ops inner, boolean byShape) {
        this.inner = inner;
        this.byShape = byShape;
    }

    private String mixName(String base, MixShape s) {
        String tag = s.plane() == 1 ? base + "(1)" : base;
        return byShape ? tag + " " + s.batch() + "x" + s.cin() + "->" + s.cout() + "@" + s.rows() + "x" + s.cols() : tag;
    }

    private void record(String name, long t0) {
        long[] s = stats.computeIfAbsent(name, k -> new long[2]);
        s[0]++;
        s[1] += System.nanoTime() - t0;
    }

    /** A table of calls and milliseconds per method, and clears the counters. */
    public String report() {
        return report(1);
    }

    /** The same table divided by {@code runs} (per run of a workload), largest time first, and clears the counters. */
    public synchronized String report(int runs) {
        StringBuilder sb = new StringBuilder();
        long total = stats.values().stream().mapToLong(v -> v[1]).sum();
        stats.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1])).forEach(e -> sb.append(
                String.format("%-28s %8.1f calls %10.3f ms %5.1f%%%n", e.getKey(), (double) e.getValue()[0] / runs,
                        e.getValue()[1] / 1e6 / runs, 100.0 * e.getValue()[1] / Math.max(total, 1))));
        stats.clear();
        return sb.toString();
    }

    @Override public String name() { return inner.name(); }
    @Override public String describe() { return inner.describe() + " (profiled)"; }
    @Override public Buf alloc(long n) { long t = System.nanoTime(); Buf b = inner.alloc(n); record("alloc", t); return b; }
    @Override public void upload(float[] s, int o, Ptr d, int n) { long t = System.nanoTime(); inner.upload(s, o, d, n); record("upload", t); }
    @Override public void download(Ptr s, float[] d, int o, int n) { long t = System.nanoTime(); inner.download(s, d, o, n); record("download", t); }
    @Override public void fill(Ptr x, long n, float v) { long t = System.nanoTime(); inner.fill(x, n, v); record("fill", t); }

    @Override
    public void channelMix(MixShape s, Ptr x, Ptr a, Ptr bias, Ptr row, Ptr col, Ptr glob, Ptr y) {
        long t = System.nanoTime();
        inner.channelMix(s, x, a, bias, row, col, glob, y);
        record(mixName("channelMix", s), t);
    }

    @Override
    public void channelMixBackward(MixShape s, Ptr x, Ptr a, Ptr dy, Ptr dx, Ptr da, Ptr dbias) {
        // Timed as two calls, so the input-gradient GEMM and the weight-gradient reduction show apart.
        long t = System.nanoTime();
        if (dx != null) inner.channelMixBackward(s, x, a, dy, dx, null, null);
        record(mixName("channelMixBackward.dx", s), t);
        t = System.nanoTime();
        if (da != null || dbias != null) inner.channelMixBackward(s, x, a, dy, null, da, dbias);
        record(mixName("channelMixBackward.da", s), t);
    }

    @Override
    public void planeReduce(long p, int r, int c, Ptr x, Ptr ro, Ptr co, Ptr ao, boolean mean) {
        long t = System.nanoTime();
        inner.planeReduce(p, r, c, x, ro, co, ao, mean);
        record("planeReduce", t);
    }

    @Override
    public void planeBroadcast(long p, int r, int c, Ptr row, float sr, Ptr col, float sc, Ptr all, float sa, Ptr dx) {
        long t = System.nanoTime();
        inner.planeBroadcast(p, r, c, row, sr, col, sc, all, sa, dx);
        record("planeBroadcast", t);
    }

    @Override
    public void copy4d(int[] dims, Ptr src, long[] ss, Ptr dst, long[] ds, boolean acc) {
        long t = System.nanoTime();
        inner.copy4d(dims, src, ss, dst, ds, acc);
        record("copy4d", t);
    }

    @Override public void planeScale(long p, int n, Ptr x, Ptr s, Ptr y) { long t = System.nanoTime(); inner.planeScale(p, n, x, s, y); record("planeScale", t); }
    @Override public void activation(Act a, long n, Ptr x, Ptr y) { long t = System.nanoTime(); inner.activation(a, n, x, y); record("activation", t); }
    @Override public void activationBackward(Act a, long n, Ptr x, Ptr y, Ptr dy, Ptr dx) { long t = System.nanoTime(); inner.activationBackward(a, n, x, y, dy, dx); record("activationBackward", t); }
    @Override public void planeStats(long p, int n, Ptr x, Ptr o) { long t = System.nanoTime(); inner.planeStats(p, n, x, o); record("planeStats", t); }
    @Override public void planeStatsBackward(long p, int n, Ptr x, Ptr d, Ptr dx) { long t = System.nanoTime(); inner.planeStatsBackward(p, n, x, d, dx); record("planeStatsBackward", t); }
    @Override public void adamStep(long n, Ptr p, Ptr g, Ptr m, Ptr v, AdamConfig c, long s) { long t = System.nanoTime(); inner.adamStep(n, p, g, m, v, c, s); record("adamStep", t); }
    @Override public void adamStep(long n, Ptr p, Ptr g, Ptr m, Ptr v, AdamConfig c, int w, Ptr s) { long t = System.nanoTime(); inner.adamStep(n, p, g, m, v, c, w, s); record("adamStep", t); }
    @Override public void lossGradient(LossFn f, int n, Ptr p, Ptr y, Ptr g) { long t = System.nanoTime(); inner.lossGradient(f, n, p, y, g); record("lossGradient", t); }
    // Pass-throughs, so a device backend still synchronizes, captures and times (host times of queued device work are launch costs).
    @Override public void synchronize() { inner.synchronize(); }
    @Override public void runGraph(Object key, Runnable body) { inner.runGraph(key, body); }
    @Override public float[] timeMillis(Runnable body, int warmup, int reps) { return inner.timeMillis(body, warmup, reps); }
}
