package dev.nfn4j.ops.cuda;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.MixEpilogue;
import dev.nfn4j.ops.MixGrads;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.testing.Compare;
import dev.nfn4j.testing.TestBackends;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cuda backend against the reference on the sizes where the GPU kernels change path (the
 * general suites run on it too, through TestBackends, on small uneven shapes): several
 * channel-mix tiles in every direction with the register prefetch of the next input tile,
 * weight gradients split into several column chunks, pools over several 32-column strips,
 * statistics over planes longer than a block, transfers longer than a staging buffer. Every
 * output is filled with NaN on the device before its kernel, so an element no thread writes
 * fails; results are compared in relative L2 error. Skipped with the reason without a GPU
 * ({@code -Dnfn4j.requireBackend=cuda} makes that a failure).
 */
class CudaOpsTest {
    static final double FWD = 1e-5, RED = 1e-4;
    static Ops cuda, ref;
    final Random rnd = new Random(11);

    /** Per test, so that without a GPU each test is reported as skipped with the reason. */
    @BeforeEach
    void backends() {
        cuda = TestBackends.fastOrSkip("cuda");
        ref = TestBackends.reference();
    }

    float[] gaussian(int n, float shift) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian() + shift;
        return a;
    }

    /** The same contents on both backends. */
    record Both(Ptr c, Ptr r, int n) {}

    Both in(float[] v) {
        Ptr c = cuda.alloc(v.length + 5).at(5), r = ref.alloc(v.length).at(0);
        cuda.upload(v, 0, c, v.length);
        ref.upload(v, 0, r, v.length);
        return new Both(c, r, v.length);
    }

    /** An output: NaN on the device (poison), NaN on the host. */
    Both out(int n) {
        Ptr c = cuda.alloc(n + 5).at(5), r = ref.alloc(n).at(0);
        cuda.fill(c, n, Float.NaN);
        ref.fill(r, n, Float.NaN);
        return new Both(c, r, n);
    }

    static float[] read(Ops ops, Ptr p, int n) {
        float[] v = new float[n];
        ops.download(p, v, 0, n);
        return v;
    }

    static void expect(Both b, double tol, String what) {
        Compare.assertClose(read(cuda, b.c, b.n), read(ref, b.r, b.n), tol, "cuda vs reference, " + what);
    }

    static Ptr c(Both b) {
        return b == null ? null : b.c;
    }

    static Ptr r(Both b) {
        return b == null ? null : b.r;
    }

    /**
     * A forward mix with every epilogue term on both backends, compared at {@code tol}; returns its
     * input x for the backward that follows.
     */
    Both forwardMix(MixShape s, double tol, String what) {
        int B = s.batch(), plane = (int) s.plane();
        Both x = in(gaussian(B * s.cin() * plane, 0)), a = in(gaussian(s.cout() * s.cin(), 0));
        Both bias = in(gaussian(s.cout(), 0)), row = in(gaussian(B * s.cout() * s.cols(), 0));
        Both col = in(gaussian(B * s.cout() * s.rows(), 0)), glob = in(gaussian(B * s.cout(), 0));
        Both y = out(B * s.cout() * plane);
        cuda.channelMix(s, x.c, a.c, MixEpilogue.terms(bias.c, row.c, col.c, glob.c), y.c);
        ref.channelMix(s, x.r, a.r, MixEpilogue.terms(bias.r, row.r, col.r, glob.r), y.r);
        expect(y, tol, what + s);
        return x;
    }

    @Test
    void channelMixAcrossSeveralTilesEveryWay() {
        // cin 9 and 40: one and several 8-channel steps (the prefetch); cout 33 and 70: 2 and 3 channel tiles;
        // 3 x 257 columns and a 300 x 301 plane: several 256-column blocks, a sample boundary inside a block.
        int[][] shapes = {{3, 9, 33, 1, 257}, {2, 40, 70, 300, 301}, {1, 64, 32, 128, 128}, {300, 33, 17, 1, 1}};
        for (int[] sh : shapes) {
            MixShape s = new MixShape(sh[0], sh[1], sh[2], sh[3], sh[4]);
            int B = s.batch(), plane = (int) s.plane();
            Both x = forwardMix(s, FWD, "channelMix ");
            Both a = in(gaussian(s.cout() * s.cin(), 0)); // the backward's own A
            Both dy = in(gaussian(B * s.cout() * plane, 0.25f));
            Both dx = in(gaussian(B * s.cin() * plane, 0)), da = in(gaussian(s.cout() * s.cin(), 0)), db = in(gaussian(s.cout(), 0));
            cuda.channelMixBackward(s, x.c, a.c, Act.IDENTITY, null, dy.c, MixGrads.of(dx.c, da.c, db.c));
            ref.channelMixBackward(s, x.r, a.r, Act.IDENTITY, null, dy.r, MixGrads.of(dx.r, da.r, db.r));
            expect(dx, FWD, "channelMixBackward dx " + s);
            expect(da, RED, "channelMixBackward da " + s + " (" + KernelPlans.weightGradSplit(B * s.plane()).chunks() + " chunks)");
            expect(db, RED, "channelMixBackward dbias " + s);
        }
    }

    /**
     * channel_mix loads X 16 bytes at a time when every plane is a multiple of 4 floats and x is
     * 16-byte aligned, and 4 bytes at a time otherwise: the same shapes through both paths (x at
     * float offset 4: aligned; at 5: not), each against the reference.
     */
    @Test
    void channelMixTakesTheSixteenByteLoadsOnlyWhereTheLayoutAllows() {
        int[][] shapes = {{2, 40, 70, 12, 16}, {3, 9, 33, 1, 4}, {1, 17, 5, 260, 2}, {5, 16, 16, 3, 3}};
        for (int[] sh : shapes) {
            MixShape s = new MixShape(sh[0], sh[1], sh[2], sh[3], sh[4]);
            int B = s.batch(), plane = (int) s.plane();
            float[] xv = gaussian(B * s.cin() * plane, 0);
            Both a = in(gaussian(s.cout() * s.cin(), 0)), bias = in(gaussian(s.cout(), 0));
            for (int offset : new int[]{4, 5}) {
                Ptr xc = cuda.alloc(xv.length + offset).at(offset), xr = ref.alloc(xv.length).at(0);
                cuda.upload(xv, 0, xc, xv.length);
                ref.upload(xv, 0, xr, xv.length);
                Both y = out(B * s.cout() * plane);
                cuda.channelMix(s, xc, a.c, MixEpilogue.bias(bias.c), y.c);
                ref.channelMix(s, xr, a.r, MixEpilogue.bias(bias.r), y.r);
                String path = plane % 4 == 0 && offset == 4 ? "16-byte loads" : "4-byte loads";
                expect(y, FWD, "channelMix " + s + ", x at float offset " + offset + " (" + path + ")");
            }
        }
    }

    /**
     * The opt-in TF32 path (tensor cores) on wide uneven shapes, forward with every epilogue
     * term and the backward's dx, within the bound Tf32AccuracyTest establishes on the CPU; the
     * weight gradient stays FP32. With TF32 off the same shapes take the FP32 kernel (above).
     */
    @Test
    void tf32MixesStayWithinTheirAccuracyBound() {
        CudaOps gpu = (CudaOps) cuda;
        int[][] shapes = {{3, 65, 70, 7, 13}, {2, 144, 144, 16, 16}, {17, 128, 64, 1, 1}};
        boolean was = gpu.tf32();
        gpu.setTf32(true);
        try {
            for (int[] sh : shapes) {
                MixShape s = new MixShape(sh[0], sh[1], sh[2], sh[3], sh[4]);
                int B = s.batch(), plane = (int) s.plane();
                Both x = forwardMix(s, Tf32AccuracyTest.GPU_TOLERANCE, "tf32 channelMix ");
                Both a = in(gaussian(s.cout() * s.cin(), 0)); // the backward's own A
                Both dy = in(gaussian(B * s.cout() * plane, 0.25f)), dx = in(gaussian(B * s.cin() * plane, 0));
                cuda.channelMixBackward(s, x.c, a.c, Act.IDENTITY, null, dy.c, MixGrads.of(dx.c, null, null));
                ref.channelMixBackward(s, x.r, a.r, Act.IDENTITY, null, dy.r, MixGrads.of(dx.r, null, null));
                expect(dx, Tf32AccuracyTest.GPU_TOLERANCE, "tf32 channelMixBackward dx " + s);
            }
        } finally {
            gpu.setTf32(was);
        }
    }

    @Test
    void weightGradientsAreBitReproducible() {
        MixShape s = new MixShape(4, 24, 40, 100, 130);
        int plane = (int) s.plane();
        Both x = in(gaussian(4 * 24 * plane, 0.1f)), dy = in(gaussian(4 * 40 * plane, 0.1f)), a = in(gaussian(40 * 24, 0));
        float[][] runs = new float[2][];
        for (int run = 0; run < 2; run++) {
            Both da = out(40 * 24);
            cuda.fill(da.c, 40 * 24, 0f);
            cuda.channelMixBackward(s, x.c, a.c, Act.IDENTITY, null, dy.c, MixGrads.of(null, da.c, null));
            runs[run] = read(cuda, da.c, 40 * 24);
        }
        Compare.assertBitIdentical(runs[1], runs[0], "da of two identical runs (no float atomics, fixed chunks)");
    }

    @Test
    void poolsOverManyStripsAndRows() {
        int[][] shapes = {{7, 300, 301}, {3, 1, 1000}, {5, 1000, 1}, {40, 33, 65}};
        for (int[] sh : shapes) {
            int planes = sh[0], rows = sh[1], cols = sh[2];
            Both x = in(gaussian(planes * rows * cols, 0.5f));
            Both ro = out(planes * cols), co = out(planes * rows), al = out(planes);
            cuda.planeReduce(planes, rows, cols, x.c, ro.c, co.c, al.c, true);
            ref.planeReduce(planes, rows, cols, x.r, ro.r, co.r, al.r, true);
            String what = "planeReduce " + planes + " x " + rows + "x" + cols;
            expect(ro, RED, what + " rowOut");
            expect(co, RED, what + " colOut");
            expect(al, RED, what + " allOut");
            Both dx = in(gaussian(planes * rows * cols, 0));
            cuda.planeBroadcast(planes, rows, cols, ro.c, 0.5f, co.c, -2f, al.c, 3f, dx.c);
            ref.planeBroadcast(planes, rows, cols, ro.r, 0.5f, co.r, -2f, al.r, 3f, dx.r);
            expect(dx, FWD, "planeBroadcast " + planes + " x " + rows + "x" + cols);
        }
    }

    @Test
    void statisticsOfLongPlanesWithTies() {
        for (int n : new int[]{1, 2, 5, 257, 4550, 70_001}) {
            int planes = n > 10_000 ? 2 : 5;
            float[] v = gaussian(planes * n, 0);
            if (n % 2 == 1) for (int i = 0; i < v.length; i++) v[i] = Math.round(v[i] * 2) / 2f; // many ties
            Both x = in(v), st = out(planes * 7);
            cuda.planeStats(planes, n, x.c, st.c);
            ref.planeStats(planes, n, x.r, st.r);
            expect(st, RED, "planeStats " + planes + " planes of " + n);
            Both g = in(gaussian(planes * 7, 0)), dx = in(gaussian(planes * n, 0));
            cuda.planeStatsBackward(planes, n, x.c, g.c, dx.c);
            ref.planeStatsBackward(planes, n, x.r, g.r, dx.r);
            expect(dx, FWD, "planeStatsBackward " + planes + " planes of " + n);
        }
    }

    @Test
    void elementwiseOpsAndAdamOnLargeVectors() {
        int n = 3_000_017;
        Both x = in(gaussian(n, 0));
        for (Act act : Act.values()) {
            Both y = out(n), dx = out(n), dy = in(gaussian(n, 0));
            cuda.activation(act, n, x.c, y.c);
            ref.activation(act, n, x.r, y.r);
            expect(y, FWD, "activation " + act);
            cuda.activationBackward(act, n, x.c, y.c, dy.c, dx.c);
            ref.activationBackward(act, n, x.r, y.r, dy.r, dx.r);
            expect(dx, FWD, "activationBackward " + act);
        }
        Both p = in(gaussian(n, 0)), g = in(gaussian(n, 0)), m = in(new float[n]), v = in(new float[n]);
        for (int step = 1; step <= 3; step++) {
            cuda.adamStep(n, p.c, g.c, m.c, v.c, AdamConfig.adamW(1e-2, 0.1), step);
            ref.adamStep(n, p.r, g.r, m.r, v.r, AdamConfig.adamW(1e-2, 0.1), step);
        }
        // Adam is written with round-to-nearest intrinsics in the reference's order: bit-identical
        Compare.assertBitIdentical(read(cuda, p.c, n), read(ref, p.r, n), "adamStep parameters after 3 steps");
        Compare.assertBitIdentical(read(cuda, v.c, n), read(ref, v.r, n), "adamStep v after 3 steps");
    }

    @Test
    void copiesWithSumsAreBitIdentical() {
        int[] dims = {9, 13, 300, 7};
        long[] ss = {13 * 300 * 7, 300 * 7, 7, 1};
        long[] sumMiddle = {13 * 7, 7, 0, 1}; // dst [9][13][7], summed over the 300 axis in order
        Both src = in(gaussian(9 * 13 * 300 * 7, 3));
        Both dst = in(gaussian(9 * 13 * 7, 0));
        cuda.copy4d(dims, src.c, ss, dst.c, sumMiddle, true);
        ref.copy4d(dims, src.r, ss, dst.r, sumMiddle, true);
        Compare.assertBitIdentical(read(cuda, dst.c, dst.n), read(ref, dst.r, dst.n), "copy4d summing 300 values per element");
    }

    @Test
    void transfersLongerThanAStagingBufferAndAtOffsets() {
        int n = (4 << 20) * 2 + 12_345; // more than two 4M-float staging buffers
        float[] v = gaussian(n, 0);
        Ptr p = cuda.alloc(n + 77).at(77);
        cuda.upload(v, 0, p, n);
        float[] back = new float[n + 3];
        cuda.download(p, back, 3, n);
        Compare.assertBitIdentical(java.util.Arrays.copyOfRange(back, 3, n + 3), v, "upload then download of " + n + " floats");
    }

    @Test
    void uploadsAndDownloadsAreRefusedInsideACapture() {
        Ptr p = cuda.alloc(10).at(0);
        cuda.runGraph("refuse", () -> cuda.fill(p, 10, 1f)); // eager
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> cuda.runGraph("refuse", () -> cuda.upload(new float[10], 0, p, 10))); // captured: refused
        assertTrue(e.getMessage().contains("inside runGraph"), e.getMessage());
        cuda.runGraph("refuse", () -> cuda.fill(p, 10, 2f)); // the key starts over: eager again
        assertEquals(2f, read(cuda, p, 10)[9]);
    }

    @Test
    void aReleasedGraphIsForgotten() {
        Ptr p = cuda.alloc(10).at(0);
        cuda.runGraph("release", () -> cuda.fill(p, 10, 1f)); // eager
        cuda.runGraph("release", () -> cuda.fill(p, 10, 1f)); // captured
        cuda.releaseGraph("release");
        cuda.runGraph("release", () -> cuda.fill(p, 10, 3f)); // eager again: a kept graph would replay the fill with 1
        assertEquals(3f, read(cuda, p, 10)[9]);
        cuda.releaseGraph("never captured"); // nothing to forget: no error
    }

    @Test
    void theAllocatorReusesMemory() {
        CachingAllocator.Stats before = ((CudaOps) cuda).memoryStats();
        for (int i = 0; i < 50; i++) cuda.alloc(1 << 20);
        System.gc();
        for (int i = 0; i < 50; i++) cuda.alloc(1 << 20);
        CachingAllocator.Stats after = ((CudaOps) cuda).memoryStats();
        assertTrue(after.rawAllocations() - before.rawAllocations() <= 100, after.toString());
        assertTrue(cuda.describe().contains(((CudaOps) cuda).emulated() ? "emulated on the CPU" : "SMs"), cuda.describe());
    }
}
