package dev.nfn4j.zoo;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CNN trainer's hot loops with the Vector API. {@link CnnGemm#gemm}: blocks of 4 rows x 16
 * columns (two 8-lane vectors) in eight accumulators, one broadcast of A per row and two loads of
 * B per p; the rows and columns left over go to the scalar oracle. The activations: the same
 * float operations in the same order as the scalar ones ({@link CnnTrainer#tanh}; separate
 * multiplies and adds, never fused), so bit-identical. Loaded only when the vector module is
 * readable.
 */
final class CnnGemmVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int W = 8;

    private CnnGemmVector() {
    }

    static void gemm(int m, int n, int k, float[] a, int aOff, int ais, int aps, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        int nb = n - n % (2 * W), mb = m - m % 4;
        for (int i = 0; i < mb; i += 4) {
            int a0 = aOff + i * ais;
            for (int j = 0; j < nb; j += 2 * W) {
                FloatVector s00 = FloatVector.zero(S), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
                for (int p = 0, ai = a0, bi = bOff + j; p < k; p++, ai += aps, bi += ldb) {
                    FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + W);
                    FloatVector x0 = FloatVector.broadcast(S, a[ai]), x1 = FloatVector.broadcast(S, a[ai + ais]);
                    FloatVector x2 = FloatVector.broadcast(S, a[ai + 2 * ais]), x3 = FloatVector.broadcast(S, a[ai + 3 * ais]);
                    s00 = x0.fma(b0, s00);
                    s01 = x0.fma(b1, s01);
                    s10 = x1.fma(b0, s10);
                    s11 = x1.fma(b1, s11);
                    s20 = x2.fma(b0, s20);
                    s21 = x2.fma(b1, s21);
                    s30 = x3.fma(b0, s30);
                    s31 = x3.fma(b1, s31);
                }
                int ci = cOff + i * ldc + j;
                add(s00, c, ci);
                add(s01, c, ci + W);
                add(s10, c, ci + ldc);
                add(s11, c, ci + ldc + W);
                add(s20, c, ci + 2 * ldc);
                add(s21, c, ci + 2 * ldc + W);
                add(s30, c, ci + 3 * ldc);
                add(s31, c, ci + 3 * ldc + W);
            }
        }
        if (nb < n || mb < m) CnnGemm.scalar(m, n, k, a, aOff, ais, aps, b, bOff, ldb, c, cOff, ldc, mb, nb);
    }

    static void copy16(float[] src, int s, float[] dst, int d) {
        FloatVector.fromArray(S, src, s).intoArray(dst, d);
        FloatVector.fromArray(S, src, s + W).intoArray(dst, d + W);
    }

    static void add16(float[] src, int s, float[] dst, int d) {
        FloatVector.fromArray(S, dst, d).add(FloatVector.fromArray(S, src, s)).intoArray(dst, d);
        FloatVector.fromArray(S, dst, d + W).add(FloatVector.fromArray(S, src, s + W)).intoArray(dst, d + W);
    }

    /** z[0, len) = tanh(z), vectors only: returns how many were done (the caller finishes the tail). */
    static int tanh(float[] z, int len) {
        int q = 0;
        for (int qb = S.loopBound(len); q < qb; q += W) tanh(FloatVector.fromArray(S, z, q)).intoArray(z, q);
        return q;
    }

    /** z = sigmoid(z) = 0.5 + 0.5 tanh(0.5 z), as {@link #tanh(float[], int)}. */
    static int sigmoid(float[] z, int len) {
        int q = 0;
        for (int qb = S.loopBound(len); q < qb; q += W)
            tanh(FloatVector.fromArray(S, z, q).mul(0.5f)).mul(0.5f).add(0.5f).intoArray(z, q);
        return q;
    }

    /** z = selu(z) with exp(x) - 1 = 2 t / (1 - t), t = tanh(x / 2), as CnnTrainer's scalar loop; as {@link #tanh(float[], int)}. */
    static int selu(float[] z, int len, float scale, float scaleAlpha) {
        int q = 0;
        for (int qb = S.loopBound(len); q < qb; q += W) {
            FloatVector v = FloatVector.fromArray(S, z, q), t = tanh(v.min(0f).mul(0.5f));
            FloatVector neg = t.mul(2f).div(t.neg().add(1f)).mul(scaleAlpha);
            neg.blend(v.mul(scale), v.compare(jdk.incubator.vector.VectorOperators.GT, 0f)).intoArray(z, q);
        }
        return q;
    }

    /** {@link CnnTrainer#tanh(float)} lane-wise, operation for operation. */
    private static FloatVector tanh(FloatVector x) {
        FloatVector v = x.min(7.9053111f).max(-7.9053111f), v2 = v.mul(v);
        FloatVector num = v2.mul(-2.76076847742355e-16f).add(2.00018790482477e-13f).mul(v2).sub(8.60467152213735e-11f).mul(v2)
                .add(5.12229709037114e-08f).mul(v2).add(1.48572235717979e-05f).mul(v2).add(6.37261928875436e-04f).mul(v2)
                .add(4.89352455891786e-03f).mul(v);
        FloatVector den = v2.mul(1.19825839466702e-06f).add(1.18534705686654e-04f).mul(v2).add(2.26843463243900e-03f).mul(v2)
                .add(4.89352518554385e-03f);
        return num.div(den);
    }

    private static void add(FloatVector s, float[] c, int at) {
        FloatVector.fromArray(S, c, at).add(s).intoArray(c, at);
    }
}
