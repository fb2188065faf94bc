package dev.nfn4j.ops;

import dev.nfn4j.ops.reference.ReferenceOps;

import java.util.logging.Logger;

/**
 * Picks the backend once, at first use, and logs why (as Lucene's VectorizationProvider does).
 * {@code -Dnfn4j.backend=reference|simd|cuda} forces one; a forced backend that cannot load is an
 * error, never a silent fallback. Unforced, the order is cuda, simd, reference; this build ships
 * the reference backend only, so that is what is chosen until the others land.
 */
public final class Backends {
    private static final Logger LOG = Logger.getLogger(Backends.class.getName());
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
                    LOG.info("nfn4j backend: " + chosen.name() + " (" + reason + ")");
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
            case "simd" -> throw new UnsupportedOperationException("backend 'simd' is not built into this version of nfn4j (it lands with the SIMD backend)");
            case "cuda" -> throw new UnsupportedOperationException("backend 'cuda' is not built into this version of nfn4j (it lands with the GPU backend)");
            default -> throw new IllegalArgumentException("unknown backend '" + name + "' (expected reference, simd or cuda)");
        };
    }

    private static Ops select(String forced) {
        if (!forced.isBlank()) {
            Ops o = byName(forced.trim());
            reason = "forced by -Dnfn4j.backend";
            return o;
        }
        reason = "default: no SIMD or CUDA backend in this build";
        return new ReferenceOps();
    }
}
