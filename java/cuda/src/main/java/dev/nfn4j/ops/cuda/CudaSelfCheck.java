package dev.nfn4j.ops.cuda;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.MixEpilogue;
import dev.nfn4j.ops.MixGrads;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.PlanePools;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.reference.ReferenceOps;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * The guard run the first time the cuda backend is opened in a process: the kernels an NF-Layer
 * step is made of (the input pools, the fused channel mix with its bias, row, column and global
 * terms, ReLU and output pools, its fused backward with every gradient, and an Adam step), on
 * small uneven shapes, against the reference backend. A device, driver or kernel build that
 * computes wrong answers or faults is caught here, before a model runs on it; the probe then
 * falls back to another backend unless cuda was forced. Well under a second on a GPU.
 */
final class CudaSelfCheck {
    private CudaSelfCheck() {}

    /** Worst relative L2 error allowed (FP32 sums in another order; the suites' bound for mixes). */
    static final double TOLERANCE = 1e-4;

    /** The verdict: passed, and a one-line summary (the failures, or what was checked and how fast). */
    record Result(boolean passed, String summary) {}

    static Result run(Ops cuda) {
        long start = System.nanoTime();
        List<String> failures = new ArrayList<>();
        int cases = 0;
        try {
            for (MixShape s : new MixShape[]{new MixShape(2, 5, 7, 9, 37), new MixShape(3, 33, 34, 1, 13)}) {
                failures.addAll(new Case(cuda, s).compare());
                cases++;
            }
            failures.addAll(adam(cuda));
            cases++;
        } catch (RuntimeException e) {
            failures.add("a kernel failed: " + e.getMessage());
        }
        double ms = (System.nanoTime() - start) / 1e6;
        if (!failures.isEmpty()) return new Result(false, String.join("; ", failures));
        return new Result(true, String.format("passed: %d cases (pools, fused channel mix forward and backward, Adam) match the reference within %.0e, %.0f ms",
                cases, TOLERANCE, ms));
    }

    /** One NF-Layer-shaped mix, forward and backward, on both backends. */
    private static final class Case {
        final MixShape s;
        final Ops cuda, ref = new ReferenceOps();
        final Random rnd = new Random(7);
        final List<Ptr[]> outputs = new ArrayList<>();
        final List<String> names = new ArrayList<>();
        final List<Integer> sizes = new ArrayList<>();

        Case(Ops cuda, MixShape s) {
            this.cuda = cuda;
            this.s = s;
        }

        Ptr[] in(int n) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
            Ptr[] p = {cuda.alloc(n).at(0), ref.alloc(n).at(0)};
            cuda.upload(v, 0, p[0], n);
            ref.upload(v, 0, p[1], n);
            return p;
        }

        Ptr[] out(String name, long n) {
            Ptr[] p = {cuda.alloc(n).at(0), ref.alloc(n).at(0)};
            outputs.add(p);
            names.add(name);
            sizes.add((int) n);
            return p;
        }

        List<String> compare() {
            int B = s.batch(), P = (int) s.plane();
            Ptr[] x = in(B * s.cin() * P), a = in(s.cout() * s.cin()), bias = in(s.cout()), row = in(B * s.cout() * s.cols()),
                    col = in(B * s.cout() * s.rows()), glob = in(B * s.cout()), dy = in(B * s.cout() * P);
            Ptr[] inRow = out("planeReduce rows", (long) B * s.cin() * s.cols()), inCol = out("planeReduce cols", (long) B * s.cin() * s.rows()),
                    inAll = out("planeReduce all", (long) B * s.cin());
            Ptr[] y = out("channelMix y", (long) B * s.cout() * P), rowMean = out("channelMix pools rows", (long) B * s.cout() * s.cols()),
                    colMean = out("channelMix pools cols", (long) B * s.cout() * s.rows()), allMean = out("channelMix pools all", (long) B * s.cout());
            Ptr[] dx = out("backward dx", (long) B * s.cin() * P), da = out("backward da", (long) s.cout() * s.cin()), db = out("backward dbias", s.cout()),
                    dRow = out("backward dRow", (long) B * s.cout() * s.cols()), dCol = out("backward dCol", (long) B * s.cout() * s.rows()),
                    dGlob = out("backward dGlob", (long) B * s.cout());
            for (int k = 0; k < 2; k++) {
                Ops o = k == 0 ? cuda : ref;
                o.planeReduce((long) B * s.cin(), s.rows(), s.cols(), x[k], inRow[k], inCol[k], inAll[k], true);
                o.channelMix(s, x[k], a[k], new MixEpilogue(bias[k], row[k], col[k], glob[k], Act.RELU, new PlanePools(rowMean[k], colMean[k], allMean[k])), y[k]);
                o.channelMixBackward(s, x[k], a[k], Act.RELU, y[k], dy[k], new MixGrads(dx[k], da[k], db[k], dRow[k], dCol[k], dGlob[k], true));
            }
            List<String> bad = new ArrayList<>();
            for (int i = 0; i < outputs.size(); i++) {
                String why = mismatch(cuda, ref, outputs.get(i), sizes.get(i));
                if (why != null) bad.add(names.get(i) + " " + s + ": " + why);
            }
            return bad;
        }
    }

    private static List<String> adam(Ops cuda) {
        Ops ref = new ReferenceOps();
        int n = 1000;
        Random rnd = new Random(3);
        Function<Integer, float[]> gauss = k -> {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
            return v;
        };
        float[] p = gauss.apply(0), g = gauss.apply(1);
        Ptr[][] bufs = new Ptr[4][2];
        for (int b = 0; b < 4; b++)
            for (int k = 0; k < 2; k++) {
                Ops o = k == 0 ? cuda : ref;
                bufs[b][k] = o.alloc(n).at(0);
                if (b == 0) o.upload(p, 0, bufs[b][k], n);
                if (b == 1) o.upload(g, 0, bufs[b][k], n);
            }
        for (int k = 0; k < 2; k++)
            for (long step = 1; step <= 2; step++)
                (k == 0 ? cuda : ref).adamStep(n, bufs[0][k], bufs[1][k], bufs[2][k], bufs[3][k], AdamConfig.adamW(1e-2, 1e-2), step);
        List<String> bad = new ArrayList<>();
        String why = mismatch(cuda, ref, bufs[0], n);
        if (why != null) bad.add("adamStep parameters: " + why);
        return bad;
    }

    /** Null when the two agree within {@link #TOLERANCE} in relative L2 error, else how they differ. */
    private static String mismatch(Ops cuda, Ops ref, Ptr[] p, int n) {
        float[] c = new float[n], r = new float[n];
        cuda.download(p[0], c, 0, n);
        ref.download(p[1], r, 0, n);
        double num = 0, den = 0;
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(c[i]) != Float.isNaN(r[i])) return "element " + i + " is " + c[i] + ", the reference " + r[i];
            if (Float.isNaN(r[i])) continue;
            double d = (double) c[i] - r[i];
            num += d * d;
            den += (double) r[i] * r[i];
        }
        double rel = Math.sqrt(num / Math.max(den, 1e-30));
        return rel <= TOLERANCE ? null : String.format("relative L2 error %.2e (allowed %.0e)", rel, TOLERANCE);
    }
}
