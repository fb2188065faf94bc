package dev.nfn4j.testing;

import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.reference.ReferenceOps;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The backends a test suite runs on besides the reference oracle. A backend that cannot load here
 * is reported as skipped with its reason, never silently; {@code -Dnfn4j.requireBackend=simd|cuda}
 * turns that skip into a failure (CI on a GPU machine sets it).
 */
public final class TestBackends {
    private TestBackends() {}

    public static Ops reference() {
        return new ReferenceOps();
    }

    /** The fast backends available here (each to be compared against {@link #reference()}). */
    public static List<Ops> fast() {
        List<Ops> out = new ArrayList<>();
        for (String name : List.of("simd", "cuda")) {
            try {
                out.add(Backends.byName(name));
            } catch (RuntimeException e) {
                skipped(name, e.getMessage());
            }
        }
        return out;
    }

    /** Every backend to run a suite on: the reference, then the fast ones. */
    public static List<Ops> all() {
        List<Ops> out = new ArrayList<>(List.of(reference()));
        out.addAll(fast());
        return out;
    }

    private static void skipped(String name, String why) {
        String required = System.getProperty("nfn4j.requireBackend", "").trim();
        if (required.equals(name)) fail("backend " + name + " is required (-Dnfn4j.requireBackend) but unavailable: " + why);
        System.err.println("SKIPPED backend " + name + ": " + why);
    }
}
