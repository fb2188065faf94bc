package dev.nfn4j.zoo;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CnnGemm#gemm} with the Vector API: blocks of 4 rows x 16 columns (two 8-lane vectors) in
 * eight accumulators, one broadcast of A per row and two loads of B per p; the rows and columns
 * left over go to the scalar oracle. Loaded only when the vector module is readable.
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

    private static void add(FloatVector s, float[] c, int at) {
        FloatVector.fromArray(S, c, at).add(s).intoArray(c, at);
    }
}
