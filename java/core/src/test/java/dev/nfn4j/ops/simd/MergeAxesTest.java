package dev.nfn4j.ops.simd;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** {@link SimdOps#mergeAxes}: the copy's axes it leaves (the copies themselves are checked against the reference in BackendEquivalenceTest). */
class MergeAxesTest {
    private static void check(int[] dims, long[] ss, long[] ds, int[] wantDims, long[] wantSs, long[] wantDs) {
        SimdOps.mergeAxes(dims, ss, ds);
        assertArrayEquals(wantDims, dims, "dims");
        assertArrayEquals(wantSs, ss, "source strides");
        assertArrayEquals(wantDs, ds, "destination strides");
    }

    @Test
    void poolsIntoAConcatBecomeOneRunPerSample() {
        check(new int[]{8, 144, 1, 16}, new long[]{2304, 16, 0, 1}, new long[]{2560, 16, 16, 1},
                new int[]{1, 1, 8, 2304}, new long[]{0, 0, 2304, 1}, new long[]{0, 0, 2560, 1});
    }

    @Test
    void aContiguousTensorBecomesOneRun() {
        check(new int[]{2, 3, 5, 17}, new long[]{255, 85, 17, 1}, new long[]{255, 85, 17, 1},
                new int[]{1, 1, 1, 510}, new long[]{0, 0, 0, 1}, new long[]{0, 0, 0, 1});
    }

    @Test
    void aTransposeKeepsItsAxes() {
        check(new int[]{2, 3, 5, 7}, new long[]{105, 35, 7, 1}, new long[]{105, 35, 1, 5},
                new int[]{1, 6, 5, 7}, new long[]{0, 35, 7, 1}, new long[]{0, 35, 1, 5});
    }

    @Test
    void broadcastAxesMergeWhenBothStridesChain() {
        // source broadcast along the last two axes (strides 0), destination contiguous: the zero strides chain too
        check(new int[]{4, 1, 3, 5}, new long[]{1, 0, 0, 0}, new long[]{15, 15, 5, 1},
                new int[]{1, 1, 4, 15}, new long[]{0, 0, 1, 0}, new long[]{0, 0, 15, 1});
    }

    @Test
    void sizeOneEverywhereLeavesOneElement() {
        check(new int[]{1, 1, 1, 1}, new long[]{9, 9, 9, 9}, new long[]{3, 3, 3, 3},
                new int[]{1, 1, 1, 1}, new long[]{0, 0, 0, 0}, new long[]{0, 0, 0, 0});
    }
}
