package dev.nfn4j.ops;

import dev.nfn4j.ops.reference.ReferenceOps;
import dev.nfn4j.testing.Compare;
import dev.nfn4j.testing.TestBackends;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SIREN op's backward against central finite differences of its forward (on the reference,
 * the oracle the other backends are held to in BackendEquivalenceTest), the MSE form against the
 * cotangent form, a SIREN's result independent of its batch, and the arguments refused.
 */
class SirenOpTest {
    private static float[] run(Ops ops, SirenShape s, float[] w, float[] x) {
        Ptr wp = put(ops, w), xp = put(ops, x), y = ops.alloc(s.outSize()).at(0);
        ops.siren(s, wp, xp, y);
        return get(ops, y, s.outSize());
    }

    private static Ptr put(Ops ops, float[] v) {
        Ptr p = ops.alloc(v.length).at(0);
        ops.upload(v, 0, p, v.length);
        return p;
    }

    private static float[] get(Ops ops, Ptr p, long n) {
        float[] v = new float[(int) n];
        ops.download(p, v, 0, v.length);
        return v;
    }

    private static double weighted(float[] y, float[] g) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s += (double) y[i] * g[i];
        return s;
    }

    /** d sum(out * G) / d weights by central differences, every weight, against the backward. */
    private static void gradientCheck(SirenShape s, double step, double tol) {
        Ops ref = new ReferenceOps();
        float[] w = BackendEquivalenceTest.sirenWeights(s, 5), x = BackendEquivalenceTest.sirenCoords(s, 6);
        float[] g = new float[(int) s.outSize()];
        Random r = new Random(7);
        for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
        Ptr dw = ref.alloc(s.size()).at(0);
        ref.sirenBackward(s, put(ref, w), put(ref, x), put(ref, g), null, dw, null);
        float[] analytic = get(ref, dw, s.size());
        float[] fd = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            float[] p = w.clone(), m = w.clone();
            p[i] = (float) (w[i] + step);
            m[i] = (float) (w[i] - step);
            fd[i] = (float) ((weighted(run(ref, s, p, x), g) - weighted(run(ref, s, m, x), g)) / ((double) p[i] - m[i]));
        }
        Compare.assertClose(analytic, fd, tol, s + ": backward vs finite differences");
    }

    @Test
    void theBackwardIsTheForwardsGradient() {
        gradientCheck(new SirenShape(2, 23, 3, 9, 2, 3f, 2f), 1e-3, 1e-3);
        gradientCheck(SirenShape.nfn(2, 30, 1), 1e-4, 1e-2); // nfn's omega 30: steep, so a small step and float outputs' noise
    }

    /** The MSE form is the cotangent form with dOut = 2 (y - target) / (points out), and its loss is the MSE. */
    @Test
    void theTargetFormIsTheMeanSquaredErrorsGradient() {
        for (Ops ops : TestBackends.all()) {
            SirenShape s = new SirenShape(3, 41, 2, 20, 2, 30f, 30f);
            float[] w = BackendEquivalenceTest.sirenWeights(s, 8), x = BackendEquivalenceTest.sirenCoords(s, 9);
            float[] t = new float[(int) s.outSize()];
            Random r = new Random(10);
            for (int i = 0; i < t.length; i++) t[i] = (float) r.nextGaussian();
            float[] y = run(ops, s, w, x);
            float[] g = new float[t.length];
            double[] mse = new double[s.batch()];
            int per = s.points() * s.out();
            for (int i = 0; i < t.length; i++) {
                g[i] = (float) (2.0 * (y[i] - t[i]) / per);
                mse[i / per] += (double) (y[i] - t[i]) * (y[i] - t[i]) / per;
            }
            Ptr wp = put(ops, w), xp = put(ops, x), a = ops.alloc(s.size()).at(0), b = ops.alloc(s.size()).at(0), loss = ops.alloc(s.batch()).at(0);
            ops.sirenBackward(s, wp, xp, put(ops, g), null, a, null);
            ops.sirenBackward(s, wp, xp, null, put(ops, t), b, loss);
            Compare.assertClose(get(ops, b, s.size()), get(ops, a, s.size()), 1e-5, ops.name() + " dWeights");
            float[] l = get(ops, loss, s.batch());
            for (int i = 0; i < mse.length; i++) assertEquals(mse[i], l[i], 1e-5 * mse[i], ops.name() + " loss of SIREN " + i);
        }
    }

    /** On the fast backend a SIREN's outputs and gradients are the same bits alone as in any batch (the zoo's chunks rely on it). */
    @Test
    void aSirensResultDoesNotDependOnItsBatch() {
        for (Ops ops : TestBackends.fast()) aSirensResultDoesNotDependOnItsBatch(ops);
    }

    private static void aSirensResultDoesNotDependOnItsBatch(Ops ops) {
        SirenShape s = SirenShape.nfn(5, 100, 1), one = s.withBatch(1);
        float[] w = BackendEquivalenceTest.sirenWeights(s, 11), x = BackendEquivalenceTest.sirenCoords(s, 12);
        float[] t = new float[(int) s.outSize()];
        Arrays.fill(t, 0.25f);
        Ptr dw = ops.alloc(s.size()).at(0);
        ops.sirenBackward(s, put(ops, w), put(ops, x), null, put(ops, t), dw, null);
        float[] all = get(ops, dw, s.size()), y = run(ops, s, w, x);
        int b = 3, H = s.hidden();
        float[] w1 = new float[one.perSiren()];
        long[][] tensors = {{s.w0(), one.w0(), H * 2}, {s.b0(), one.b0(), H}, {s.w1(), one.w1(), H * H}, {s.b1(), one.b1(), H}, {s.w2(), one.w2(), H},
                {s.b2(), one.b2(), 1}};
        for (long[] tn : tensors) System.arraycopy(w, (int) (tn[0] + b * tn[2]), w1, (int) tn[1], (int) tn[2]);
        Ptr dw1 = ops.alloc(one.size()).at(0);
        ops.sirenBackward(one, put(ops, w1), put(ops, x), null, put(ops, Arrays.copyOf(t, one.points())), dw1, null);
        float[] alone = get(ops, dw1, one.size());
        for (long[] tn : tensors)
            Compare.assertBitIdentical(Arrays.copyOfRange(alone, (int) tn[1], (int) (tn[1] + tn[2])),
                    Arrays.copyOfRange(all, (int) (tn[0] + b * tn[2]), (int) (tn[0] + (b + 1) * tn[2])), "gradient of SIREN " + b);
        Compare.assertBitIdentical(run(ops, one, w1, x), Arrays.copyOfRange(y, b * 100, (b + 1) * 100), "outputs of SIREN " + b);
    }

    /** Hidden widths that pad to the same vector width, one after the other on one backend: each as on a fresh one. */
    @Test
    void consecutiveWidthsDoNotShareState() {
        for (Ops ops : TestBackends.fast())
            for (int h : new int[]{32, 31, 17, 31, 13, 15, 13}) {
                SirenShape s = new SirenShape(2, 40, 2, h, 1, 30f, 30f);
                float[] w = BackendEquivalenceTest.sirenWeights(s, h), x = BackendEquivalenceTest.sirenCoords(s, 3);
                Ops ref = new ReferenceOps();
                Compare.assertClose(run(ops, s, w, x), run(ref, s, w, x), BackendEquivalenceTest.SIREN_TOL, ops.name() + " hidden " + h);
                float[] g = new float[(int) s.outSize()];
                Arrays.fill(g, 1f);
                Ptr a = ops.alloc(s.size()).at(0), b = ref.alloc(s.size()).at(0);
                ops.sirenBackward(s, put(ops, w), put(ops, x), put(ops, g), null, a, null);
                ref.sirenBackward(s, put(ref, w), put(ref, x), put(ref, g), null, b, null);
                Compare.assertClose(get(ops, a, s.size()), get(ref, b, s.size()), 5 * BackendEquivalenceTest.SIREN_TOL, ops.name() + " hidden " + h);
            }
    }

    @Test
    void argumentsAreChecked() {
        Ops ops = TestBackends.fast().getFirst();
        SirenShape s = SirenShape.nfn(2, 10, 1);
        Ptr w = ops.alloc(s.size()).at(0), x = ops.alloc(s.coordSize()).at(0), d = ops.alloc(s.outSize()).at(0), dw = ops.alloc(s.size()).at(0);
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class, () -> ops.sirenBackward(s, w, x, d, d, dw, null));
        assertTrue(both.getMessage().contains("either dOut or target"), both.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ops.sirenBackward(s, w, x, null, null, dw, null));
        assertThrows(IllegalArgumentException.class, () -> ops.sirenBackward(s, w, x, d, null, dw, ops.alloc(2).at(0)));
        assertThrows(IndexOutOfBoundsException.class, () -> ops.siren(s.withBatch(3), w, x, ops.alloc(30).at(0)));
        assertThrows(IllegalArgumentException.class, () -> new SirenShape(0, 10, 2, 32, 1, 30f, 30f));
    }
}
