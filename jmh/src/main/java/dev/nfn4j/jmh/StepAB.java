package dev.nfn4j.jmh;

import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A/B timing of two builds in one JVM, run by run: each build's benchmarks jar is loaded in a
 * class loader of its own, both build the same named workload, and the runs alternate A, B, B, A,
 * ... so that the host's drift (20-40% between minutes on a shared machine) hits both sides of
 * every pair alike. Prints, per workload, both medians and the median, quartiles and win rate of
 * the per-pair ratio B / A. A build against itself reads 0.97-1.06 per JVM (each lays out its
 * buffers differently), where rounds of separate JVMs ({@code ab-bench.sh}) spread 0.65-1.3x.
 * In about one JVM in four (at 1 and at 2 threads, whichever jar is B) the side built second
 * runs 4-6x slower in every pair, a state of the two class loaders and not of either build (two
 * models in one class loader never showed it); a median ratio beyond 2x either way is flagged,
 * and that JVM's figures are to be discarded.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp benchmarks.jar dev.nfn4j.jmh.StepAB \
 *       A.jar B.jar [workload,...] [threads] [pairs]
 * </pre>
 * Each side uses only API that every build has ({@code Workloads.NAMED}, {@code TrainCase},
 * {@code LayerCase}, {@code Backends.byName}), so an old commit's jar works as A.
 */
public final class StepAB {
    private StepAB() {}

    /** One build's workload: its class loader and a run of the workload. */
    private record Side(String jar, Runnable run) {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: StepAB A.jar B.jar [workload,...] [threads] [pairs]");
            System.exit(2);
        }
        List<String> names = List.of((args.length > 2 ? args[2] : "zoo_hnp_train_step,zoo_np_train_step").split(","));
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int pairs = args.length > 4 ? Integer.parseInt(args[4]) : 300;
        for (String name : names) {
            Side a = side(args[0], name, threads), b = side(args[1], name, threads);
            for (int i = 0; i < 20; i++) { // warm-up: compile both sides' paths
                a.run.run();
                b.run.run();
            }
            double[] ta = new double[pairs], tb = new double[pairs], ratio = new double[pairs];
            int bFaster = 0;
            for (int i = 0; i < pairs; i++) {
                boolean aFirst = i % 2 == 0;
                double first = time(aFirst ? a : b), second = time(aFirst ? b : a);
                ta[i] = aFirst ? first : second;
                tb[i] = aFirst ? second : first;
                ratio[i] = tb[i] / ta[i];
                if (tb[i] < ta[i]) bFaster++;
            }
            Arrays.sort(ta);
            Arrays.sort(tb);
            Arrays.sort(ratio);
            double r = ratio[pairs / 2];
            System.out.printf(Locale.ROOT, "%-24s A %.3f ms  B %.3f ms  B/A %.3f (quartiles %.3f-%.3f), B faster in %d of %d pairs (%d threads)%s%n",
                    name, ta[pairs / 2], tb[pairs / 2], r, ratio[pairs / 4], ratio[3 * pairs / 4], bFaster, pairs, threads,
                    r > 2 || r < 0.5 ? "  STALLED SIDE: discard this JVM" : "");
        }
        System.exit(0); // the builds' worker threads
    }

    private static double time(Side s) {
        long t0 = System.nanoTime();
        s.run.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    /** The named workload built from {@code jar}'s own classes on its simd backend. */
    private static Side side(String jar, String name, int threads) throws Exception {
        ClassLoader cl = new URLClassLoader(new URL[]{new File(jar).toURI().toURL()}, ClassLoader.getPlatformClassLoader());
        Class<?> backends = cl.loadClass("dev.nfn4j.ops.Backends"), opsType = cl.loadClass("dev.nfn4j.ops.Ops");
        Object ops = backends.getMethod("byName", String.class, int.class).invoke(null, "simd", threads);
        Class<?> workloads = cl.loadClass("dev.nfn4j.jmh.Workloads");
        Object named = null;
        List<String> known = new ArrayList<>();
        for (Object n : (List<?>) workloads.getField("NAMED").get(null)) {
            String nn = (String) call(n, "name");
            known.add(nn);
            if (nn.equals(name)) named = n;
        }
        if (named == null) throw new IllegalArgumentException(jar + " has no workload " + name + " (has " + known + ")");
        String kind = call(named, "kind").toString();
        Object spec = call(named, "spec");
        Class<?> specType = cl.loadClass("dev.nfn4j.space.NetworkSpec");
        int batch = (int) call(named, "batch");
        if (kind.equals("TRAIN_STEP")) {
            int[] hidden = (int[]) workloads.getMethod("ints", String.class).invoke(null, (String) call(named, "hidden"));
            Class<?> tc = cl.loadClass("dev.nfn4j.jmh.Workloads$TrainCase");
            Object c = tc.getConstructor(opsType, String.class, specType, int[].class, int.class, int.class)
                    .newInstance(ops, call(named, "mode"), spec, hidden, call(named, "head"), batch);
            Method step = tc.getMethod("deviceStep");
            Object adam = tc.getField("adam").get(c);
            Method count = adam.getClass().getMethod("countStep");
            return new Side(jar, () -> {
                invoke(step, c);
                invoke(count, adam);
            });
        }
        Class<?> lc = cl.loadClass("dev.nfn4j.jmh.Workloads$LayerCase");
        Object c = lc.getConstructor(opsType, String.class, specType, int.class, int.class, int.class)
                .newInstance(ops, call(named, "mode"), spec, call(named, "cin"), call(named, "cout"), batch);
        Method run = lc.getMethod(kind.equals("FORWARD_BACKWARD") ? "forwardBackward" : "forward");
        return new Side(jar, () -> invoke(run, c));
    }

    private static Object call(Object target, String method) throws Exception {
        Method m = target.getClass().getMethod(method);
        m.setAccessible(true);
        return m.invoke(target);
    }

    private static void invoke(Method m, Object target) {
        try {
            m.invoke(target);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
