package dev.nfn4j.ops.simd;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.nfn4j.ops.simd.Lanes.V;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Transpose} against its definitions, on strided rows inside larger arrays (the weight
 * gradient's packing of odd shapes is checked against the reference in BackendEquivalenceTest).
 */
class TransposeTest {
    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextDouble(-1, 1);
        return a;
    }

    @Test
    void blockMovesRowsToColumns() {
        int so = 5, srs = V + 7, dO = 3, drs = V + 11;
        float[] src = random(so + V * srs, 1), dst = new float[dO + V * drs], want = new float[dst.length];
        src[so + 3] = -0f; // moved, not added: the sign of zero survives
        Arrays.fill(dst, 9f);
        Arrays.fill(want, 9f);
        for (int i = 0; i < V; i++)
            for (int j = 0; j < V; j++) want[dO + j * drs + i] = src[so + i * srs + j];
        Transpose.block(src, so, srs, dst, dO, drs);
        assertArrayEquals(want, dst, "a " + V + " x " + V + " block (" + (Transpose.IN_REGISTERS ? "in registers" : "scalar") + ")");
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(dst[dO + 3 * drs]));
    }

    @Test
    void interleave4PutsEachPositionsFourRowsTogether() {
        int so = 2, srs = V + 3, dO = 6;
        float[] src = random(so + 4 * srs, 2), dst = new float[dO + 4 * V + 5], want = new float[dst.length];
        Arrays.fill(dst, 9f);
        Arrays.fill(want, 9f);
        for (int q = 0; q < 4; q++)
            for (int j = 0; j < V; j++) want[dO + 4 * j + q] = src[so + q * srs + j];
        Transpose.interleave4(src, so, srs, dst, dO);
        assertArrayEquals(want, dst);
    }

    @Test
    void packBlocksInterleavesRowsOfAnyLengthAndStride() {
        int n = 8;
        for (int cs : new int[]{1, 3, n + 3}) // contiguous rows, strided rows, contiguous columns (rs = 1)
            for (int k : new int[]{1, V - 1, V, 2 * V + 5}) {
                int mo = 4, rs = cs > n ? 1 : cs * k + 2;
                float[] m = random(mo + n * rs + k * cs + 1, k), out = new float[n * k], want = new float[n * k];
                for (int r = 0; r < n; r++)
                    for (int c = 0; c < k; c++) want[(r / 4) * k * 4 + c * 4 + r % 4] = m[mo + r * rs + c * cs];
                Lanes.packBlocks(m, mo, rs, cs, n, k, out);
                assertArrayEquals(want, out, "k " + k + ", row stride " + rs + ", column stride " + cs);
            }
    }

    @Test
    void taskRowsSplitTheRowsEvenlyInWholeBlocks() {
        assertEquals(12, WeightGrad.taskRows(45, 2), "45 rows on 2 threads: 4 tasks of 12");
        assertEquals(WeightGrad.WG_ROWS, WeightGrad.taskRows(45, 1), "one thread: the largest tasks");
        assertEquals(8, WeightGrad.taskRows(16, 2));
        for (int cout = 1; cout <= 200; cout++)
            for (int threads = 1; threads <= 4; threads++) {
                int rows = WeightGrad.taskRows(cout, threads);
                assertEquals(0, rows % 4, "whole register blocks");
                assertTrue(rows >= 4 && rows <= WeightGrad.WG_ROWS, cout + " rows on " + threads + " threads: " + rows);
            }
    }
}
