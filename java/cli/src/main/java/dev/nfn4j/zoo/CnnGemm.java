package dev.nfn4j.zoo;

import dev.nfn4j.ops.Backends;

/**
 * The one matrix kernel of {@link CnnTrainer}: {@code C[i][j] += sum_p A(i, p) * B[p][j]} with
 * A addressed by strides (so {@code A^T} costs nothing) and B, C row-major. Every output is
 * {@code c + s} where {@code s} accumulates {@code fma(A(i, p), B[p][j], s)} over p in order from
 * 0, so the scalar loop here (the oracle) and the Vector API path ({@link CnnGemmVector}, used
 * when the JVM reads {@code jdk.incubator.vector}) give bit-identical results, and a zoo does
 * not depend on which one ran.
 */
final class CnnGemm {
    /** Whether the Vector API path runs (the vector module is readable). */
    static final boolean VECTOR = Backends.simdUnavailableReason() == null;

    private CnnGemm() {
    }

    /**
     * C[i][j] += sum_p A(i, p) B[p][j] for i < m, j < n, p < k; A(i, p) = a[aOff + i * ais + p * aps],
     * B[p][j] = b[bOff + p * ldb + j], C[i][j] = c[cOff + i * ldc + j].
     */
    static void gemm(int m, int n, int k, float[] a, int aOff, int ais, int aps, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        if (VECTOR) CnnGemmVector.gemm(m, n, k, a, aOff, ais, aps, b, bOff, ldb, c, cOff, ldc);
        else scalar(m, n, k, a, aOff, ais, aps, b, bOff, ldb, c, cOff, ldc, 0, 0);
    }

    /** dst[d .. d + 16) = src[s .. s + 16): im2col's inner copy (one pixel's 16 channels). */
    static void copy16(float[] src, int s, float[] dst, int d) {
        if (VECTOR) CnnGemmVector.copy16(src, s, dst, d);
        else System.arraycopy(src, s, dst, d, 16);
    }

    /** dst[d .. d + 16) += src[s .. s + 16): col2im's inner sum. */
    static void add16(float[] src, int s, float[] dst, int d) {
        if (VECTOR) CnnGemmVector.add16(src, s, dst, d);
        else for (int i = 0; i < 16; i++) dst[d + i] += src[s + i];
    }

    /** The oracle, for rows i >= i0 and columns j >= j0 (the vector path's tails). */
    static void scalar(int m, int n, int k, float[] a, int aOff, int ais, int aps, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                       int i0, int j0) {
        for (int i = 0; i < m; i++)
            for (int j = i < i0 ? j0 : 0; j < n; j++) {
                float s = 0;
                for (int p = 0, ai = aOff + i * ais, bi = bOff + j; p < k; p++, ai += aps, bi += ldb) s = Math.fma(a[ai], b[bi], s);
                c[cOff + i * ldc + j] += s;
            }
    }
}
