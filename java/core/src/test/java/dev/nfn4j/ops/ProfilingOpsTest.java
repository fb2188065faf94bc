package dev.nfn4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.ops.reference.ReferenceOps;
import org.junit.jupiter.api.Test;

/** The profiler passes every call through unchanged and counts the work the floors are computed from. */
class ProfilingOpsTest {
    @Test
    void countsFlopsAndCompulsoryBytesPerCallAndResetsOnReport() {
        ReferenceOps plain = new ReferenceOps();
        ProfilingOps ops = new ProfilingOps(new ReferenceOps(), true);
        MixShape s = new MixShape(2, 3, 5, 7, 4); // x [2][3][7][4], y [2][5][7][4], a [5][3]
        float[] x = ramp(2 * 3 * 28), a = ramp(15);
        float[] viaProfiler = mix(ops, s, x, a), direct = mix(plain, s, x, a);
        assertArrayEquals(direct, viaProfiler, "the decorator changes nothing");

        // 2 flops per multiply-add: batch x cin x cout x plane; bytes: x and y once, a once.
        assertEquals(2L * 2 * 3 * 5 * 28, ops.flops());
        assertEquals(4L * (2 * (3 + 5) * 28 + 15), ops.bytes());
        double floor = ops.floorMillis(1, 1.0, 1.0); // 1 GB/s and 1 GFLOP/s: the floor is the larger count in microseconds
        assertEquals(Math.max(ops.bytes(), ops.flops()) / 1e6, floor, 1e-12);

        String table = ops.report(1);
        assertTrue(table.contains("channelMix 2x3->5@7x4"), table);
        assertTrue(table.contains("MFLOP") && table.contains("GB/s"), table);
        assertEquals(0, ops.flops());
        assertEquals(0, ops.bytes());
        assertEquals(0, ops.floorMillis(1, 1.0, 1.0));
    }

    /** With shapes, the memory-bound element-wise calls are told apart by their length (and activation). */
    @Test
    void byShapeNamesFillsAndActivationsWithTheirLength() {
        ProfilingOps ops = new ProfilingOps(new ReferenceOps(), true);
        Buf x = ops.alloc(6), y = ops.alloc(6);
        ops.fill(x.at(0), 6, 1f);
        ops.activation(Act.RELU, 6, x.at(0), y.at(0));
        ops.activationBackward(Act.RELU, 6, x.at(0), y.at(0), x.at(0), y.at(0));
        String table = ops.report(1);
        for (String row : new String[]{"fill 6 ", "activation RELU 6 ", "activationBackward RELU 6 "})
            assertTrue(table.contains(row), row + " missing from\n" + table);
    }

    /** A heap view is the array itself, through the profiler too: an op's result lands in the caller's array. */
    @Test
    void heapViewsWriteThroughToTheArray() {
        for (Ops ops : new Ops[]{new ReferenceOps(), new ProfilingOps(new ReferenceOps())}) {
            float[] x = {1, 2, 3}, y = new float[4];
            ops.activation(Act.RELU, 3, ops.heapView(x).at(0), ops.heapView(y).at(1));
            assertArrayEquals(new float[]{0, 1, 2, 3}, y, ops.name());
        }
    }

    @Test
    void aSummingCopyCountsItsDistinctElementsOnly() {
        ProfilingOps ops = new ProfilingOps(new ReferenceOps());
        Buf src = ops.alloc(12), dst = ops.alloc(3);
        ops.report(); // forget the allocations
        // dst[i] += sum over j of src[i][j]: 12 read, 3 read and written.
        ops.copy4d(new int[]{1, 1, 3, 4}, src.at(0), new long[]{0, 0, 4, 1}, dst.at(0), new long[]{0, 0, 1, 0}, true);
        assertEquals(4L * (12 + 2 * 3), ops.bytes());
        assertEquals(12, ops.flops());
    }

    private static float[] mix(Ops ops, MixShape s, float[] x, float[] a) {
        Buf xb = ops.alloc(x.length), ab = ops.alloc(a.length), yb = ops.alloc((long) s.batch() * s.cout() * s.plane());
        ops.upload(x, 0, xb.at(0), x.length);
        ops.upload(a, 0, ab.at(0), a.length);
        ops.channelMix(s, xb.at(0), ab.at(0), MixEpilogue.NONE, yb.at(0));
        float[] y = new float[(int) yb.length()];
        ops.download(yb.at(0), y, 0, y.length);
        return y;
    }

    private static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i % 7 - 3) * 0.25f;
        return v;
    }
}
