package dev.nfn4j.jmh;

import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.ProfilingOps;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where a named workload spends its time, per {@code Ops} method: the question to answer before
 * optimizing a kernel. Not a benchmark (the decorator's clock and the synchronous calls add a
 * little per call); use JMH or {@link GpuBench} for the numbers that go into BENCHMARKS.md.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp jmh/target/benchmarks.jar dev.nfn4j.jmh.ProfileWorkload \
 *      np_mlp256_c32_fwd_bwd [backend=simd] [threads=0] [reps=10] [shapes]
 * </pre>
 * Threads as a list ({@code 1,2}) profile at each count and print every method's speed-up.
 * With {@code shapes}, channel mixes are listed per shape. Each row also gives the method's work
 * (MFLOP, compulsory MB) and the rates it ran at; the last lines set the run against the floor
 * of that work at given rates: {@code -Dfloor.gbps} and {@code -Dfloor.gflops}, by default the
 * AVX2 host's at 2 threads (26.9 GB/s, 128 GFLOP/s; BENCHMARKS.md "The machines" has both hosts'
 * figures, MachineBench measures another machine's).
 */
public final class ProfileWorkload {
    private ProfileWorkload() {}

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: ProfileWorkload WORKLOAD [backend] [threads] [reps] [shapes]; workloads: "
                    + Workloads.NAMED.stream().map(Workloads.Named::name).toList());
            System.exit(2);
        }
        Workloads.Named w = Workloads.named(args[0]);
        String backend = args.length > 1 ? args[1] : "simd";
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        boolean shapes = args.length > 4 && args[4].equals("shapes");
        String threadArg = args.length > 2 ? args[2] : "0";
        if (threadArg.contains(",")) {
            scaling(w, backend, threadArg.split(","), reps, shapes);
            return;
        }
        int threads = Integer.parseInt(threadArg);
        ProfilingOps ops = new ProfilingOps(Backends.byName(backend, threads), shapes);
        double perRep = profile(w, ops, reps);
        System.out.printf("%s on %s: %.2f ms per run (%d runs); per run by method:%n", w.name(), ops.describe(), perRep, reps);
        double gbps = Double.parseDouble(System.getProperty("floor.gbps", "26.9"));
        double gflops = Double.parseDouble(System.getProperty("floor.gflops", "128"));
        double gflop = ops.flops() / 1e9 / reps, gb = ops.bytes() / 1e9 / reps;
        double callFloor = ops.floorMillis(reps, gbps, gflops);
        System.out.print(ops.report(reps));
        System.out.printf("work per run: %.3f GFLOP, %.1f MB compulsory; at %.1f GB/s and %.0f GFLOP/s%s:%n", gflop, gb * 1e3, gbps, gflops,
                System.getProperty("floor.gbps") == null || System.getProperty("floor.gflops") == null
                        ? " (defaults: set this machine's with -Dfloor.gbps and -Dfloor.gflops, from MachineBench)" : "");
        System.out.printf("  floor of these calls (each call max(bytes/BW, flops/peak), summed): %.2f ms%n", callFloor);
        System.out.printf("  compute floor of any implementation doing these flops (flops/peak):   %.2f ms%n", gflop / gflops * 1e3);
    }

    /**
     * Threads given as a list ({@code 1,2}): the workload profiled at each count, then one table of
     * every method's ms per run at each count and its speed-up over the first: which ops do not scale.
     */
    private static void scaling(Workloads.Named w, String backend, String[] counts, int reps, boolean shapes) {
        List<Map<String, Double>> byCount = new ArrayList<>();
        List<Double> totals = new ArrayList<>();
        for (String c : counts) {
            ProfilingOps ops = new ProfilingOps(Backends.byName(backend, Integer.parseInt(c.trim())), shapes);
            totals.add(profile(w, ops, reps));
            byCount.add(ops.millisByMethod(reps));
            ops.report();
        }
        System.out.printf("%s on %s: ms per run at %s threads (%d runs each), and the speed-up over %s thread(s)%n",
                w.name(), backend, String.join(", ", counts), reps, counts[0]);
        StringBuilder head = new StringBuilder(String.format("%-44s", "method"));
        for (String c : counts) head.append(String.format(" %9s", c + " thr"));
        for (int i = 1; i < counts.length; i++) head.append(String.format(" %8s", "x" + counts[i]));
        System.out.println(head);
        Map<String, Double> first = byCount.get(0);
        first.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).forEach(e -> {
            StringBuilder line = new StringBuilder(String.format("%-44s", e.getKey()));
            for (Map<String, Double> m : byCount) line.append(String.format(" %9.3f", m.getOrDefault(e.getKey(), Double.NaN)));
            for (int i = 1; i < byCount.size(); i++) line.append(String.format(" %7.2fx", e.getValue() / byCount.get(i).getOrDefault(e.getKey(), Double.NaN)));
            System.out.println(line);
        });
        StringBuilder total = new StringBuilder(String.format("%-44s", "whole run"));
        for (double t : totals) total.append(String.format(" %9.3f", t));
        for (int i = 1; i < totals.size(); i++) total.append(String.format(" %7.2fx", totals.get(0) / totals.get(i)));
        System.out.println(total);
    }

    /** Warms the JIT up, clears the counters, then runs the workload reps times on ops; returns ms per run (counters kept). */
    private static double profile(Workloads.Named w, ProfilingOps ops, int reps) {
        Runnable body = body(w, ops);
        for (int i = 0; i < Math.max(3, reps / 2); i++) body.run();
        ops.report();
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) body.run();
        return (System.nanoTime() - t0) / 1e6 / reps;
    }

    private static Runnable body(Workloads.Named w, Ops ops) {
        if (w.kind() == Workloads.Kind.TRAIN_STEP) {
            Workloads.TrainCase c = new Workloads.TrainCase(ops, w.mode(), w.spec(), Workloads.ints(w.hidden()), w.head(), w.batch());
            return c::hostLossStep;
        }
        Workloads.LayerCase c = new Workloads.LayerCase(ops, w.mode(), w.spec(), w.cin(), w.cout(), w.batch());
        return w.kind() == Workloads.Kind.FORWARD ? c::forward : c::forwardBackward;
    }
}
