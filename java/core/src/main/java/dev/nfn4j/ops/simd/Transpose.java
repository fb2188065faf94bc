package dev.nfn4j.ops.simd;

import jdk.incubator.vector.FloatVector;

import static dev.nfn4j.ops.simd.Lanes.S;
import static dev.nfn4j.ops.simd.Lanes.V;

/**
 * Data movement for the GEMMs' packing, in registers: a V x V block transposed, and four rows
 * interleaved. Both are built from one two-vector shuffle, the perfect shuffle of two
 * rows ({@link #LO}: the first halves of a and b interleaved, a0 b0 a1 b1 ...; {@link #HI}: the
 * second halves). log2(V) rounds of it over all V rows, row i paired with row i + V/2, transpose a
 * block: each round rotates an element's (row, column) bits by one. Values are only moved, so
 * results are the same bits as the scalar loops these replace (which moved one float per load and
 * store, 2-2.5x slower on the hnp zoo's 144-channel planes).
 */
final class Transpose {
    private Transpose() {}

    /** Lane indexes of the perfect shuffle's halves, for {@code selectFrom(a, b)} (index V + j is b's lane j). */
    private static final FloatVector LO = shuffleIndexes(0), HI = shuffleIndexes(V / 2);

    private static FloatVector shuffleIndexes(int from) {
        float[] idx = new float[V];
        for (int j = 0; j < V; j++) idx[j] = (j & 1) == 0 ? from + (j >> 1) : V + from + (j >> 1);
        return FloatVector.fromArray(S, idx, 0);
    }

    /** Whether {@link #block} runs in registers with this vector width (otherwise a scalar loop). */
    static final boolean IN_REGISTERS = V == 16 || V == 8;

    /**
     * {@code dst[dO + j*drs + i] = src[so + i*srs + j]} for i, j < V: V rows of V floats become V
     * columns.
     */
    static void block(float[] src, int so, int srs, float[] dst, int dO, int drs) {
        if (V == 16) block16(src, so, srs, dst, dO, drs);
        else if (V == 8) block8(src, so, srs, dst, dO, drs);
        else
            for (int i = 0; i < V; i++)
                for (int j = 0; j < V; j++) dst[dO + j * drs + i] = src[so + i * srs + j];
    }

    /**
     * Four rows of V floats interleaved: {@code dst[dO + 4*j + q] = src[so + q*srs + j]} for q < 4,
     * j < V (the layout of {@link Lanes#packBlocks}). Two rounds of the perfect shuffle: rows 0 and
     * 2, 1 and 3, then the results.
     */
    static void interleave4(float[] src, int so, int srs, float[] dst, int dO) {
        FloatVector r0 = FloatVector.fromArray(S, src, so), r1 = FloatVector.fromArray(S, src, so + srs);
        FloatVector r2 = FloatVector.fromArray(S, src, so + 2 * srs), r3 = FloatVector.fromArray(S, src, so + 3 * srs);
        FloatVector a0 = LO.selectFrom(r0, r2), a1 = HI.selectFrom(r0, r2), a2 = LO.selectFrom(r1, r3), a3 = HI.selectFrom(r1, r3);
        LO.selectFrom(a0, a2).intoArray(dst, dO);
        HI.selectFrom(a0, a2).intoArray(dst, dO + V);
        LO.selectFrom(a1, a3).intoArray(dst, dO + 2 * V);
        HI.selectFrom(a1, a3).intoArray(dst, dO + 3 * V);
    }

    /** {@link #block} for 16 lanes: four rounds, a (rows) -> b -> a -> b -> a. */
    private static void block16(float[] src, int so, int srs, float[] dst, int dO, int drs) {
        FloatVector lo = LO, hi = HI;
        FloatVector a0 = FloatVector.fromArray(S, src, so), a1 = FloatVector.fromArray(S, src, so + srs);
        FloatVector a2 = FloatVector.fromArray(S, src, so + 2 * srs), a3 = FloatVector.fromArray(S, src, so + 3 * srs);
        FloatVector a4 = FloatVector.fromArray(S, src, so + 4 * srs), a5 = FloatVector.fromArray(S, src, so + 5 * srs);
        FloatVector a6 = FloatVector.fromArray(S, src, so + 6 * srs), a7 = FloatVector.fromArray(S, src, so + 7 * srs);
        FloatVector a8 = FloatVector.fromArray(S, src, so + 8 * srs), a9 = FloatVector.fromArray(S, src, so + 9 * srs);
        FloatVector a10 = FloatVector.fromArray(S, src, so + 10 * srs), a11 = FloatVector.fromArray(S, src, so + 11 * srs);
        FloatVector a12 = FloatVector.fromArray(S, src, so + 12 * srs), a13 = FloatVector.fromArray(S, src, so + 13 * srs);
        FloatVector a14 = FloatVector.fromArray(S, src, so + 14 * srs), a15 = FloatVector.fromArray(S, src, so + 15 * srs);
        FloatVector b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15;
        for (int round = 0; round < 2; round++) { // two pairs of rounds
            b0 = lo.selectFrom(a0, a8); b1 = hi.selectFrom(a0, a8);
            b2 = lo.selectFrom(a1, a9); b3 = hi.selectFrom(a1, a9);
            b4 = lo.selectFrom(a2, a10); b5 = hi.selectFrom(a2, a10);
            b6 = lo.selectFrom(a3, a11); b7 = hi.selectFrom(a3, a11);
            b8 = lo.selectFrom(a4, a12); b9 = hi.selectFrom(a4, a12);
            b10 = lo.selectFrom(a5, a13); b11 = hi.selectFrom(a5, a13);
            b12 = lo.selectFrom(a6, a14); b13 = hi.selectFrom(a6, a14);
            b14 = lo.selectFrom(a7, a15); b15 = hi.selectFrom(a7, a15);
            a0 = lo.selectFrom(b0, b8); a1 = hi.selectFrom(b0, b8);
            a2 = lo.selectFrom(b1, b9); a3 = hi.selectFrom(b1, b9);
            a4 = lo.selectFrom(b2, b10); a5 = hi.selectFrom(b2, b10);
            a6 = lo.selectFrom(b3, b11); a7 = hi.selectFrom(b3, b11);
            a8 = lo.selectFrom(b4, b12); a9 = hi.selectFrom(b4, b12);
            a10 = lo.selectFrom(b5, b13); a11 = hi.selectFrom(b5, b13);
            a12 = lo.selectFrom(b6, b14); a13 = hi.selectFrom(b6, b14);
            a14 = lo.selectFrom(b7, b15); a15 = hi.selectFrom(b7, b15);
        }
        a0.intoArray(dst, dO);
        a1.intoArray(dst, dO + drs);
        a2.intoArray(dst, dO + 2 * drs);
        a3.intoArray(dst, dO + 3 * drs);
        a4.intoArray(dst, dO + 4 * drs);
        a5.intoArray(dst, dO + 5 * drs);
        a6.intoArray(dst, dO + 6 * drs);
        a7.intoArray(dst, dO + 7 * drs);
        a8.intoArray(dst, dO + 8 * drs);
        a9.intoArray(dst, dO + 9 * drs);
        a10.intoArray(dst, dO + 10 * drs);
        a11.intoArray(dst, dO + 11 * drs);
        a12.intoArray(dst, dO + 12 * drs);
        a13.intoArray(dst, dO + 13 * drs);
        a14.intoArray(dst, dO + 14 * drs);
        a15.intoArray(dst, dO + 15 * drs);
    }

    /** {@link #block} for 8 lanes: three rounds, a (rows) -> b -> a -> b. */
    private static void block8(float[] src, int so, int srs, float[] dst, int dO, int drs) {
        FloatVector lo = LO, hi = HI;
        FloatVector a0 = FloatVector.fromArray(S, src, so), a1 = FloatVector.fromArray(S, src, so + srs);
        FloatVector a2 = FloatVector.fromArray(S, src, so + 2 * srs), a3 = FloatVector.fromArray(S, src, so + 3 * srs);
        FloatVector a4 = FloatVector.fromArray(S, src, so + 4 * srs), a5 = FloatVector.fromArray(S, src, so + 5 * srs);
        FloatVector a6 = FloatVector.fromArray(S, src, so + 6 * srs), a7 = FloatVector.fromArray(S, src, so + 7 * srs);
        FloatVector b0 = lo.selectFrom(a0, a4), b1 = hi.selectFrom(a0, a4), b2 = lo.selectFrom(a1, a5), b3 = hi.selectFrom(a1, a5);
        FloatVector b4 = lo.selectFrom(a2, a6), b5 = hi.selectFrom(a2, a6), b6 = lo.selectFrom(a3, a7), b7 = hi.selectFrom(a3, a7);
        a0 = lo.selectFrom(b0, b4); a1 = hi.selectFrom(b0, b4); a2 = lo.selectFrom(b1, b5); a3 = hi.selectFrom(b1, b5);
        a4 = lo.selectFrom(b2, b6); a5 = hi.selectFrom(b2, b6); a6 = lo.selectFrom(b3, b7); a7 = hi.selectFrom(b3, b7);
        lo.selectFrom(a0, a4).intoArray(dst, dO);
        hi.selectFrom(a0, a4).intoArray(dst, dO + drs);
        lo.selectFrom(a1, a5).intoArray(dst, dO + 2 * drs);
        hi.selectFrom(a1, a5).intoArray(dst, dO + 3 * drs);
        lo.selectFrom(a2, a6).intoArray(dst, dO + 4 * drs);
        hi.selectFrom(a2, a6).intoArray(dst, dO + 5 * drs);
        lo.selectFrom(a3, a7).intoArray(dst, dO + 6 * drs);
        hi.selectFrom(a3, a7).intoArray(dst, dO + 7 * drs);
    }
}
