package dev.nfn4j.ops.cuda;

import dev.nfn4j.ops.Buf;
import dev.nfn4j.ops.OpArgs;
import dev.nfn4j.ops.Ptr;
import jcuda.CudaException;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static dev.nfn4j.ops.OpArgs.need;
import static jcuda.driver.JCudaDriver.*;

/**
 * The device under the cuda backend: the primary context, the compute and copy streams, the
 * pinned staging buffers uploads and downloads go through, the caching allocator, device
 * scratch, and the launch of planned kernels. Uploads go through pinned staging buffers on the
 * copy stream, ordered against the compute stream with events, so the host can prepare the
 * next batch while the device computes. A driver error names the kernel and its launch shape;
 * with {@code -Dnfn4j.cudaSyncLaunches=true} every launch is followed by a synchronize, so an
 * asynchronous fault is reported at the kernel that caused it. Not thread-safe on its own:
 * {@link CudaOps} calls it under its lock.
 */
final class CudaDevice {
    /** A NaN bit pattern for the unused tail of a buffer's size class under emulation. */
    private static final int EMULATION_SLACK_POISON = 0x7fbadbad;
    /** Floats per pinned staging buffer (16 MiB). */
    private static final int STAGE_FLOATS = 4 << 20;

    private final CUcontext context;
    private final CUstream compute = new CUstream(), copy = new CUstream();
    private final Map<Kernel, CUfunction> functions = new EnumMap<>(Kernel.class);
    private final CachingAllocator<CUdeviceptr> allocator;
    private final String description;
    /** Whether the driver is the CPU emulation ({@link CudaEmulation}): descriptions and errors say so. */
    private final boolean emulated;
    private final boolean syncLaunches = Boolean.getBoolean("nfn4j.cudaSyncLaunches");
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);

    /** Two upload staging buffers used in turn (each with the event of its last copy), one for downloads. */
    private final Staging[] up = new Staging[2];
    private final Staging down;
    private int nextUp;
    private final CUevent computeMark, copyMark;

    /** Device scratch: Adam's per-step scalars (4 doubles), and the weight gradient's partial sums (grown, never shrunk). */
    private final CUdeviceptr hyper;
    private final List<CudaBuf> scratch = new ArrayList<>();

    private List<Buf> capturing; // non-null while a graph is captured: every buffer it uses, kept alive by the graph

    private Launch lastLaunch;

    private record Staging(Pointer host, FloatBuffer floats, CUevent done) {}

    /**
     * Initialises the device and loads the kernels; throws {@link UnsupportedOperationException}
     * with the reason when this machine cannot run them. Only {@link CudaOps#open} calls this.
     */
    static CudaDevice open(KernelImage image, boolean emulated) {
        JCudaDriver.setExceptionsEnabled(true);
        try {
            cuInit(0);
        } catch (CudaException e) {
            throw unavailable("the CUDA driver does not start (" + e.getMessage() + ")" + driverHint(e.getMessage()));
        }
        int[] count = {0};
        cuDeviceGetCount(count);
        int ordinal = Integer.getInteger("nfn4j.cudaDevice", 0);
        if (count[0] == 0) throw unavailable("no CUDA device");
        if (ordinal < 0 || ordinal >= count[0])
            throw unavailable("-Dnfn4j.cudaDevice=" + ordinal + " but there are " + count[0] + " devices");
        return new CudaDevice(image, ordinal, emulated);
    }

    private static String driverHint(String error) {
        if (error.contains("NO_DEVICE")) return ": no CUDA device";
        if (error.contains("INSUFFICIENT_DRIVER") || error.contains("COMPAT")) return ": the driver is too old";
        return "";
    }

    private static UnsupportedOperationException unavailable(String why) {
        return new UnsupportedOperationException(why);
    }

    private CudaDevice(KernelImage image, int ordinal, boolean emulated) {
        this.emulated = emulated;
        CUdevice device = new CUdevice();
        cuDeviceGet(device, ordinal);
        byte[] nameBytes = new byte[256];
        cuDeviceGetName(nameBytes, nameBytes.length, device);
        String name = new String(nameBytes, java.nio.charset.StandardCharsets.US_ASCII).trim().replace("\0", "");
        long[] total = {0};
        cuDeviceTotalMem(total, device);
        int sms = attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        int major = attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        int minor = attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        int[] driver = {0};
        cuDriverGetVersion(driver);
        String driverText = "CUDA " + driver[0] / 1000 + "." + (driver[0] % 1000) / 10;

        context = new CUcontext();
        cuDevicePrimaryCtxRetain(context, device);
        cuCtxSetCurrent(context);
        current.set(true);
        // Events, like every object the driver creates, belong to the context current when they are
        // made: none is current on this thread before the line above.
        computeMark = event();
        copyMark = event();

        CUmodule module = new CUmodule();
        try {
            cuModuleLoadData(module, image.fatbin());
        } catch (CudaException e) {
            throw unavailable("the GPU kernels do not load on " + name + " (sm_" + major + minor + ", driver " + driverText + "; kernels built by "
                    + image.builtWith() + " for " + KernelImage.TARGETS + "): " + e.getMessage()
                    + (e.getMessage().contains("PTX") || e.getMessage().contains("NO_BINARY") ? ": the driver is too old or the GPU too old for them" : ""));
        }
        for (Kernel k : Kernel.values()) {
            CUfunction f = new CUfunction();
            try {
                cuModuleGetFunction(f, module, k.symbol);
            } catch (CudaException e) {
                throw unavailable("kernel " + k.symbol + " is missing from the fatbin (" + e.getMessage() + "); rebuild the kernels");
            }
            functions.put(k, f);
        }
        cuStreamCreate(compute, CUstream_flags.CU_STREAM_NON_BLOCKING);
        cuStreamCreate(copy, CUstream_flags.CU_STREAM_NON_BLOCKING);
        allocator = new CachingAllocator<>(new CachingAllocator.RawMemory<>() {
            @Override
            public CUdeviceptr allocate(long bytes) {
                CUdeviceptr p = new CUdeviceptr();
                try {
                    cuMemAlloc(p, bytes);
                } catch (CudaException e) {
                    if (e.getMessage().contains("OUT_OF_MEMORY")) return null;
                    throw e;
                }
                return p;
            }

            @Override
            public void free(CUdeviceptr block) {
                cuMemFree(block);
            }
        });
        up[0] = staging();
        up[1] = staging();
        down = staging();
        hyper = allocator.allocate(4 * Double.BYTES).handle();
        description = emulated
                ? "cuda (emulated on the CPU: " + name + ", " + String.format("%.1f GiB", total[0] / (double) (1L << 30)) + ", sm_" + major + minor
                        + " device API; kernels by " + image.builtWith() + "; timings mean nothing about a GPU)"
                : "cuda (" + name + ", " + String.format("%.1f GiB", total[0] / (double) (1L << 30)) + ", " + sms + " SMs, sm_" + major + minor
                        + "; driver " + driverText + "; kernels by " + image.builtWith() + ")";
    }

    private static int attribute(CUdevice device, int attribute) {
        int[] v = {0};
        cuDeviceGetAttribute(v, attribute, device);
        return v[0];
    }

    private static CUevent event() {
        CUevent e = new CUevent();
        cuEventCreate(e, CUevent_flags.CU_EVENT_DISABLE_TIMING);
        return e;
    }

    private static Staging staging() {
        Pointer host = new Pointer();
        cuMemAllocHost(host, (long) STAGE_FLOATS * Float.BYTES);
        FloatBuffer f = host.getByteBuffer(0, (long) STAGE_FLOATS * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        return new Staging(host, f, event());
    }

    /** Makes this backend's context current on the calling thread (the driver's context is per thread). */
    void enter() {
        if (!current.get()) {
            cuCtxSetCurrent(context);
            current.set(true);
        }
    }

    // ---- memory ------------------------------------------------------------------------------------

    /** One line for logs: the device, its memory and the kernels' build. */
    String description() {
        return description;
    }

    /** A zero-filled device buffer of n floats. */
    Buf alloc(long n) {
        enter();
        if (n < 0) throw new IllegalArgumentException("cannot allocate a device buffer of " + n + " floats");
        long floats = Math.max(n, 1);
        CachingAllocator.Block<CUdeviceptr> block = allocator.allocate(floats * Float.BYTES);
        CudaBuf b = new CudaBuf(allocator, block, n);
        if (capturing != null) capturing.add(b);
        cuMemsetD32Async(b.ptr, 0, floats, compute); // zero-filled, as the SPI promises
        long slack = block.bytes() / Float.BYTES - floats;
        if (emulated && slack > 0) // the size class's tail past the buffer: NaN, so that a kernel reading past a buffer's end fails its test
            cuMemsetD32Async(b.ptr.withByteOffset(floats * Float.BYTES), EMULATION_SLACK_POISON, slack, compute);
        return b;
    }

    /** A device address of a pointer of this backend, or null; while capturing, its buffer is kept alive by the graph. */
    DevPtr dev(Ptr p) {
        if (p == null) return null;
        if (!(p.buf() instanceof CudaBuf b))
            throw new IllegalArgumentException("buffer of type " + p.buf().getClass().getSimpleName() + " given to the cuda backend");
        if (capturing != null) capturing.add(b);
        return new DevPtr(b.ptr, p.offset() * Float.BYTES);
    }

    private static CUdeviceptr address(DevPtr p) {
        return ((CUdeviceptr) p.base()).withByteOffset(p.byteOffset());
    }

    void noCapture(String what) {
        if (capturing != null)
            throw new IllegalStateException(what + " inside runGraph: a captured graph replays device work only; stage inputs before the call and read results after it");
    }

    void upload(float[] src, int srcOff, Ptr dst, int n) {
        enter();
        noCapture("upload");
        OpArgs.upload(src, srcOff, dst, n);
        if (n == 0) return;
        CUdeviceptr base = address(dev(dst));
        try {
            // The copy stream waits for everything queued on the compute stream so far (it may still read dst) ...
            cuEventRecord(computeMark, compute);
            cuStreamWaitEvent(copy, computeMark, 0);
            for (int done = 0; done < n; ) {
                int len = Math.min(STAGE_FLOATS, n - done);
                Staging s = up[nextUp];
                nextUp ^= 1;
                cuEventSynchronize(s.done()); // this staging buffer's previous copy has left it
                s.floats().clear();
                s.floats().put(src, srcOff + done, len);
                cuMemcpyHtoDAsync(base.withByteOffset((long) done * Float.BYTES), s.host(), (long) len * Float.BYTES, copy);
                cuEventRecord(s.done(), copy);
                done += len;
            }
            // ... and everything queued on the compute stream from now on waits for the copy.
            cuEventRecord(copyMark, copy);
            cuStreamWaitEvent(compute, copyMark, 0);
        } catch (CudaException e) {
            throw failure("upload of " + n + " floats", e);
        }
    }

    void download(Ptr src, float[] dst, int dstOff, int n) {
        enter();
        noCapture("download");
        OpArgs.download(src, dst, dstOff, n);
        if (n == 0) return;
        CUdeviceptr base = address(dev(src));
        try {
            for (int done = 0; done < n; ) {
                int len = Math.min(STAGE_FLOATS, n - done);
                cuMemcpyDtoHAsync(down.host(), base.withByteOffset((long) done * Float.BYTES), (long) len * Float.BYTES, compute);
                cuStreamSynchronize(compute);
                down.floats().clear();
                down.floats().get(dst, dstOff + done, len);
                done += len;
            }
        } catch (CudaException e) {
            throw failure("download of " + n + " floats", e);
        }
    }

    void fill(Ptr x, long n, float value) {
        enter();
        need(x, n, "fill");
        if (n == 0) return;
        try {
            cuMemsetD32Async(address(dev(x)), Float.floatToRawIntBits(value), n, compute);
        } catch (CudaException e) {
            throw failure("fill of " + n + " floats", e);
        }
    }

    /** Device scratch of at least n floats (grown by replacement; old ones stay allocated, graphs may use them). */
    DevPtr scratch(long n) {
        CudaBuf last = scratch.isEmpty() ? null : scratch.get(scratch.size() - 1);
        if (last == null || last.length() < n) {
            last = (CudaBuf) alloc(Math.max(n, last == null ? 0 : 2 * last.length()));
            scratch.add(last);
        }
        return new DevPtr(last.ptr, 0);
    }

    // ---- launches ----------------------------------------------------------------------------------

    /** Launches a plan's kernels in turn on the compute stream. */
    void run(List<Launch> plan) {
        for (Launch l : plan) launch(l);
    }

    private void launch(Launch l) {
        List<Object> args = l.args();
        NativePointerObject[] params = new NativePointerObject[args.size()];
        for (int i = 0; i < params.length; i++) {
            Object a = args.get(i);
            params[i] = switch (a) {
                case DevPtr p -> p.isNull() ? Pointer.to(new long[]{0}) : Pointer.to(address(p));
                case Integer v -> Pointer.to(new int[]{v});
                case Long v -> Pointer.to(new long[]{v});
                case Float v -> Pointer.to(new float[]{v});
                case Double v -> Pointer.to(new double[]{v});
                default -> throw new IllegalStateException(l.shape() + ": argument " + i + " of type " + a.getClass());
            };
        }
        lastLaunch = l;
        try {
            cuLaunchKernel(functions.get(l.kernel()), l.gridX(), l.gridY(), l.gridZ(), l.block(), 1, 1, l.sharedBytes(), compute,
                    Pointer.to(params), null);
            if (syncLaunches && capturing == null) cuStreamSynchronize(compute);
        } catch (CudaException e) {
            throw new IllegalStateException("cuda: " + l.shape() + " failed: " + e.getMessage() + emulatorDetail() + "; kernel " + l.kernel().signature(), e);
        }
    }

    /** A driver error outside a launch: names the last launch, since kernel faults surface at the next synchronizing call. */
    IllegalStateException failure(String what, CudaException e) {
        return new IllegalStateException("cuda: " + what + " failed: " + e.getMessage() + emulatorDetail()
                + (lastLaunch == null ? "" : "; the last kernel launched was " + lastLaunch.shape()
                + " (a kernel fault shows at the next synchronizing call; -Dnfn4j.cudaSyncLaunches=true checks after every launch)"), e);
    }

    /** Under emulation, the emulator's account of the last failure (which kernel, which check). */
    private String emulatorDetail() {
        if (!emulated) return "";
        String detail = CudaEmulation.lastError();
        CudaEmulation.clearError();
        return detail.isEmpty() ? "" : " (" + detail + ")";
    }

    /** Whether the driver under this backend is the CPU emulation. */
    boolean emulated() {
        return emulated;
    }

    /** Adam's per-step scalars on the device (4 doubles). */
    DevPtr hyper() {
        return new DevPtr(hyper, 0);
    }

    /** The stream every op is queued on. */
    CUstream compute() {
        return compute;
    }

    /** From now until {@link #endCapture}, records every buffer an op uses (a captured graph keeps them alive). */
    void beginCapture() {
        capturing = new ArrayList<>();
    }

    /** Whether a capture is in progress. */
    boolean capturing() {
        return capturing != null;
    }

    /** Ends the recording; returns the buffers the capture used (null when none was in progress). */
    List<Buf> endCapture() {
        List<Buf> used = capturing;
        capturing = null;
        return used;
    }

    /** Waits for both streams. */
    void synchronize() {
        enter();
        noCapture("synchronize");
        try {
            cuStreamSynchronize(copy);
            cuStreamSynchronize(compute);
        } catch (CudaException e) {
            throw failure("synchronize", e);
        }
    }

    /** The allocator's bookkeeping (bytes in use and cached, driver calls), for tests and diagnostics. */
    CachingAllocator.Stats memoryStats() {
        return allocator.stats();
    }
}
