package dev.nfn4j.ops.cuda;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.LossFn;
import dev.nfn4j.ops.MixEpilogue;
import dev.nfn4j.ops.MixGrads;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.NormShape;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.PlanePools;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.SirenShape;
import dev.nfn4j.testing.TestBackends;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * The CPU emulation of the CUDA driver (native/cuda-emu) itself: that it says what it is, that
 * each of its checks catches the bug it is for (on kernels with deliberate bugs, compiled into
 * the emulation only: native/cuda-emu/test_kernels.cu), and the race finder run over every
 * kernel the backend launches. Runs in the cuda-emulated test execution; elsewhere each test is
 * reported as skipped with the reason.
 */
class CudaEmulationTest {
    static CudaOps cuda;

    @BeforeEach
    void emulated() {
        Ops o = TestBackends.fastOrSkip("cuda");
        if (!(o instanceof CudaOps c) || !c.emulated()) abort("needs the cuda backend on the CPU emulation (-Dnfn4j.cudaEmulation=true)");
        else cuda = c;
    }

    @AfterEach
    void oneSchedule() {
        if (cuda != null) CudaEmulation.setSchedules(1, 0);
    }

    @Test
    void itSaysWhatItIsAndPassedItsSelfCheck() {
        assertTrue(cuda.describe().startsWith("cuda (emulated on the CPU: nfn4j CPU emulation"), cuda.describe());
        assertTrue(CudaProbe.selfCheck().startsWith("passed"), CudaProbe.selfCheck());
        assertTrue(CudaEmulation.kernels().containsAll(Kernel.values().length > 0 ? names() : List.of()), CudaEmulation.kernels().toString());
    }

    private static List<String> names() {
        List<String> out = new ArrayList<>();
        for (Kernel k : Kernel.values()) out.add(k.symbol);
        return out;
    }

    /**
     * The driver's current context is per host thread, as on a GPU: a driver call from a thread
     * that never made one current fails, and the backend makes its context current on each thread
     * that calls it (a service's request threads, a cleaner).
     */
    @Test
    void aThreadWithoutACurrentContextIsRefused() throws Exception {
        Throwable[] raw = new Throwable[1], backend = new Throwable[1];
        float[] back = new float[4];
        Thread t = new Thread(() -> {
            try {
                cuMemAlloc(new CUdeviceptr(), 64);
            } catch (Throwable e) {
                raw[0] = e;
            }
            try {
                Ptr p = new Ptr(cuda.alloc(4), 0);
                cuda.upload(new float[]{1, 2, 3, 4}, 0, p, 4);
                cuda.download(p, back, 0, 4);
            } catch (Throwable e) {
                backend[0] = e;
            }
        });
        t.start();
        t.join();
        assertTrue(raw[0] instanceof CudaException && raw[0].getMessage().contains("CUDA_ERROR_INVALID_CONTEXT"), String.valueOf(raw[0]));
        assertEquals(null, backend[0]);
        assertArrayEquals(new float[]{1, 2, 3, 4}, back);
    }

    /** As on a GPU, an event made without timing cannot be timed, and one never recorded cannot either. */
    @Test
    void eventsWithoutTimingOrRecordAreRefusedByElapsedTime() {
        CUevent quiet = new CUevent(), timed = new CUevent(), never = new CUevent();
        cuEventCreate(quiet, CUevent_flags.CU_EVENT_DISABLE_TIMING);
        cuEventCreate(timed, CUevent_flags.CU_EVENT_DEFAULT);
        cuEventCreate(never, CUevent_flags.CU_EVENT_DEFAULT);
        try {
            cuEventRecord(quiet, null);
            cuEventRecord(timed, null);
            float[] ms = {0};
            CudaException e = assertThrows(CudaException.class, () -> cuEventElapsedTime(ms, quiet, timed));
            assertTrue(e.getMessage().contains("CUDA_ERROR_INVALID_HANDLE"), e.getMessage());
            assertTrue(CudaEmulation.lastError().contains("CU_EVENT_DISABLE_TIMING"), CudaEmulation.lastError());
            assertThrows(CudaException.class, () -> cuEventElapsedTime(ms, never, timed));
            cuEventElapsedTime(ms, timed, timed);
            assertEquals(0f, ms[0]);
        } finally {
            cuEventDestroy(quiet);
            cuEventDestroy(timed);
            cuEventDestroy(never);
        }
    }

    // ---- each check on a kernel with the bug it is for --------------------------------------------

    /** A test kernel launched straight through JCuda: one block per grid entry, 256 threads. */
    private static void launch(String kernel, int grid, Pointer... args) {
        launch(kernel, grid, 256, args);
    }

    /** The same with {@code block} threads a block. */
    private static void launch(String kernel, int grid, int block, Pointer... args) {
        CUmodule module = new CUmodule();
        cuModuleLoadData(module, new byte[]{0x50, (byte) 0xed, 0x55, (byte) 0xba, 0, 0, 0, 0}); // a fatbin header: the kernels are built in
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, module, kernel);
        cuLaunchKernel(f, grid, 1, 1, block, 1, 1, 0, null, Pointer.to(args), null);
    }

    private static CUdeviceptr device(float[] v) {
        CUdeviceptr p = new CUdeviceptr();
        cuMemAlloc(p, (long) v.length * Float.BYTES);
        cuMemcpyHtoD(p, Pointer.to(v), (long) v.length * Float.BYTES);
        return p;
    }

    private static float[] host(CUdeviceptr p, int n) {
        float[] v = new float[n];
        cuMemcpyDtoH(Pointer.to(v), p, (long) n * Float.BYTES);
        return v;
    }

    /** The launch fails with a CudaException; returns the emulator's account of why. */
    private static String failure(Runnable launch) {
        CudaEmulation.clearError();
        assertThrows(CudaException.class, launch::run);
        return CudaEmulation.lastError();
    }

    /** A kernel compiled with __launch_bounds__(128) starts blocks of 128 threads, and refuses 256 as the driver does. */
    @Test
    void aBlockLargerThanTheKernelsLaunchBoundsIsRefused() {
        CUdeviceptr y = device(new float[256]);
        String why = failure(() -> launch("nfn4j_emu_test_bounded", 1, Pointer.to(y)));
        assertTrue(why.contains("256 threads a block, more than its __launch_bounds__(128)"), why);
        launch("nfn4j_emu_test_bounded", 2, 128, Pointer.to(y));
        for (float v : host(y, 256)) assertEquals(1f, v);
        cuMemFree(y);
    }

    @Test
    void theRaceFinderCatchesAMissingBarrierAndPassesTheCorrectKernel() {
        float[] x = new float[200];
        for (int i = 0; i < x.length; i++) x[i] = i;
        CUdeviceptr in = device(x), out = device(new float[2]);
        CudaEmulation.setSchedules(3, 42);
        launch("nfn4j_emu_test_block_sum", 2, Pointer.to(in), Pointer.to(out), Pointer.to(new int[]{x.length}));
        assertEquals(19900f, host(out, 2)[1]);
        String why = failure(() -> launch("nfn4j_emu_test_racy_sum", 2, Pointer.to(in), Pointer.to(out), Pointer.to(new int[]{x.length})));
        assertTrue(why.contains("nfn4j_emu_test_racy_sum") && why.contains("race"), why);
        cuMemFree(in);
        cuMemFree(out);
    }

    @Test
    void theRaceFinderCatchesAReadOfSharedMemoryNoThreadWrote() {
        CUdeviceptr y = device(new float[1]);
        CudaEmulation.setSchedules(2, 1);
        String why = failure(() -> launch("nfn4j_emu_test_uninitialized_shared", 1, Pointer.to(y)));
        assertTrue(why.contains("race") && why.contains("never written (shared memory"), why);
        CudaEmulation.setSchedules(1, 0);
        launch("nfn4j_emu_test_uninitialized_shared", 1, Pointer.to(y));
        assertTrue(Float.isNaN(host(y, 1)[0]), "the poison reaches the output"); // without the race finder: NaN, never a plausible value
        cuMemFree(y);
    }

    @Test
    void theRaceFinderCatchesBlocksWritingTheSameElement() {
        CUdeviceptr y = device(new float[1]);
        CudaEmulation.setSchedules(2, 1);
        String why = failure(() -> launch("nfn4j_emu_test_blocks_collide", 4, Pointer.to(y)));
        assertTrue(why.contains("order of threads or blocks"), why);
        cuMemFree(y);
    }

    @Test
    void anOutOfBoundsWriteIsReportedWithTheKernelAndItsLaunchShape() {
        CUdeviceptr y = device(new float[100]);
        String why = failure(() -> launch("nfn4j_emu_test_write_past", 1, Pointer.to(y), Pointer.to(new int[]{100})));
        assertTrue(why.contains("nfn4j_emu_test_write_past<<<(1, 1, 1), (256, 1, 1)>>>") && why.contains("out of bounds")
                && why.contains("offset 400 of an allocation of 400 bytes (after its end)"), why);
        cuMemFree(y);
    }

    @Test
    void theRaceFinderCatchesAReadPastABuffersEnd() {
        CUdeviceptr x = device(new float[10]), y = device(new float[1]);
        CudaEmulation.setSchedules(2, 1);
        String why = failure(() -> launch("nfn4j_emu_test_read_past", 1, Pointer.to(x), Pointer.to(y), Pointer.to(new int[]{10})));
        assertTrue(why.contains("nfn4j_emu_test_read_past") && why.contains("guard zone"), why);
        cuMemFree(x);
        cuMemFree(y);
    }

    @Test
    void aBarrierThatNotEveryThreadReachesIsReported() {
        CUdeviceptr y = device(new float[256]);
        String why = failure(() -> launch("nfn4j_emu_test_divergent_barrier", 1, Pointer.to(y)));
        assertTrue(why.contains("divergent __syncthreads: 16 threads wait at barrier 1") && why.contains("exited before reaching"), why);
        cuMemFree(y);
    }

    @Test
    void aShuffleNamingExitedLanesIsReported() {
        CUdeviceptr y = device(new float[256]);
        String why = failure(() -> launch("nfn4j_emu_test_shuffle_after_exit", 1, Pointer.to(y)));
        assertTrue(why.contains("__shfl_xor_sync") && why.contains("has exited"), why);
        cuMemFree(y);
    }

    @Test
    void aPointerArgumentOutsideEveryAllocationIsRefusedBeforeTheLaunch() {
        CUdeviceptr y = device(new float[4]);
        cuMemFree(y); // now dangling
        String why = failure(() -> launch("nfn4j_emu_test_write_past", 1, Pointer.to(y), Pointer.to(new int[]{3})));
        assertTrue(why.contains("pointer argument 0") && why.contains("not inside a live device allocation"), why);
    }

    @Test
    void aDriverCallThatIsNotEmulatedFailsCleanly() {
        CUdeviceptr p = new CUdeviceptr();
        CudaEmulation.clearError();
        CudaException e = assertThrows(CudaException.class, () -> jcuda.driver.JCudaDriver.cuMemAllocManaged(p, 64, 1));
        assertTrue(e.getMessage().contains("CUDA_ERROR_NOT_SUPPORTED"), e.getMessage());
        assertEquals("cuMemAllocManaged is not emulated", CudaEmulation.lastError());
    }

    @Test
    void aBackendErrorCarriesTheEmulatorsAccount() {
        long limit = CudaEmulation.memoryLimit(0);
        try {
            CudaEmulation.memoryLimit(64L << 20);
            Error e = assertThrows(OutOfMemoryError.class, () -> cuda.alloc(32L << 20)); // 128 MiB of floats on a 64 MiB device
            assertTrue(e.getMessage().contains("device out of memory"), e.getMessage());
        } finally {
            CudaEmulation.memoryLimit(limit);
        }
    }

    // ---- the race finder over every kernel of the backend -------------------------------------------

    /**
     * Every kernel in {@link Kernel} launched at least once with the race finder on (three
     * schedules, each compared with the first), on shapes that take each path: a race, a read of
     * never-written shared memory or a block-order dependence in any of them fails its launch.
     */
    @Test
    void theRaceFinderPassesEveryKernel() {
        CudaEmulation.setSchedules(3, 2026);
        boolean tf32 = cuda.tf32();
        try {
            everyKernel();
            cuda.setTf32(true);
            MixShape wide = new MixShape(1, 64, 65, 3, 11); // TF32 applies from 64 channels
            mixForwardAndBackward(wide);
        } finally {
            cuda.setTf32(tf32);
        }
        cuda.synchronize();
        List<String> unchecked = new ArrayList<>();
        for (Kernel k : Kernel.values()) if (CudaEmulation.launches(k.symbol, true) == 0) unchecked.add(k.symbol);
        assertTrue(unchecked.isEmpty(), "kernels the race finder never ran: " + unchecked);
    }

    private final Random rnd = new Random(5);

    private Ptr input(long n) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        Ptr p = cuda.alloc(n).at(0);
        cuda.upload(v, 0, p, v.length);
        return p;
    }

    private void mixForwardAndBackward(MixShape s) {
        long P = s.plane(), B = s.batch(), planes = B * s.cout();
        Ptr x = input(B * s.cin() * P), a = input((long) s.cout() * s.cin()), bias = input(s.cout()), row = input(planes * s.cols()),
                col = input(planes * s.rows()), glob = input(planes), dy = input(planes * P), y = cuda.alloc(planes * P).at(0);
        cuda.channelMix(s, x, a, MixEpilogue.terms(bias, row, col, glob).then(Act.RELU), y);
        cuda.channelMix(s, x, a, new MixEpilogue(bias, row, col, glob, Act.RELU, new PlanePools(cuda.alloc(planes * s.cols()).at(0), cuda.alloc(planes * s.rows()).at(0), cuda.alloc(planes).at(0))), y);
        for (Act act : new Act[]{Act.IDENTITY, Act.RELU}) {
            cuda.channelMixBackward(s, x, a, act, y, dy, new MixGrads(cuda.alloc(B * s.cin() * P).at(0), cuda.alloc((long) s.cout() * s.cin()).at(0),
                    cuda.alloc(s.cout()).at(0), cuda.alloc(planes * s.cols()).at(0), cuda.alloc(planes * s.rows()).at(0), cuda.alloc(planes).at(0), true));
            cuda.channelMixBackward(s, x, a, act, y, dy, MixGrads.of(cuda.alloc(B * s.cin() * P).at(0), cuda.alloc((long) s.cout() * s.cin()).at(0),
                    cuda.alloc(s.cout()).at(0)));
        }
    }

    private void everyKernel() {
        mixForwardAndBackward(new MixShape(2, 5, 7, 9, 37));   // pooled forward and weight gradient (planes of at least 8 x 32)
        mixForwardAndBackward(new MixShape(3, 33, 34, 1, 13)); // narrow planes: plane_reduce, partial weight gradient
        int planes = 6, rows = 5, cols = 7, n = rows * cols;
        Ptr x = input((long) planes * n), out = cuda.alloc((long) planes * n).at(0);
        cuda.planeReduce(planes, rows, cols, x, cuda.alloc((long) planes * cols).at(0), cuda.alloc((long) planes * rows).at(0), cuda.alloc(planes).at(0), true);
        cuda.planeBroadcast(planes, rows, cols, input((long) planes * cols), 0.5f, input((long) planes * rows), 0.25f, input(planes), 2f, out);
        cuda.copy4d(new int[]{2, 3, 5, 7}, x, new long[]{105, 35, 7, 1}, out, new long[]{1, 2, 6, 30}, true);
        cuda.planeScale(planes, n, x, input(planes), out);
        for (Act act : Act.values()) {
            cuda.activation(act, (long) planes * n, x, out);
            cuda.activationBackward(act, (long) planes * n, x, out, input((long) planes * n), cuda.alloc((long) planes * n).at(0));
        }
        cuda.planeStats(planes, n, x, cuda.alloc(planes * 7L).at(0));
        cuda.planeStatsBackward(planes, n, x, input(planes * 7L), cuda.alloc((long) planes * n).at(0));
        Ptr pred = cuda.alloc(9).at(0), target = cuda.alloc(9).at(0);
        cuda.fill(pred, 9, 0.3f);
        cuda.fill(target, 9, 1f);
        for (LossFn fn : LossFn.values()) cuda.lossGradient(fn, 9, pred, target, cuda.alloc(9).at(0));
        for (NormShape.Kind kind : NormShape.Kind.values()) {
            NormShape ns = new NormShape(2, 3, 4, 5, kind, 1e-5);
            Ptr nx = input(ns.size()), gamma = input(ns.n()), beta = input(ns.n());
            cuda.layerNorm(ns, nx, gamma, beta, cuda.alloc(ns.size()).at(0));
            cuda.layerNormBackward(ns, nx, gamma, input(ns.size()), cuda.alloc(ns.size()).at(0), cuda.alloc(ns.n()).at(0), cuda.alloc(ns.n()).at(0));
        }
        int groups = 3, tokens = 5, dim = 4;
        Ptr qkv = input((long) groups * tokens * 3 * dim), probs = cuda.alloc((long) groups * tokens * tokens).at(0);
        cuda.attention(groups, tokens, dim, 0.5f, qkv, probs, cuda.alloc((long) groups * tokens * dim).at(0));
        cuda.attentionBackward(groups, tokens, dim, 0.5f, qkv, probs, input((long) groups * tokens * dim), cuda.alloc((long) groups * tokens * 3 * dim).at(0));
        SirenShape ss = new SirenShape(3, 70, 2, 13, 2, 30f, 30f); // two tiles of points, a hidden width off the warps
        Ptr sw = cuda.alloc(ss.size()).at(0), sx = input(ss.coordSize());
        cuda.fill(sw, ss.size(), 0.05f);
        cuda.siren(ss, sw, sx, cuda.alloc(ss.outSize()).at(0));
        cuda.sirenBackward(ss, sw, sx, input(ss.outSize()), null, cuda.alloc(ss.size()).at(0), null);
        cuda.sirenBackward(ss, sw, sx, null, input(ss.outSize()), cuda.alloc(ss.size()).at(0), cuda.alloc(ss.batch()).at(0));
        Ptr p = input(1000), g = input(1000), m = cuda.alloc(1000).at(0), v = cuda.alloc(1000).at(0), counter = cuda.alloc(1).at(0);
        cuda.adamStep(1000, p, g, m, v, AdamConfig.adamW(1e-3, 1e-2), 1);
        cuda.adamStep(1000, p, g, m, v, AdamConfig.adam(1e-3), 3, counter);
    }
}
