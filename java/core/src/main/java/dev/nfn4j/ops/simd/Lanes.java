package dev.nfn4j.ops.simd;

import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.host.HostBuf;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every simd kernel uses, and the short vector loops they share: lane sums
 * in a fixed order, row sums, packing of register blocks, the ReLU gate.
 */
final class Lanes {
    private Lanes() {
    }

    /**
     * The species must be a static final constant: C2 only intrinsifies vector ops whose species it
     * can see as constant (an instance field made every vector a heap object, ~100x slower). So
     * the width is fixed per JVM by {@code -Dnfn4j.vectorBits} (128, 256, 512; default preferred).
     */
    static final VectorSpecies<Float> S = species(System.getProperty("nfn4j.vectorBits", "").trim());
    /** Floats per vector. */
    static final int V = S.length();

    private static VectorSpecies<Float> species(String bits) {
        try {
            return species(bits.isEmpty() ? 0 : Integer.parseInt(bits));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-Dnfn4j.vectorBits must be 128, 256 or 512, got '" + bits + "'");
        }
    }

    static VectorSpecies<Float> species(int bits) {
        return switch (bits) {
            case 0 -> FloatVector.SPECIES_PREFERRED;
            case 128 -> FloatVector.SPECIES_128;
            case 256 -> FloatVector.SPECIES_256;
            case 512 -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException("-Dnfn4j.vectorBits must be 128, 256 or 512, got " + bits);
        };
    }

    /** The host array behind a pointer of this backend. */
    static float[] arr(Ptr p) {
        return HostBuf.array(p);
    }

    /** The pointer's offset into {@link #arr}. */
    static int off(Ptr p) {
        return (int) p.offset();
    }
    /**
     * Row stride of an epilogue tile of rows of {@code len} floats: padded so its four rows do
     * not fall on the same 4 KB offset (loads that alias recent stores to y stall).
     */
    static int eRow(int len) {
        return len + 16;
    }

    /**
     * Packs rows [0, n) of the matrix {@code m[r][c] = M[mo + r*rs + c*cs]} (n a multiple of 4,
     * c < k) in blocks of four interleaved rows: {@code out[(r/4)*k*4 + c*4 + r%4]}. Contiguous
     * rows (cs = 1: a weight gradient's dy, a mix's weights) are interleaved V columns at a time
     * in registers ({@link Transpose#interleave4}); contiguous columns (rs = 1: weights read
     * transposed) are copied four floats at a time, a column at a time.
     */
    static void packBlocks(float[] M, int mo, int rs, int cs, int n, int k, float[] out) {
        packBlocks(M, mo, rs, cs, n, k, out, 0);
    }

    /** As above into {@code out[oo..]}. */
    static void packBlocks(float[] M, int mo, int rs, int cs, int n, int k, float[] out, int oo) {
        if (rs == 1) { // a matrix read transposed (an input gradient's weights): each block's four values are contiguous
            for (int c = 0; c < k; c++)
                for (int r0 = 0, src = mo + c * cs; r0 < n; r0 += 4)
                    FloatVector.fromArray(FloatVector.SPECIES_128, M, src + r0).intoArray(out, oo + r0 * k + c * 4);
            return;
        }
        for (int r0 = 0; r0 < n; r0 += 4) {
            int c0 = 0;
            if (cs == 1)
                for (; c0 + V <= k; c0 += V) Transpose.interleave4(M, mo + r0 * rs + c0, rs, out, oo + r0 * k + c0 * 4);
            for (int q = 0; q < 4; q++) {
                int src = mo + (r0 + q) * rs + c0 * cs, dst = oo + r0 * k + c0 * 4 + q;
                for (int c = c0; c < k; c++, src += cs, dst += 4) out[dst] = M[src];
            }
        }
    }

    /**
     * {@code out[oo + i] = M[mo + i]} where {@code G[go + i] > 0}, else 0 (i < n): dy through a ReLU
     * whose output is G, the floats {@link SimdOps#activationBackward} gives.
     */
    static void gateRow(float[] M, int mo, float[] G, int go, int n, float[] out, int oo) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int ib = S.loopBound(n); i < ib; i += V)
            FloatVector.fromArray(S, M, mo + i).blend(zero, FloatVector.fromArray(S, G, go + i).compare(VectorOperators.LE, 0f)).intoArray(out, oo + i);
        for (; i < n; i++) out[oo + i] = G[go + i] <= 0 ? 0f : M[mo + i];
    }

    /**
     * The lanes' sum in lane order (0 + l0 + l1 + ...). Not {@code reduceLanes(ADD)}: its
     * interpreted and C2-compiled forms add in different orders, so a result would change as the
     * JIT warms up (found by JitDeterminismTest). Written out with constant indices: C2 extracts a
     * constant lane in a couple of instructions, while {@code lane(i)} in a loop took ~50 cycles
     * each here (planeReduce of 16-column planes ran at 0.2-1.6 GB/s). V is a compile-time
     * constant, so the unused branches fold away.
     */
    static float sumLanes(FloatVector v) {
        float s = 0f + v.lane(0) + v.lane(1);
        if (V == 2) return s;
        s = s + v.lane(2) + v.lane(3);
        if (V == 4) return s;
        s = s + v.lane(4) + v.lane(5) + v.lane(6) + v.lane(7);
        if (V == 8) return s;
        return s + v.lane(8) + v.lane(9) + v.lane(10) + v.lane(11) + v.lane(12) + v.lane(13) + v.lane(14) + v.lane(15); // V == 16
    }

    static float dotPlane(float[] a, int ai, float[] b, int bi, int n) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
        int i = 0;
        for (; i + 2 * V <= n; i += 2 * V) {
            s0 = FloatVector.fromArray(S, a, ai + i).fma(FloatVector.fromArray(S, b, bi + i), s0);
            s1 = FloatVector.fromArray(S, a, ai + i + V).fma(FloatVector.fromArray(S, b, bi + i + V), s1);
        }
        for (; i + V <= n; i += V) s0 = FloatVector.fromArray(S, a, ai + i).fma(FloatVector.fromArray(S, b, bi + i), s0);
        float acc = sumLanes(s0.add(s1));
        for (; i < n; i++) acc = Math.fma(a[ai + i], b[bi + i], acc);
        return acc;
    }

    /**
     * Eight dot products at once: rows q = 0, 1 of L (starting at l0, l1) against rows k = 0..3 of
     * R (starting at r0 + k*rRow), over positions [0, n) (whole vectors: n a multiple of V), for
     * each of {@code segments} segments (L's rows then advance by lSeg, R's by rSeg); the eight
     * vector sums, from zero, go to {@code acc[(q*4 + k)*V ..]} for the caller to reduce. Eight
     * independent FMA chains cover the latency of both FMA pipes in 11 of AVX2's 16 registers (a
     * 3 x 4 block's 12 sums took all 16 and ran 13-22% slower). Every lane sums its positions in
     * order, segment by segment. Serves a Linear layer's forward (rows of a against samples) and
     * the weight gradient's row kernel (rows of dy against rows of x, over samples).
     */
    static void dots2x4(float[] acc, float[] L, int l0, int l1, int lSeg, float[] R, int r0, int rRow, int rSeg, int n, int segments) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        for (int s = 0; s < segments; s++, l0 += lSeg, l1 += lSeg, r0 += rSeg) {
            int r1 = r0 + rRow, r2 = r1 + rRow, r3 = r2 + rRow;
            for (int p = 0; p < n; p += V) {
                FloatVector d0 = FloatVector.fromArray(S, L, l0 + p), d1 = FloatVector.fromArray(S, L, l1 + p);
                FloatVector x = FloatVector.fromArray(S, R, r0 + p);
                a00 = d0.fma(x, a00);
                a10 = d1.fma(x, a10);
                x = FloatVector.fromArray(S, R, r1 + p);
                a01 = d0.fma(x, a01);
                a11 = d1.fma(x, a11);
                x = FloatVector.fromArray(S, R, r2 + p);
                a02 = d0.fma(x, a02);
                a12 = d1.fma(x, a12);
                x = FloatVector.fromArray(S, R, r3 + p);
                a03 = d0.fma(x, a03);
                a13 = d1.fma(x, a13);
            }
        }
        a00.intoArray(acc, 0);
        a01.intoArray(acc, V);
        a02.intoArray(acc, 2 * V);
        a03.intoArray(acc, 3 * V);
        a10.intoArray(acc, 4 * V);
        a11.intoArray(acc, 5 * V);
        a12.intoArray(acc, 6 * V);
        a13.intoArray(acc, 7 * V);
    }

    /** Lane sum of the vector at {@code acc[i*V ..]}, as {@link #sumLanes}. */
    static float sumLanes(float[] acc, int i) {
        return sumLanes(FloatVector.fromArray(S, acc, i * V));
    }

    /**
     * {@code dst[d + i] += src[s + i]} for i < n, in vectors: each element gets the one addition
     * the scalar loop would give it (C2 does not vectorize that loop: dst and src may be one
     * array). The weight gradient's partial sums and copy4d's accumulating copies.
     */
    static void addInto(float[] dst, int d, float[] src, int s, int n) {
        int i = 0;
        for (int ib = S.loopBound(n); i < ib; i += V)
            FloatVector.fromArray(S, dst, d + i).add(FloatVector.fromArray(S, src, s + i)).intoArray(dst, d + i);
        for (; i < n; i++) dst[d + i] += src[s + i];
    }

    /**
     * Adds the row segment {@code X[r, r+n)} into {@code acc[ao, ao+n)} and returns its sum: one
     * pass for a plane's column sums (acc) and row sum. Segments narrower than a vector are summed
     * as scalars (no lane sum of an empty vector per row).
     */
    static float addRowSegment(float[] X, int r, float[] acc, int ao, int n) {
        int k = 0;
        float sum = 0f;
        if (n >= V) {
            FloatVector cs = FloatVector.zero(S);
            for (int kb = S.loopBound(n); k < kb; k += V) {
                FloatVector v = FloatVector.fromArray(S, X, r + k);
                cs = cs.add(v);
                FloatVector.fromArray(S, acc, ao + k).add(v).intoArray(acc, ao + k);
            }
            sum = sumLanes(cs);
        }
        for (; k < n; k++) {
            sum += X[r + k];
            acc[ao + k] += X[r + k];
        }
        return sum;
    }

    /**
     * {@link #addRowSegment} on four short rows at once ({@code n < 2V}), {@code X[r + q*stride, +n)}
     * for q = 0..3, bit for bit: acc gets the rows in order, and row q's sum goes to
     * {@code sums[so + q]}. Below two vectors addRowSegment's sum is the row's values added one by
     * one in order (its lane sum over a single vector is that order), so the four sums run as
     * interleaved scalar chains: one row at a time, planes of 16 x 16 waited on each row's chain
     * (a lane sum is V dependent adds).
     */
    static void addShortRows4(float[] X, int r, int stride, float[] acc, int ao, int n, float[] sums, int so) {
        int r1 = r + stride, r2 = r1 + stride, r3 = r2 + stride, k = 0;
        for (int kb = S.loopBound(n); k < kb; k += V)
            FloatVector.fromArray(S, acc, ao + k).add(FloatVector.fromArray(S, X, r + k)).add(FloatVector.fromArray(S, X, r1 + k))
                    .add(FloatVector.fromArray(S, X, r2 + k)).add(FloatVector.fromArray(S, X, r3 + k)).intoArray(acc, ao + k);
        for (; k < n; k++) acc[ao + k] = acc[ao + k] + X[r + k] + X[r1 + k] + X[r2 + k] + X[r3 + k];
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        for (int i = 0; i < n; i++) {
            s0 += X[r + i];
            s1 += X[r1 + i];
            s2 += X[r2 + i];
            s3 += X[r3 + i];
        }
        sums[so] = s0;
        sums[so + 1] = s1;
        sums[so + 2] = s2;
        sums[so + 3] = s3;
    }

    static float sumPlane(float[] a, int ai, int n) {
        FloatVector s0 = FloatVector.zero(S);
        int i = 0;
        for (int ib = S.loopBound(n); i < ib; i += V) s0 = s0.add(FloatVector.fromArray(S, a, ai + i));
        float acc = sumLanes(s0);
        for (; i < n; i++) acc += a[ai + i];
        return acc;
    }
}
