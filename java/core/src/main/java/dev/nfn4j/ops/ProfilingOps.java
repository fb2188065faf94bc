package dev.nfn4j.ops;

import java.util.Map;
import java.util.TreeMap;

/**
 * A decorator that times every {@link Ops} call by method name: where does a layer spend its
 * time? It also counts each call's work: floating-point operations (an FMA is two) and the
 * compulsory bytes (every operand read once, every result written once, nothing else), so the
 * report can set each method's time against the machine's floor for it.
 */
public final class ProfilingOps implements Ops {
    private final Ops inner;
    private final boolean byShape;
    private final Map<String, long[]> stats = new TreeMap<>(); // name -> {calls, nanos, flops, bytes}
    private long flops, bytes; // totals since the last report

    /** Wraps {@code inner}, timing and counting each method's calls by method name alone. */
    public ProfilingOps(Ops inner) {
        this(inner, false);
    }

    /** With {@code byShape}, channel mixes, plane pools, copies, fills and activations are also told apart by their shape. */
    public ProfilingOps(Ops inner, boolean byShape) {
        this.inner = inner;
        this.byShape = byShape;
    }

    private static double mixFlops(MixShape s) {
        return 2.0 * s.batch() * s.cin() * s.cout() * s.plane();
    }

    private String mixName(String base, MixShape s) {
        String tag = s.plane() == 1 ? base + "(1)" : base;
        return byShape ? tag + " " + s.batch() + "x" + s.cin() + "->" + s.cout() + "@" + s.rows() + "x" + s.cols() : tag;
    }

    private void record(String name, long t0) {
        record(name, t0, 0, 0);
    }

    /** One call of {@code name} that started at t0 and did {@code f} flops on {@code floats} compulsory floats. */
    private synchronized void record(String name, long t0, double f, double floats) {
        long[] s = stats.computeIfAbsent(name, k -> new long[4]);
        s[0]++;
        s[1] += System.nanoTime() - t0;
        s[2] += (long) f;
        s[3] += (long) (4 * floats);
        flops += (long) f;
        bytes += (long) (4 * floats);
    }

    /** Flops counted since the last report. */
    public synchronized long flops() {
        return flops;
    }

    /** Calls of {@code name} (a method, or a method and shape with byShape) counted since the last report. */
    public synchronized long calls(String name) {
        long[] v = stats.get(name);
        return v == null ? 0 : v[0];
    }

    /** Compulsory bytes counted since the last report. */
    public synchronized long bytes() {
        return bytes;
    }

    /**
     * The floor of the calls counted since the last report, in ms per run: each call's work at
     * the machine's rates, max(bytes / bandwidth, flops / peak), summed over calls (a sum of
     * maxima, so it stays a floor for this sequence of unfused calls).
     */
    public synchronized double floorMillis(int runs, double gbPerS, double gflopPerS) {
        double ms = 0;
        for (long[] v : stats.values()) ms += Math.max(v[3] / gbPerS, v[2] / gflopPerS) / 1e6;
        return ms / runs;
    }

    /** A table of calls and milliseconds per method, and clears the counters. */
    public String report() {
        return report(1);
    }

    /**
     * The same table divided by {@code runs} (per run of a workload), largest time first, with
     * each method's MFLOP and compulsory MB per run and the rates they were done at; clears the
     * counters.
     */
    public synchronized String report(int runs) {
        String table = table(runs);
        stats.clear();
        flops = 0;
        bytes = 0;
        return table;
    }

    /** Milliseconds per run by method name since the last report (and keeps counting). */
    public synchronized Map<String, Double> millisByMethod(int runs) {
        Map<String, Double> ms = new TreeMap<>();
        stats.forEach((k, v) -> ms.put(k, v[1] / 1e6 / runs));
        return ms;
    }

    private String table(int runs) {
        StringBuilder sb = new StringBuilder();
        long total = stats.values().stream().mapToLong(v -> v[1]).sum();
        sb.append(String.format("%-44s %7s %10s %6s %9s %9s %8s %7s%n", "method", "calls", "ms", "share", "MFLOP", "MB", "GFLOP/s", "GB/s"));
        stats.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1])).forEach(e -> {
            long[] v = e.getValue();
            double sec = Math.max(v[1], 1) / 1e9;
            sb.append(String.format("%-44s %7.1f %10.3f %5.1f%% %9.2f %9.2f %8.1f %7.1f%n", e.getKey(), (double) v[0] / runs,
                    v[1] / 1e6 / runs, 100.0 * v[1] / Math.max(total, 1), v[2] / 1e6 / runs, v[3] / 1e6 / runs, v[2] / 1e9 / sec, v[3] / 1e9 / sec));
        });
        return sb.toString();
    }

    @Override public String name() { return inner.name(); }
    @Override public String describe() { return inner.describe() + " (profiled)"; }
    @Override public Buf alloc(long n) { long t = System.nanoTime(); Buf b = inner.alloc(n); record("alloc", t); return b; }
    @Override public Buf heapView(float[] a) { return inner.heapView(a); }
    @Override public void upload(float[] s, int o, Ptr d, int n) { long t = System.nanoTime(); inner.upload(s, o, d, n); record("upload", t); }
    @Override public void download(Ptr s, float[] d, int o, int n) { long t = System.nanoTime(); inner.download(s, d, o, n); record("download", t); }
    @Override public void fill(Ptr x, long n, float v) { long t = System.nanoTime(); inner.fill(x, n, v); record(byShape ? "fill " + n : "fill", t, 0, n); }

    @Override
    public void channelMix(MixShape s, Ptr x, Ptr a, MixEpilogue e, Ptr y) {
        long t = System.nanoTime();
        inner.channelMix(s, x, a, e, y);
        String act = e.act() == Act.IDENTITY ? "" : "+" + e.act().name().toLowerCase();
        // x and a read, y written; the row/column/global terms are small beside them.
        double flops = mixFlops(s), floats = (double) s.batch() * (s.cin() + s.cout()) * s.plane() + (double) s.cin() * s.cout();
        if (e.pools() == null) {
            record(mixName("channelMix" + act, s), t, flops, floats);
            return;
        }
        double poolFloats = (double) s.batch() * s.cout() * (s.rows() + s.cols() + 1);
        record(mixName("channelMix" + act + "+pools", s), t, flops + (double) s.batch() * s.cout() * s.plane(), floats + poolFloats);
    }

    /**
     * Profiled as its ops (act', the term pools, the GEMMs, dbias from the pools: each shows on its
     * own line), as the simd backend runs it; a fusing backend's fused kernels are not what is
     * timed here. An NF-Layer's input gradient (dx alone with its pools' gradients) is timed as one
     * call, as backends that fuse it run it: the GEMM, its broadcast epilogue and act'.
     */
    @Override
    public void channelMixBackward(MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, MixGrads grads) {
        if (grads.pools() != null && grads.da() == null && grads.dbias() == null && !grads.anyTerm()) {
            inputGradWithPools(s, x, a, act, y, dy, grads);
            return;
        }
        Ptr scratch = null;
        if (act != Act.IDENTITY) {
            long n = (long) s.batch() * s.cout() * s.plane();
            if (preActGrad == null || preActGrad.length() < n) preActGrad = inner.alloc(n);
            scratch = preActGrad.at(0);
        }
        long planes = (long) s.batch() * s.cout();
        if (planeSums == null || planeSums.length() < planes) planeSums = inner.alloc(planes);
        ComposedMix.backwardBiasFromPools(this, s, x, a, act, y, dy, grads, scratch, planeSums.at(0), this::linearBackward);
    }

    private Buf preActGrad, planeSums; // reused by every profiled mix backward

    /** The linear part of the backward, timed as two calls, so the input-gradient GEMM and the weight-gradient reduction show apart. */
    private void linearBackward(MixShape s, Ptr x, Ptr a, Ptr dy, Ptr dx, boolean overwriteDx, Ptr da, Ptr dbias) {
        long t = System.nanoTime();
        double xs = (double) s.batch() * s.cin() * s.plane(), ys = (double) s.batch() * s.cout() * s.plane(), as = (double) s.cin() * s.cout();
        if (dx != null) inner.channelMixBackward(s, x, a, Act.IDENTITY, null, dy, new MixGrads(dx, null, null, null, null, null, overwriteDx));
        record(mixName("channelMixBackward.dx", s), t, dx != null ? mixFlops(s) : 0, dx != null ? ys + as + xs : 0);
        t = System.nanoTime();
        if (da != null || dbias != null) inner.channelMixBackward(s, x, a, Act.IDENTITY, null, dy, MixGrads.of(null, da, dbias));
        record(mixName("channelMixBackward.da", s), t, da != null ? mixFlops(s) : dbias != null ? ys : 0,
                da != null ? xs + ys + as : dbias != null ? ys : 0);
    }

    private void inputGradWithPools(MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, MixGrads grads) {
        long t = System.nanoTime();
        inner.channelMixBackward(s, x, a, act, y, dy, grads);
        double xs = (double) s.batch() * s.cin() * s.plane(), ys = (double) s.batch() * s.cout() * s.plane();
        String base = act == Act.IDENTITY ? "channelMixInputGrad" : "channelMixInputGrad+" + act.name().toLowerCase();
        // dy (and y through an activation) and a read, dx written; the pools' gradients are small beside them.
        record(mixName(base, s), t, mixFlops(s) + xs, (act == Act.IDENTITY ? ys : 2 * ys) + (double) s.cin() * s.cout() + xs);
    }

    @Override
    public void planeReduce(long p, int r, int c, Ptr x, Ptr ro, Ptr co, Ptr ao, boolean mean) {
        long t = System.nanoTime();
        inner.planeReduce(p, r, c, x, ro, co, ao, mean);
        double n = (double) p * r * c;
        record(byShape ? "planeReduce " + p + "x" + r + "x" + c : "planeReduce", t, n, n);
    }

    @Override
    public void planeBroadcast(long p, int r, int c, Ptr row, float sr, Ptr col, float sc, Ptr all, float sa, Ptr dx) {
        long t = System.nanoTime();
        inner.planeBroadcast(p, r, c, row, sr, col, sc, all, sa, dx);
        double n = (double) p * r * c;
        String name = byShape ? "planeBroadcast " + p + "x" + r + "x" + c : "planeBroadcast";
        record(name, t, n, 2 * n); // dx is added to
    }

    @Override
    public void copy4d(int[] dims, Ptr src, long[] ss, Ptr dst, long[] ds, boolean acc) {
        long t = System.nanoTime();
        inner.copy4d(dims, src, ss, dst, ds, acc);
        // Compulsory: the distinct source elements (a zero stride broadcasts) and destination elements (a zero stride sums).
        double n = 1, read = 1, written = 1;
        for (int i = 0; i < 4; i++) {
            n *= dims[i];
            if (ss[i] != 0) read *= dims[i];
            if (ds[i] != 0) written *= dims[i];
        }
        String name = !byShape ? "copy4d" : "copy4d " + dims[0] + "x" + dims[1] + "x" + dims[2] + "x" + dims[3]
                + (written < n ? " summing" : read < n ? " broadcasting" : "") + (acc ? " +=" : "");
        record(name, t, acc ? n : 0, read + (acc ? 2 : 1) * written);
    }

    @Override public void planeScale(long p, int n, Ptr x, Ptr s, Ptr y) { long t = System.nanoTime(); inner.planeScale(p, n, x, s, y); record("planeScale", t, (double) p * n, 2.0 * p * n); }
    @Override public void activation(Act a, long n, Ptr x, Ptr y) { long t = System.nanoTime(); inner.activation(a, n, x, y); record(byShape ? "activation " + a + " " + n : "activation", t, n, 2.0 * n); }
    @Override public void activationBackward(Act a, long n, Ptr x, Ptr y, Ptr dy, Ptr dx) { long t = System.nanoTime(); inner.activationBackward(a, n, x, y, dy, dx); record(byShape ? "activationBackward " + a + " " + n : "activationBackward", t, n, 3.0 * n); }
    @Override public void planeStats(long p, int n, Ptr x, Ptr o) { long t = System.nanoTime(); inner.planeStats(p, n, x, o); record("planeStats", t); }
    @Override public void planeStatsBackward(long p, int n, Ptr x, Ptr d, Ptr dx) { long t = System.nanoTime(); inner.planeStatsBackward(p, n, x, d, dx); record("planeStatsBackward", t); }
    @Override public void layerNorm(NormShape s, Ptr x, Ptr g, Ptr b, Ptr y) { long t = System.nanoTime(); inner.layerNorm(s, x, g, b, y); record("layerNorm", t, 8.0 * s.size(), 2.0 * s.size()); }
    @Override public void layerNormBackward(NormShape s, Ptr x, Ptr g, Ptr dy, Ptr dx, Ptr dg, Ptr db) { long t = System.nanoTime(); inner.layerNormBackward(s, x, g, dy, dx, dg, db); record("layerNormBackward", t, 14.0 * s.size(), 3.0 * s.size()); }
    @Override public void attention(long g, int n, int d, float sc, Ptr qkv, Ptr p, Ptr o) { long t = System.nanoTime(); inner.attention(g, n, d, sc, qkv, p, o); record("attention", t, 4.0 * g * n * n * d, (double) g * n * (4 * d + n)); }
    @Override public void attentionBackward(long g, int n, int d, float sc, Ptr qkv, Ptr p, Ptr dO, Ptr dq) { long t = System.nanoTime(); inner.attentionBackward(g, n, d, sc, qkv, p, dO, dq); record("attentionBackward", t, 8.0 * g * n * n * d, (double) g * n * (7 * d + n)); }
    // SIREN: about 2 (in + hidden + out) hidden flops per point forward, three times that with the backward's recomputation; weights and coordinates read, outputs written.
    @Override public void siren(SirenShape s, Ptr w, Ptr c, Ptr o) { long t = System.nanoTime(); inner.siren(s, w, c, o); record("siren", t, 2.0 * s.outSize() / s.out() * s.hidden() * (s.in() + s.hidden() + s.out()), (double) s.size() + s.coordSize() + s.outSize()); }
    @Override public void sirenBackward(SirenShape s, Ptr w, Ptr c, Ptr dO, Ptr tg, Ptr dw, Ptr l) { long t = System.nanoTime(); inner.sirenBackward(s, w, c, dO, tg, dw, l); record("sirenBackward", t, 6.0 * s.outSize() / s.out() * s.hidden() * (s.in() + s.hidden() + s.out()), 2.0 * s.size() + s.coordSize() + s.outSize()); }
    // Adam: param, grad, m and v read, param, m and v written; about 10 flops per parameter.
    @Override public void adamStep(long n, Ptr p, Ptr g, Ptr m, Ptr v, AdamConfig c, long s) { long t = System.nanoTime(); inner.adamStep(n, p, g, m, v, c, s); record("adamStep", t, 10.0 * n, 7.0 * n); }
    @Override public void adamStep(long n, Ptr p, Ptr g, Ptr m, Ptr v, AdamConfig c, int w, Ptr s) { long t = System.nanoTime(); inner.adamStep(n, p, g, m, v, c, w, s); record("adamStep", t, 10.0 * n, 7.0 * n); }
    @Override public void lossGradient(LossFn f, int n, Ptr p, Ptr y, Ptr g) { long t = System.nanoTime(); inner.lossGradient(f, n, p, y, g); record("lossGradient", t); }
    // Pass-throughs, so a device backend still synchronizes, captures and times (host times of queued device work are launch costs).
    @Override public void synchronize() { inner.synchronize(); }
    @Override public void runGraph(Object key, Runnable body) { inner.runGraph(key, body); }
    @Override public void releaseGraph(Object key) { inner.releaseGraph(key); }
    @Override public float[] timeMillis(Runnable body, int warmup, int reps) { return inner.timeMillis(body, warmup, reps); }
}
