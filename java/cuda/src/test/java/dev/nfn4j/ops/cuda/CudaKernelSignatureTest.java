package dev.nfn4j.ops.cuda;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.LossFn;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Java side's picture of the kernels against their sources, without a GPU: every
 * {@code extern "C" __global__} kernel in {@code kernels/*.cu} is in the {@link Kernel} table with
 * the same parameter types, names and order (a mismatched launch is the likeliest first failure
 * on a GPU, and would pass garbage rather than fail), the codes passed as ints match the Java
 * enums, and the tile sizes the planner assumes match the kernels' #defines.
 */
class CudaKernelSignatureTest {
    /** Maven runs tests in the module's folder, java/cuda; the kernels are two levels up. */
    static final Path KERNELS = Path.of("..", "..", "kernels");

    static String sources() throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(KERNELS)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".cu") || f.toString().endsWith(".cuh")).sorted().toList())
                all.append(Files.readString(p)).append('\n');
        }
        return all.toString();
    }

    private static final Pattern KERNEL = Pattern.compile(
            "extern\\s+\"C\"\\s+__global__\\s+void\\s+(?:__launch_bounds__\\s*\\([^)]*\\)\\s*)?(\\w+)\\s*\\(([^)]*)\\)");

    /** name -> normalized C parameter list ("float* x, int n"), in source order. */
    static Map<String, List<Kernel.Param>> parse(String src) {
        Map<String, List<Kernel.Param>> out = new LinkedHashMap<>();
        Matcher m = KERNEL.matcher(src.replaceAll("//[^\n]*", ""));
        while (m.find()) {
            String params = m.group(2).replace("__restrict__", " ").replaceAll("\\bconst\\b", " ");
            if (out.put(m.group(1), Kernel.parseParams(params)) != null) fail("kernel " + m.group(1) + " defined twice");
        }
        return out;
    }

    @Test
    void everyKernelInTheSourcesIsInTheTableWithTheSameParameters() throws IOException {
        Map<String, List<Kernel.Param>> parsed = parse(sources());
        assertTrue(parsed.size() >= 10, "found only " + parsed.keySet() + " in " + KERNELS.toAbsolutePath());
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, List<Kernel.Param>> e : parsed.entrySet()) {
            Kernel k = Kernel.bySymbol(e.getKey());
            if (k == null) problems.add(e.getKey() + ": in the sources, not in Kernel (the backend could never launch it)");
            else if (!k.params.equals(e.getValue()))
                problems.add(e.getKey() + ":\n  source: " + e.getValue() + "\n  Kernel: " + k.params);
        }
        for (Kernel k : Kernel.values())
            if (!parsed.containsKey(k.symbol)) problems.add(k.symbol + ": in Kernel, not in the sources");
        if (!problems.isEmpty()) fail(String.join("\n", problems));
    }

    @Test
    void theParserReadsQualifiersAndLaunchBounds() {
        Map<String, List<Kernel.Param>> p = parse("""
                // extern "C" __global__ void commented_out(int x)
                extern "C" __global__ void __launch_bounds__(NFN_THREADS)
                k1(const float* __restrict__ x, float *y, long long n, double s) {}
                extern "C" __global__ void k2(double* h, int a) {}
                """);
        assertEquals(List.of("k1", "k2"), List.copyOf(p.keySet()));
        assertEquals("[float* x, float* y, long long n, double s]", p.get("k1").toString());
        assertEquals("[double* h, int a]", p.get("k2").toString());
    }

    private static long define(String src, String name) {
        Matcher m = Pattern.compile("#define\\s+" + name + "\\s+(\\d+)").matcher(src);
        if (!m.find()) fail("#define " + name + " not found in " + KERNELS);
        return Long.parseLong(m.group(1));
    }

    @Test
    void codesPassedAsIntsMatchTheJavaEnums() throws IOException {
        String src = sources();
        for (Act a : Act.values()) assertEquals(a.ordinal(), define(src, "ACT_" + a.name()), "ACT_" + a.name());
        for (LossFn l : LossFn.values()) assertEquals(l.ordinal(), define(src, "LOSS_" + l.name()), "LOSS_" + l.name());
    }

    @Test
    void theTilesThePlannerAssumesAreTheKernels() throws IOException {
        String src = sources();
        assertEquals(KernelPlans.THREADS, define(src, "NFN_THREADS"));
        assertEquals(KernelPlans.MIX_BM, define(src, "MIX_BM"));
        assertEquals(KernelPlans.MIX_BN, define(src, "MIX_BN"));
        assertEquals(KernelPlans.WG_TILE, define(src, "WG_TILE"));
    }
}
