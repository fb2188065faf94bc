package dev.nfn4j.testing;

import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.reference.ReferenceOps;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * The backends a test suite runs on besides the reference oracle. A backend that cannot load here
 * is reported as skipped with its reason, never silently; {@code -Dnfn4j.requireBackend=simd|cuda}
 * (a comma-separated list) turns that skip into a failure (CI on a GPU machine sets it), and
 * under CI (the {@code CI} environment variable set) the SIMD backend is always required: a CI
 * that never ran the SIMD path is not green.
 *
 * <p>Backends are made once per JVM (each SIMD instance owns a thread pool) and shared; the Ops
 * are stateless between calls.
 */
public final class TestBackends {
    private TestBackends() {}

    private static final Ops REFERENCE = new ReferenceOps();
    /** name -> the backend, or the reason it cannot load (a String). */
    private static final Map<String, Object> FAST = new LinkedHashMap<>();

    public static Ops reference() {
        return REFERENCE;
    }

    /** The fast backends available here (each to be compared against {@link #reference()}). */
    public static synchronized List<Ops> fast() {
        List<Ops> out = new ArrayList<>();
        for (String name : fastNames()) {
            Object o = FAST.computeIfAbsent(name, n -> {
                try {
                    return Backends.byName(n);
                } catch (RuntimeException e) {
                    return e.getMessage();
                }
            });
            if (o instanceof Ops ops) out.add(ops);
            else skipped(name, (String) o);
        }
        return out;
    }

    /**
     * The fast backends to compare against the reference: {@code -Dnfn4j.testBackends} (a
     * comma-separated list; the cuda-emulated test run names cuda alone), else simd and cuda.
     */
    static List<String> fastNames() {
        List<String> out = new ArrayList<>(explicitNames());
        out.remove("reference");
        return explicitNames().isEmpty() ? List.of("simd", "cuda") : out;
    }

    /**
     * Every backend to run a suite on: the reference, then the fast ones; with
     * {@code -Dnfn4j.testBackends}, the reference only where that list names it (the
     * cuda-emulated run names cuda alone: the reference's own runs are default-test's).
     */
    public static List<Ops> all() {
        List<Ops> out = new ArrayList<>();
        if (System.getProperty("nfn4j.testBackends", "").isBlank() || explicitNames().contains("reference")) out.add(reference());
        out.addAll(fast());
        // None here (the cuda-emulated run without its library): stand-ins that skip each case with the reason.
        if (out.isEmpty()) for (Named<Ops> n : unavailableNamed()) out.add(n.getPayload());
        return out;
    }

    private static List<String> explicitNames() {
        List<String> out = new ArrayList<>();
        for (String s : System.getProperty("nfn4j.testBackends", "").split(","))
            if (!s.isBlank()) out.add(s.trim());
        return out;
    }

    /** {@link #all()} named by {@link Ops#describe()}, for parameterized test names. */
    public static List<Named<Ops>> allNamed() {
        return named(all());
    }

    /** {@link #fast()} named by {@link Ops#describe()}. */
    public static List<Named<Ops>> fastNamed() {
        return named(fast());
    }

    public static List<Named<Ops>> named(List<Ops> ops) {
        return ops.stream().map(o -> Named.of(o.describe(), o)).toList();
    }

    /**
     * Every case on every backend of {@link #all()}, backend first, for a {@code @MethodSource}: a
     * case that is an {@code Object[]} is spread into several arguments.
     */
    public static Stream<Arguments> onAll(List<?> cases) {
        return on(allNamed(), cases);
    }

    /**
     * Every case on every fast backend. Where none loads, on a stand-in per missing backend whose
     * every call aborts the test with the reason, so each case is reported as skipped, not
     * dropped (an empty source would be a configuration error, an aborted one a silent zero).
     */
    public static Stream<Arguments> onFast(List<?> cases) {
        List<Named<Ops>> fast = fastNamed();
        if (fast.isEmpty()) fast = unavailableNamed();
        return on(fast, cases);
    }

    /** Stand-ins for the fast backends that cannot load here: any call aborts with the reason. */
    public static synchronized List<Named<Ops>> unavailableNamed() {
        fast();
        List<Named<Ops>> out = new ArrayList<>();
        FAST.forEach((name, o) -> {
            if (o instanceof String why) {
                Ops stub = (Ops) Proxy.newProxyInstance(Ops.class.getClassLoader(), new Class<?>[]{Ops.class}, (proxy, m, args) -> {
                    if (m.getName().equals("toString") || m.getName().equals("describe") || m.getName().equals("name")) return name + " (unavailable)";
                    if (m.getName().equals("hashCode")) return System.identityHashCode(proxy);
                    if (m.getName().equals("equals")) return proxy == args[0];
                    return abort("backend " + name + " unavailable: " + why);
                });
                out.add(Named.of(name + " (unavailable)", stub));
            }
        });
        return out;
    }

    private static Stream<Arguments> on(List<Named<Ops>> backends, List<?> cases) {
        return backends.stream().flatMap(b -> cases.stream().map(c -> {
            if (!(c instanceof Object[] a)) return Arguments.of(b, c);
            Object[] all = new Object[a.length + 1];
            all[0] = b;
            System.arraycopy(a, 0, all, 1, a.length);
            return Arguments.of(all);
        }));
    }

    /** The backends that must load here: {@code -Dnfn4j.requireBackend}, plus simd under CI (and cuda under CI with the emulation). */
    public static Set<String> required() {
        Set<String> out = new LinkedHashSet<>();
        for (String s : System.getProperty("nfn4j.requireBackend", "").split(","))
            if (!s.isBlank()) out.add(s.trim());
        if (System.getenv("CI") != null) out.add("simd");
        // Under CI the cuda backend must load wherever the CPU emulation was asked for (the
        // cuda-emulated test run): a build without g++ fails there instead of skipping.
        if (System.getenv("CI") != null && Boolean.getBoolean("nfn4j.cudaEmulation")) out.add("cuda");
        return out;
    }

    /**
     * For tests that construct the SIMD backend themselves (several thread counts): fails when
     * it is required, else aborts the test with the reason, when it cannot load here.
     */
    public static void assumeSimd() {
        String why = Backends.simdUnavailableReason();
        if (why == null) return;
        if (required().contains("simd")) fail("backend simd is required but unavailable: " + why);
        abort("backend simd unavailable: " + why);
    }

    /**
     * One fast backend by name, for tests of that backend alone (the cuda suite): fails when it
     * is required, else aborts the test with the reason, when it cannot load here.
     */
    public static synchronized Ops fastOrSkip(String name) {
        fast();
        Object o = FAST.get(name);
        if (o instanceof Ops ops) return ops;
        if (o == null) throw new IllegalArgumentException("no fast backend named " + name);
        return abort("backend " + name + " unavailable: " + o);
    }

    private static void skipped(String name, String why) {
        if (required().contains(name))
            fail("backend " + name + " is required (-Dnfn4j.requireBackend; under CI simd, and cuda with the emulation) but unavailable: " + why);
        if (REPORTED.add(name)) System.err.println("SKIPPED backend " + name + ": " + why); // once per JVM, not per suite
    }

    private static final Set<String> REPORTED = new LinkedHashSet<>();
}
