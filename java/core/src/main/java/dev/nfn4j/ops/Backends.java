package dev.nfn4j.ops;

import dev.nfn4j.ops.reference.ReferenceOps;

import java.util.ServiceLoader;


/**
 * Picks the backend once, at first use, and logs why (as Lucene's VectorizationProvider does).
 * {@code -Dnfn4j.backend=reference|simd|cuda} forces one; a forced backend that cannot load is an
 * error, never a silent fallback. Unforced, the order is cuda (the {@code nfn4j-cuda} jar on the
 * class path, found as a {@link BackendProvider}, with a device, a driver and its kernels), then
 * simd (the vector module readable), then reference.
 */
public final class Backends {
    private static final System.Logger LOG = System.getLogger(Backends.class.getName());
    private static volatile Ops chosen;
    private static volatile String reason;

    private Backends() {}

    /** The process-wide backend. */
    public static Ops get() {
        Ops o = chosen;
        if (o == null) {
            synchronized (Backends.class) {
                if (chosen == null) {
                    chosen = select(System.getProperty("nfn4j.backend", ""));
                    LOG.log(System.Logger.Level.INFO, "nfn4j backend: " + chosen.describe() + " (" + reason + ")");
                    if (chosen instanceof ReferenceOps && simdUnavailableReason() != null && System.getProperty("nfn4j.backend", "").isBlank())
                        LOG.log(System.Logger.Level.WARNING, "nfn4j runs on the scalar reference backend, several times slower than simd: "
                                + "start the JVM with --add-modules jdk.incubator.vector");
                }
                o = chosen;
            }
        }
        return o;
    }

    /** Why the process-wide backend was chosen. */
    public static String reason() {
        get();
        return reason;
    }

    /** A backend by name; throws with the reason when it is not available here. */
    public static Ops byName(String name) {
        return switch (name) {
            case "reference" -> new ReferenceOps();
            case "simd" -> simd(0);
            case "cuda" -> cuda().open();
            default -> throw new IllegalArgumentException("unknown backend '" + name + "' (expected reference, simd or cuda)");
        };
    }

    /** A backend by name with a given worker-thread count (0: {@code -Dnfn4j.threads} or all processors); for benchmarks and tests. */
    public static Ops byName(String name, int threads) {
        return name.equals("simd") ? simd(threads) : byName(name);
    }

    /** Why the SIMD backend cannot load here, or null when it can. */
    public static String simdUnavailableReason() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty())
            return "the JVM was started without --add-modules jdk.incubator.vector";
        return null;
    }

    /** Why the cuda backend cannot run here (its jar missing, no device, driver or kernels), or null when it can. */
    public static String cudaUnavailableReason() {
        BackendProvider p = provider("cuda");
        return p == null ? NO_CUDA_JAR : p.unavailableReason();
    }

    private static final String NO_CUDA_JAR = "the nfn4j-cuda jar is not on the class path";

    /** The cuda backend's provider; throws when its jar is missing. */
    private static BackendProvider cuda() {
        BackendProvider p = provider("cuda");
        if (p == null) throw new UnsupportedOperationException("backend 'cuda' is unavailable: " + NO_CUDA_JAR);
        return p;
    }

    /** The provider of that name on the class path, or null. */
    private static BackendProvider provider(String name) {
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()))
            if (p.name().equals(name)) return p;
        return null;
    }

    /**
     * The SIMD backend with {@code threads} workers (0: the configured count), loaded by name so
     * that this class links on a JVM without the vector module.
     */
    private static Ops simd(int threads) {
        String why = simdUnavailableReason();
        if (why != null) throw new UnsupportedOperationException("backend 'simd' is unavailable: " + why);
        int n = threads > 0 ? threads : Parallel.configuredThreads();
        try {
            return (Ops) Class.forName("dev.nfn4j.ops.simd.SimdOps").getConstructor(int.class).newInstance(n);
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException("backend 'simd' failed to start", e.getCause());
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new UnsupportedOperationException("backend 'simd' is unavailable: " + e, e);
        }
    }

    private static Ops select(String forced) {
        if (!forced.isBlank()) {
            Ops o = byName(forced.trim());
            reason = "forced by -Dnfn4j.backend";
            return o;
        }
        String noCuda = cudaUnavailableReason();
        if (noCuda == null) {
            reason = "a CUDA device and the kernels are here";
            return cuda().open();
        }
        String why = simdUnavailableReason();
        if (why == null) {
            Ops o = simd(0);
            reason = "vector module readable; cuda unavailable: " + noCuda;
            return o;
        }
        reason = "SIMD unavailable: " + why + "; cuda unavailable: " + noCuda;
        return new ReferenceOps();
    }
}
