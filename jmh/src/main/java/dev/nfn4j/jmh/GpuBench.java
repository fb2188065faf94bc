package dev.nfn4j.jmh;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.nfn4j.io.AtomicFile;
import dev.nfn4j.space.Value;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.cuda.CudaOps;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * The named workloads timed by the backend's own clock ({@link Ops#timeMillis}: CUDA events on
 * the cuda backend, the wall clock around a synchronized run on the CPU), each replayed as one
 * captured graph ({@link Ops#runGraph}) and, unless {@code --no-eager}, also launched op by op.
 * A plain main rather than JMH: JMH's timers cannot see a GPU's queue. Writes JSON (the card,
 * per workload median/p10/p90 ms, the bytes and flops that set its floors, achieved GB/s and
 * GFLOP/s), rewritten after each workload so a run killed midway still leaves what it measured.
 * {@code native/gpu-check.sh} runs it on a GPU machine; {@code --backend simd} runs it here.
 */
@Command(name = "GpuBench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Times the named workloads (DESIGN.md section 6; issues 3 and 4) on one backend and writes JSON.")
public final class GpuBench implements Callable<Integer> {
    @Option(names = "--backend", defaultValue = "cuda", description = "reference, simd or cuda (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--threads", defaultValue = "0", description = "worker threads of the simd backend (0: all processors)")
    int threads;

    @Option(names = "--out", description = "JSON file to write (default: print only)")
    Path out;

    @Option(names = "--reps", defaultValue = "50", description = "timed runs per workload and mode (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--warmup", defaultValue = "10", description = "untimed runs first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--only", split = ",", description = "comma-separated workload names (default: all)")
    List<String> only;

    @Option(names = "--tf32-also", split = ",", paramLabel = "NAMES",
            description = "cuda only: time these workloads once more with the TF32 mixes on (-Dnfn4j.tf32), reported as NAME+tf32")
    List<String> tf32Also = List.of();

    @Option(names = "--eager", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "also time each workload launched op by op, without graph capture (default: on)")
    boolean eager;

    @Option(names = "--copy-mib", defaultValue = "1024", description = "size of the backend's own device copy (copy4d) to time, 0 to skip")
    int copyMib;

    @Option(names = "--budget-s", defaultValue = "0", description = "start no workload after this many seconds (0: no limit)")
    double budgetSeconds;

    @Option(names = "--max-s-per-workload", defaultValue = "10",
            description = "fewer runs (at least 5 timed) where a workload's runs would take longer (default: ${DEFAULT-VALUE} s)")
    double maxSecondsPerWorkload;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static void main(String[] args) {
        System.exit(new CommandLine(new GpuBench()).execute(args));
    }

    /** Times one workload under {@code name} into a new entry of results (rewriting the JSON); 1 if it failed, else 0. */
    private int runOne(Ops ops, Workloads.Named w, String name, Map<String, Object> root, List<Map<String, Object>> results, long start) throws java.io.IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name", name);
        r.put("definition", w);
        results.add(r);
        int failed = 0;
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (budgetSeconds > 0 && elapsed > budgetSeconds) {
            r.put("skipped", String.format("time budget: %.0f s of %.0f s spent", elapsed, budgetSeconds));
        } else {
            try {
                measure(ops, w, r);
            } catch (Throwable t) { // one broken workload must not hide the others' figures
                failed = 1;
                r.put("error", t.toString());
                r.put("stack", Arrays.stream(t.getStackTrace()).limit(12).map(Object::toString).toList());
                System.err.println("GpuBench: " + name + " failed: " + t);
            }
        }
        write(root);
        System.out.println(line(r));
        return failed;
    }

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("tool", "GpuBench");
        root.put("date", Instant.now().toString());
        root.put("backend", backend);
        root.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        root.put("reps", reps);
        root.put("warmup", warmup);
        root.put("timer", backend.equals("cuda") ? "CUDA events (Ops.timeMillis)" : "wall clock around a synchronized run (Ops.timeMillis)");
        List<Map<String, Object>> results = new ArrayList<>();
        root.put("workloads", results);
        Ops ops;
        try {
            ops = Backends.byName(backend, threads);
        } catch (RuntimeException e) {
            root.put("error", "backend '" + backend + "' unavailable: " + e.getMessage());
            write(root);
            System.err.println("GpuBench: " + root.get("error"));
            return 2;
        }
        root.put("device", ops.describe());
        System.out.println("GpuBench: " + ops.describe() + ", " + warmup + " warm-up + " + reps + " timed runs each");
        List<Workloads.Named> todo = new ArrayList<>();
        if (only == null || only.isEmpty()) todo.addAll(Workloads.NAMED);
        else for (String n : only) if (!n.equals("copy")) todo.add(Workloads.named(n.trim()));
        boolean copy = copyMib > 0 && (only == null || only.isEmpty() || only.contains("copy"));
        int failed = 0;
        for (Workloads.Named w : todo) failed += runOne(ops, w, w.name(), root, results, start);
        for (String n : tf32Also) {
            Workloads.Named w = Workloads.named(n.trim());
            if (!(ops instanceof CudaOps gpu)) {
                results.add(new LinkedHashMap<>(Map.of("name", w.name() + "+tf32", "skipped", "TF32 mixes need the cuda backend")));
                continue;
            }
            gpu.setTf32(true);
            try {
                failed += runOne(ops, w, w.name() + "+tf32", root, results, start);
            } finally {
                gpu.setTf32(false);
            }
        }
        if (copy) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("name", "nfn4j_copy");
            results.add(r);
            try {
                measureCopy(ops, (long) copyMib << 18, r);
            } catch (Throwable t) {
                failed++;
                r.put("error", t.toString());
            }
            write(root);
            System.out.println(line(r));
        }
        root.put("seconds", (System.nanoTime() - start) / 1e9);
        write(root);
        return failed == 0 ? 0 : 1;
    }

    /** Builds the workload, runs it once outside any capture (allocations happen there), then times it. */
    private void measure(Ops ops, Workloads.Named w, Map<String, Object> r) {
        long t0 = System.nanoTime();
        double bytes, flops;
        Runnable body, after = () -> {};
        Supplier<Value> result = null;
        Workloads.TrainCase train = null;
        switch (w.kind()) {
            case TRAIN_STEP -> {
                train = new Workloads.TrainCase(ops, w.mode(), w.spec(), Workloads.ints(w.hidden()), w.head(), w.batch());
                body = train::deviceStep;
                after = train.adam::countStep; // the host's step count, outside the graph
                bytes = train.bytes();
                flops = train.flops();
                r.put("parameters", train.params.count());
                r.put("graph_body", "zero grads, forward, BCE gradient (Ops.lossGradient), backward, Adam (step count on the device)");
            }
            case FORWARD, FORWARD_BACKWARD -> {
                boolean bwd = w.kind() == Workloads.Kind.FORWARD_BACKWARD;
                Workloads.LayerCase c = new Workloads.LayerCase(ops, w.mode(), w.spec(), w.cin(), w.cout(), w.batch());
                result = bwd ? c::forwardBackward : c::forward;
                Supplier<Value> run = result;
                body = run::get;
                bytes = c.bytes(bwd);
                flops = c.flops(bwd);
                r.put("in_floats", c.inFloats());
                r.put("out_floats", c.outFloats());
            }
            default -> throw new IllegalStateException(w.kind().toString());
        }
        r.put("bytes", bytes);
        r.put("flops", flops);
        Value first = result != null ? result.get() : null;
        if (first == null) body.run();
        after.run();
        ops.synchronize();
        r.put("setup_s", (System.nanoTime() - t0) / 1e9);
        double eagerSum = first != null ? sum(ops, first) : Double.NaN;

        // A second uncaptured run estimates the cost of one; a slow backend gets fewer runs, not a timeout.
        long t1 = System.nanoTime();
        body.run();
        after.run();
        ops.synchronize();
        double oneMs = (System.nanoTime() - t1) / 1e6;
        int modes = 1 + (eager ? 1 : 0) + (eager && train != null ? 1 : 0);
        double scale = Math.min(1, maxSecondsPerWorkload * 1e3 / (oneMs * (warmup + reps) * modes));
        int timed = Math.max(5, (int) (reps * scale)), warm = Math.max(1, (int) (warmup * scale));
        if (timed < reps) r.put("runs_reduced", String.format("one run took %.1f ms: %d + %d runs", oneMs, warm, timed));

        Runnable once = after;
        float[] graph = ops.timeMillis(() -> {
            ops.runGraph(w.name(), body);
            once.run();
        }, warm, timed);
        r.put("graph", stats(graph, bytes, flops));
        if (first != null) {
            // The replayed graph wrote the same workspace buffer: it must hold the eager run's result, bit for bit.
            double graphSum = sum(ops, first);
            r.put("checksum_eager", eagerSum);
            r.put("checksum_graph", graphSum);
            r.put("graph_matches_eager", Double.compare(eagerSum, graphSum) == 0 && Double.isFinite(eagerSum));
        }
        if (eager) r.put("eager", stats(ops.timeMillis(() -> {
            body.run();
            once.run();
        }, warm, timed), bytes, flops));
        if (train != null && eager) {
            Workloads.TrainCase t = train;
            r.put("host_loss_eager", stats(ops.timeMillis(t::hostLossStep, warm, timed), bytes, flops));
        }
        r.put("seconds", (System.nanoTime() - t0) / 1e9);
    }

    /** The backend's own device-to-device copy (one copy4d of n floats): its bandwidth, read plus write. */
    private void measureCopy(Ops ops, long n, Map<String, Object> r) {
        int len = Math.toIntExact(n);
        Ptr src = Workloads.uploadUniform(ops, n, 7, -1, 1);
        Ptr dst = ops.alloc(n).at(0);
        int[] dims = {1, 1, 1, len};
        long[] unit = {0, 0, 0, 1};
        Runnable body = () -> ops.copy4d(dims, src, unit, dst, unit, false);
        body.run();
        ops.synchronize();
        double bytes = 8.0 * n;
        r.put("bytes", bytes);
        r.put("flops", 0.0);
        r.put("graph", stats(ops.timeMillis(() -> ops.runGraph("nfn4j_copy", body), warmup, reps), bytes, 0));
    }

    /** Sum of every element of a value, on the backend (a checksum without a download). */
    private static double sum(Ops ops, Value v) {
        Ptr s = ops.alloc(1).at(0);
        ops.planeReduce(1, 1, Math.toIntExact(v.size()), v.data(), null, null, s, false);
        float[] h = new float[1];
        ops.download(s, h, 0, 1);
        return h[0];
    }

    static Map<String, Object> stats(float[] ms, double bytes, double flops) {
        double[] s = new double[ms.length];
        for (int i = 0; i < ms.length; i++) s[i] = ms[i];
        Arrays.sort(s);
        Map<String, Object> m = new LinkedHashMap<>();
        double median = quantile(s, 0.5);
        m.put("median_ms", median);
        m.put("p10_ms", quantile(s, 0.1));
        m.put("p90_ms", quantile(s, 0.9));
        m.put("min_ms", s.length > 0 ? s[0] : Double.NaN);
        m.put("mean_ms", Arrays.stream(s).average().orElse(Double.NaN));
        m.put("reps", s.length);
        m.put("gbps", bytes / (median * 1e6));
        m.put("gflops", flops / (median * 1e6));
        return m;
    }

    /** Linear interpolation between order statistics of a sorted array (numpy's default). */
    static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    @SuppressWarnings("unchecked")
    private static String line(Map<String, Object> r) {
        String name = String.format("  %-26s", r.get("name"));
        if (r.containsKey("error")) return name + " ERROR " + r.get("error");
        if (r.containsKey("skipped")) return name + " skipped: " + r.get("skipped");
        Map<String, Object> g = (Map<String, Object>) r.get("graph"), e = (Map<String, Object>) r.get("eager");
        return name + String.format(" graph %9.3f ms  %s  %8.1f GB/s  %9.1f GFLOP/s%s", (double) g.get("median_ms"),
                e == null ? "" : String.format("eager %9.3f ms", (double) e.get("median_ms")), (double) g.get("gbps"),
                (double) g.get("gflops"), Boolean.FALSE.equals(r.get("graph_matches_eager")) ? "  GRAPH != EAGER" : "");
    }

    private void write(Map<String, Object> root) throws java.io.IOException {
        if (out != null) AtomicFile.write(out.toAbsolutePath(), JSON.writeValueAsBytes(root));
    }
}
