package dev.nfn4j.jmh;

import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.ProfilingOps;

/**
 * Where a named workload spends its time, per {@code Ops} method: the question to answer before
 * optimizing a kernel. Not a benchmark (the decorator's clock and the synchronous calls add a
 * little per call); use JMH or {@link GpuBench} for the numbers that go into BENCHMARKS.md.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp jmh/target/benchmarks.jar dev.nfn4j.jmh.ProfileWorkload \
 *      np_mlp256_c32_fwd_bwd [backend=simd] [threads=0] [reps=10] [shapes]
 * </pre>
 * With {@code shapes}, channel mixes are listed per shape. Each row also gives the method's work
 * (MFLOP, compulsory MB) and the rates it ran at; the last lines set the run against the floor
 * of that work at this machine's measured rates (BENCHMARKS.md; {@code -Dfloor.gbps},
 * {@code -Dfloor.gflops} for another machine or thread count).
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
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 0, reps = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        ProfilingOps ops = new ProfilingOps(Backends.byName(backend, threads), args.length > 4 && args[4].equals("shapes"));
        Runnable body = body(w, ops);
        for (int i = 0; i < Math.max(3, reps / 2); i++) body.run(); // JIT warm-up
        ops.report();
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) body.run();
        double perRep = (System.nanoTime() - t0) / 1e6 / reps;
        System.out.printf("%s on %s: %.2f ms per run (%d runs); per run by method:%n", w.name(), ops.describe(), perRep, reps);
        double gbps = Double.parseDouble(System.getProperty("floor.gbps", "26.9"));
        double gflops = Double.parseDouble(System.getProperty("floor.gflops", "128"));
        double gflop = ops.flops() / 1e9 / reps, gb = ops.bytes() / 1e9 / reps;
        double callFloor = ops.floorMillis(reps, gbps, gflops);
        System.out.print(ops.report(reps));
        System.out.printf("work per run: %.3f GFLOP, %.1f MB compulsory; at %.1f GB/s and %.0f GFLOP/s:%n", gflop, gb * 1e3, gbps, gflops);
        System.out.printf("  floor of these calls (each call max(bytes/BW, flops/peak), summed): %.2f ms%n", callFloor);
        System.out.printf("  compute floor of any implementation doing these flops (flops/peak):   %.2f ms%n", gflop / gflops * 1e3);
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
