package dev.nfn4j.ops;

import dev.nfn4j.ops.simd.SimdOps;
import dev.nfn4j.testing.Compare;
import dev.nfn4j.testing.TestBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A backend's results must not depend on how far the JIT has got: the first calls of a fresh JVM
 * (interpreter and C1, where the Vector API runs its Java fallback) must give the bits that the
 * C2-compiled kernels give later, or a service scores the same checkpoint differently before and
 * after warm-up, a training run is not reproducible, and "deterministic for a given backend"
 * (DESIGN section 5) does not hold. (The thread-count test cannot see this alone: which of its
 * runs is cold depends on what ran before it in the JVM.)
 *
 * <p>The same {@link Probe} runs in two child JVMs: one with C1 only (no Vector API intrinsics,
 * every call takes the cold path), one with C2 only, compiling synchronously after 100 calls,
 * read after 30 rounds. Shapes are small (the fallback is slow) but reach every vector loop and
 * lane reduction: a Linear layer's dot products (33 channels), the tiled weight gradient (a
 * 65x70 plane), the small-plane weight gradient and the plane pools.
 */
class JitDeterminismTest {
    /** The kernels under test on seeded data, SIMD backend, one thread. */
    static final class Probe {
        static Map<String, float[]> compute() {
            Ops ops = new SimdOps(1);
            Map<String, float[]> out = new LinkedHashMap<>();
            Random rnd = new Random(2026);
            // Linear: channelMix with a plane of 1 (per-output dot products), forward and backward.
            MixShape lin = new MixShape(3, 33, 5, 1, 1);
            Ptr x = put(ops, rnd, 3 * 33), a = put(ops, rnd, 5 * 33), bias = put(ops, rnd, 5), y = ops.alloc(15).at(0);
            ops.channelMix(lin, x, a, MixEpilogue.bias(bias), y);
            out.put("channelMix plane 1: y", get(ops, y, 15));
            Ptr dyl = put(ops, rnd, 15), dxl = ops.alloc(99).at(0), dal = ops.alloc(165).at(0), dbl = ops.alloc(5).at(0);
            ops.channelMixBackward(lin, x, a, Act.IDENTITY, null, dyl, MixGrads.of(dxl, dal, dbl));
            out.put("channelMixBackward plane 1: dx", get(ops, dxl, 99));
            out.put("channelMixBackward plane 1: da", get(ops, dal, 165));
            out.put("channelMixBackward plane 1: dbias", get(ops, dbl, 5));
            // Weight gradients: a 65x70 plane (tiled partials) and a 7x13 plane (rows of da per task).
            for (int[] pl : new int[][]{{65, 70}, {7, 13}}) {
                int plane = pl[0] * pl[1];
                MixShape s = new MixShape(2, 3, 2, pl[0], pl[1]);
                Ptr xs = put(ops, rnd, 2 * 3 * plane), as = put(ops, rnd, 6), dy = put(ops, rnd, 2 * 2 * plane);
                Ptr da = ops.alloc(6).at(0), db = ops.alloc(2).at(0), dx = ops.alloc(2 * 3 * plane).at(0), ys = ops.alloc(2 * 2 * plane).at(0);
                ops.channelMix(s, xs, as, MixEpilogue.NONE, ys);
                ops.channelMixBackward(s, xs, as, Act.IDENTITY, null, dy, MixGrads.of(dx, da, db));
                String at = " plane " + pl[0] + "x" + pl[1] + ": ";
                out.put("channelMix" + at + "y", get(ops, ys, 2 * 2 * plane));
                out.put("channelMixBackward" + at + "dx", get(ops, dx, 2 * 3 * plane));
                out.put("channelMixBackward" + at + "da", get(ops, da, 6));
                out.put("channelMixBackward" + at + "dbias", get(ops, db, 2));
            }
            // Plane pools: row sums along vectors, column sums reduced across lanes.
            Ptr xp = put(ops, rnd, 5 * 17 * 31), ro = ops.alloc(5 * 31).at(0), co = ops.alloc(5 * 17).at(0), al = ops.alloc(5).at(0);
            ops.planeReduce(5, 17, 31, xp, ro, co, al, true);
            out.put("planeReduce 17x31: rowOut", get(ops, ro, 5 * 31));
            out.put("planeReduce 17x31: colOut", get(ops, co, 5 * 17));
            out.put("planeReduce 17x31: allOut", get(ops, al, 5));
            // SIRENs: the sin/cos polynomial, the register blocks and a partial tile, forward and a fitting step's backward.
            SirenShape ss = new SirenShape(2, 37, 2, 17, 1, 30f, 30f);
            Ptr sw = put(ops, rnd, (int) ss.size()), sx = put(ops, rnd, (int) ss.coordSize()), st = put(ops, rnd, 74);
            Ptr sy = ops.alloc(74).at(0), sdw = ops.alloc(ss.size()).at(0), sl = ops.alloc(2).at(0);
            ops.siren(ss, sw, sx, sy);
            ops.sirenBackward(ss, sw, sx, null, st, sdw, sl);
            out.put("siren: out", get(ops, sy, 74));
            out.put("sirenBackward: dWeights", get(ops, sdw, (int) ss.size()));
            out.put("sirenBackward: loss", get(ops, sl, 2));
            return out;
        }

        private static Ptr put(Ops ops, Random rnd, int n) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
            Ptr p = ops.alloc(n).at(0);
            ops.upload(a, 0, p, n);
            return p;
        }

        private static float[] get(Ops ops, Ptr p, int n) {
            float[] a = new float[n];
            ops.download(p, a, 0, n);
            return a;
        }

        /** Child JVM entry: runs {@link #compute} args[1] times, writes {@code describe()} and the last results to args[0]. */
        public static void main(String[] args) throws IOException {
            Map<String, float[]> r = null;
            for (int i = Integer.parseInt(args[1]); i > 0; i--) r = compute();
            try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(Path.of(args[0])))) {
                o.writeUTF(new SimdOps(1).describe());
                o.writeInt(r.size());
                for (Map.Entry<String, float[]> e : r.entrySet()) {
                    o.writeUTF(e.getKey());
                    o.writeInt(e.getValue().length);
                    for (float f : e.getValue()) o.writeInt(Float.floatToRawIntBits(f));
                }
            }
        }
    }

    @Test
    void coldAndWarmKernelsGiveTheSameBits(@TempDir Path tmp) throws Exception {
        TestBackends.assumeSimd();
        // Cold: C1 only, so the Vector API never leaves its Java fallback (what a fresh JVM's first calls run).
        Result cold = child(tmp, "cold", 1, "-XX:TieredStopAtLevel=1");
        // Warm: C2 only, compiling a method after 100 calls and waiting for it (-Xbatch), then 30 rounds.
        Result warm = child(tmp, "warm", 30, "-XX:-TieredCompilation", "-Xbatch", "-XX:CompileThreshold=100");
        assertEquals(warm.backend, cold.backend, "the child JVMs run different vector widths");
        assertEquals(warm.results.keySet(), cold.results.keySet());
        List<String> bad = new ArrayList<>();
        for (String name : warm.results.keySet())
            try {
                Compare.assertBitIdentical(warm.results.get(name), cold.results.get(name), name + ", C2-compiled vs cold (Vector API fallback)");
            } catch (AssertionError e) {
                bad.add(e.getMessage());
            }
        assertTrue(bad.isEmpty(), warm.backend + ": results depend on JIT warm-up:\n  " + String.join("\n  ", bad));
    }

    record Result(String backend, Map<String, float[]> results) {}

    /** Runs {@link Probe} {@code rounds} times in a child JVM with the given flags; reads back the last round. */
    private static Result child(Path tmp, String name, int rounds, String... flags) throws Exception {
        Path file = tmp.resolve(name + ".bin"), log = tmp.resolve(name + ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx512m", "-XX:+UseSerialGC"));
        cmd.addAll(List.of(flags));
        String bits = System.getProperty("nfn4j.vectorBits", "").trim();
        if (!bits.isEmpty()) cmd.add("-Dnfn4j.vectorBits=" + bits);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName(), file.toString(), String.valueOf(rounds)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("the " + name + " child JVM did not finish in 180 s");
        }
        assertEquals(0, p.exitValue(), () -> "the " + name + " child JVM failed:\n" + read(log));
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            String backend = in.readUTF();
            int n = in.readInt();
            Map<String, float[]> r = new LinkedHashMap<>();
            for (int k = 0; k < n; k++) {
                String key = in.readUTF();
                float[] a = new float[in.readInt()];
                for (int i = 0; i < a.length; i++) a[i] = Float.intBitsToFloat(in.readInt());
                r.put(key, a);
            }
            return new Result(backend, r);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
