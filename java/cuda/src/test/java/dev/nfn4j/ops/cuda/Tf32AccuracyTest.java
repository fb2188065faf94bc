package dev.nfn4j.ops.cuda;

import dev.nfn4j.ops.MixEpilogue;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.reference.ReferenceOps;
import dev.nfn4j.testing.Compare;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The accuracy bound of the opt-in TF32 mixes (kernels/mix.cu, channel_mix_tf32), established
 * without a GPU: the tensor cores multiply inputs rounded to TF32 (10 explicit mantissa bits,
 * {@code cvt.rna.tf32.f32}: round to nearest, ties away from zero) and accumulate in FP32, which
 * the reference backend reproduces when it is fed the rounded inputs. Per output the error is at
 * most 2^-10 x sum |A x| (two roundings of at most 2^-11 each) plus FP32 accumulation error; the
 * relative L2 error on mixed-sign data is about 3e-4. {@link #GPU_TOLERANCE} is what CudaOpsTest
 * allows the real kernel.
 */
class Tf32AccuracyTest {
    /** Relative L2 tolerance of the GPU's TF32 mixes against the FP32 reference. */
    static final double GPU_TOLERANCE = 2e-3;

    /** {@code __float_to_tf32}: keep 10 mantissa bits, round to nearest with ties away from zero (sign-magnitude, so add half an ulp). */
    static float toTf32(float f) {
        if (!Float.isFinite(f)) return f;
        return Float.intBitsToFloat((Float.floatToRawIntBits(f) + 0x1000) & 0xFFFFE000);
    }

    @Test
    void roundingKeepsTenMantissaBitsToNearestTiesAway() {
        float ulp = (float) Math.pow(2, -10); // TF32's spacing just above 1
        assertEquals(1f, toTf32(1f + ulp * 0.49f));
        assertEquals(1f + ulp, toTf32(1f + ulp * 0.51f));
        assertEquals(1f + ulp, toTf32(1f + ulp * 0.5f), "a tie rounds away from zero");
        assertEquals(-(1f + ulp), toTf32(-(1f + ulp * 0.5f)), "and so for negative values");
        assertEquals(3f, toTf32(3f));
        assertEquals(0f, toTf32(0f));
        assertTrue(Float.isNaN(toTf32(Float.NaN)));
        assertEquals(Float.POSITIVE_INFINITY, toTf32(Float.POSITIVE_INFINITY));
        Random r = new Random(3);
        for (int i = 0; i < 10_000; i++) {
            float v = (float) r.nextGaussian() * 100;
            float t = toTf32(v);
            assertEquals(0, Float.floatToRawIntBits(t) & 0x1FFF, "low 13 bits cleared");
            assertTrue(Math.abs(t - v) <= Math.abs(v) * Math.pow(2, -11) * (1 + 1e-6), v + " -> " + t);
        }
    }

    @Test
    void tf32MixesMeetTheDocumentedBoundOnTheGpuTestShapes() {
        ReferenceOps ops = new ReferenceOps();
        Random r = new Random(11);
        int[][] shapes = {{3, 65, 70, 7, 13}, {2, 144, 144, 16, 16}, {17, 128, 64, 1, 1}};
        for (int[] sh : shapes) {
            MixShape s = new MixShape(sh[0], sh[1], sh[2], sh[3], sh[4]);
            int xs = s.batch() * s.cin() * (int) s.plane(), as = s.cout() * s.cin(), ys = s.batch() * s.cout() * (int) s.plane();
            float[] x = gaussian(r, xs), a = gaussian(r, as);
            float[] exact = mix(ops, s, x, a), tf32 = mix(ops, s, round(x), round(a));
            float[] absX = abs(x), absA = abs(a), magnitude = mix(ops, s, absX, absA); // sum_c |A x| per output
            double worstRatio = 0;
            for (int i = 0; i < ys; i++) {
                double bound = (Math.pow(2, -10) + s.cin() * Math.pow(2, -23)) * magnitude[i] + 1e-30;
                worstRatio = Math.max(worstRatio, Math.abs(tf32[i] - exact[i]) / bound);
            }
            assertTrue(worstRatio <= 1, s + ": an output's error exceeds 2^-10 sum|A x| (+ FP32 accumulation) by " + worstRatio + "x");
            double rel = Compare.relL2(tf32, exact);
            assertTrue(rel > 1e-5, s + ": the rounding must show (" + rel + ")");
            assertTrue(rel < GPU_TOLERANCE / 4, s + ": relative L2 error " + rel + " leaves the GPU tolerance too little margin");
        }
    }

    private static float[] mix(ReferenceOps ops, MixShape s, float[] x, float[] a) {
        Ptr xp = ops.alloc(x.length).at(0), ap = ops.alloc(a.length).at(0);
        int ys = s.batch() * s.cout() * (int) s.plane();
        Ptr yp = ops.alloc(ys).at(0);
        ops.upload(x, 0, xp, x.length);
        ops.upload(a, 0, ap, a.length);
        ops.channelMix(s, xp, ap, MixEpilogue.NONE, yp);
        float[] y = new float[ys];
        ops.download(yp, y, 0, ys);
        return y;
    }

    private static float[] gaussian(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    private static float[] round(float[] v) {
        float[] o = new float[v.length];
        for (int i = 0; i < v.length; i++) o[i] = toTf32(v[i]);
        return o;
    }

    private static float[] abs(float[] v) {
        float[] o = new float[v.length];
        for (int i = 0; i < v.length; i++) o[i] = Math.abs(v[i]);
        return o;
    }
}
