package dev.nfn4j.ops.cuda;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Buf;
import dev.nfn4j.ops.LossFn;
import dev.nfn4j.ops.MixGrads;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.NormShape;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.PlanePools;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.SirenShape;
import dev.nfn4j.ops.reference.ReferenceOps;
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
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.nfn4j.ops.reference.ReferenceOps.need;
import static jcuda.driver.JCudaDriver.*;

/**
 * The GPU backend: our kernels ({@code kernels/*.cu}, one fatbin in the jar) launched through the
 * JCuda 12.6 driver API. Buffers live in device memory and stay there across layers and steps;
 * every op is queued on one compute stream and returns at once (downloads wait). Uploads go
 * through pinned staging buffers on a second stream, ordered against the compute stream with
 * events, so the host can prepare the next batch while the device computes. Whole training
 * steps and inference calls can be captured as CUDA graphs ({@link #runGraph}).
 *
 * <p>Made only by {@link CudaProbe} (once per process: JCuda's classes cannot be initialised
 * twice), which owns the device's primary context. Every method is synchronized: the stream,
 * the staging buffers and a capture in progress are shared, and kernels on one stream run one
 * after another anyway. Launches are planned by {@link KernelPlans} (pure Java, tested without
 * a GPU); a driver error names the kernel and its launch shape. With
 * {@code -Dnfn4j.cudaSyncLaunches=true} every launch is followed by a synchronize, so an
 * asynchronous fault is reported at the kernel that caused it.
 */
public final class CudaOps implements Ops {
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
    /** Opt-in TF32 tensor-core mixes for wide channel counts (kernels/mix.cu channel_mix_tf32 states the accuracy bound). */
    private boolean tf32 = Boolean.getBoolean("nfn4j.tf32");
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);

    /** Two upload staging buffers used in turn (each with the event of its last copy), one for downloads. */
    private final Staging[] up = new Staging[2];
    private final Staging down;
    private int nextUp;
    private final CUevent computeMark = event(), copyMark = event();

    /** Device scratch: Adam's per-step scalars (4 doubles), and the weight gradient's partial sums (grown, never shrunk). */
    private final CUdeviceptr hyper;
    private final List<CudaBuf> scratch = new ArrayList<>();

    /** Graphs by key: WARM after the first (eager) run, then the captured graph. */
    private final Map<Object, Object> graphs = new HashMap<>();
    private static final Object WARM = new Object();
    private List<Buf> capturing; // non-null while a graph is captured: every buffer it uses, kept alive by the graph

    private Launch lastLaunch;

    private record Staging(Pointer host, FloatBuffer floats, CUevent done) {}

    private record Graph(CUgraph graph, CUgraphExec exec, List<Buf> buffers) {}

    /**
     * Initialises the device and loads the kernels; throws {@link UnsupportedOperationException}
     * with the reason when this machine cannot run them. Only {@link CudaProbe} calls this.
     */
    static CudaOps open(KernelImage image, boolean emulated) {
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
        return new CudaOps(image, ordinal, emulated);
    }

    private static String driverHint(String error) {
        if (error.contains("NO_DEVICE")) return ": no CUDA device";
        if (error.contains("INSUFFICIENT_DRIVER") || error.contains("COMPAT")) return ": the driver is too old";
        return "";
    }

    private static UnsupportedOperationException unavailable(String why) {
        return new UnsupportedOperationException(why);
    }

    private CudaOps(KernelImage image, int ordinal, boolean emulated) {
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
    private void enter() {
        if (!current.get()) {
            cuCtxSetCurrent(context);
            current.set(true);
        }
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String describe() {
        return description + (tf32() ? ", TF32 mixes for >= " + KernelPlans.TF32_MIN_CHANNELS + " channels" : "");
    }

    /** Whether mixes of at least {@link KernelPlans#TF32_MIN_CHANNELS} channels run in TF32 ({@code -Dnfn4j.tf32}, default off). */
    public synchronized boolean tf32() {
        return tf32;
    }

    /**
     * Turns the TF32 mixes on or off for the ops queued from now on (graphs captured before keep
     * the kernels they captured). Off by default: results then match the reference to FP32 rounding.
     */
    public synchronized void setTf32(boolean on) {
        tf32 = on;
    }

    // ---- memory ------------------------------------------------------------------------------------

    @Override
    public synchronized Buf alloc(long n) {
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
    private DevPtr dev(Ptr p) {
        if (p == null) return null;
        if (!(p.buf() instanceof CudaBuf b))
            throw new IllegalArgumentException("buffer of type " + p.buf().getClass().getSimpleName() + " given to the cuda backend");
        if (capturing != null) capturing.add(b);
        return new DevPtr(b.ptr, p.offset() * Float.BYTES);
    }

    private static CUdeviceptr address(DevPtr p) {
        return ((CUdeviceptr) p.base()).withByteOffset(p.byteOffset());
    }

    private void noCapture(String what) {
        if (capturing != null)
            throw new IllegalStateException(what + " inside runGraph: a captured graph replays device work only; stage inputs before the call and read results after it");
    }

    @Override
    public synchronized void upload(float[] src, int srcOff, Ptr dst, int n) {
        enter();
        noCapture("upload");
        need(dst, n, "upload");
        if (srcOff < 0 || srcOff + n > src.length)
            throw new IndexOutOfBoundsException("upload of " + n + " floats from offset " + srcOff + " of an array of " + src.length);
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

    @Override
    public synchronized void download(Ptr src, float[] dst, int dstOff, int n) {
        enter();
        noCapture("download");
        need(src, n, "download");
        if (dstOff < 0 || dstOff + n > dst.length)
            throw new IndexOutOfBoundsException("download of " + n + " floats to offset " + dstOff + " of an array of " + dst.length);
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

    @Override
    public synchronized void fill(Ptr x, long n, float value) {
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
    private DevPtr scratch(long n) {
        CudaBuf last = scratch.isEmpty() ? null : scratch.get(scratch.size() - 1);
        if (last == null || last.length() < n) {
            last = (CudaBuf) alloc(Math.max(n, last == null ? 0 : 2 * last.length()));
            scratch.add(last);
        }
        return new DevPtr(last.ptr, 0);
    }

    // ---- launches ----------------------------------------------------------------------------------

    private void run(List<Launch> plan) {
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
    private IllegalStateException failure(String what, CudaException e) {
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
    public boolean emulated() {
        return emulated;
    }

    // ---- ops ---------------------------------------------------------------------------------------

    @Override
    public void channelMix(MixShape s, Ptr x, Ptr a, Ptr bias, Ptr row, Ptr col, Ptr glob, Ptr y) {
        channelMix(s, x, a, bias, row, col, glob, Act.IDENTITY, y);
    }

    /** The activation is applied in the mix kernel's store (the same device function as the activation kernel's). */
    @Override
    public synchronized void channelMix(MixShape s, Ptr x, Ptr a, Ptr bias, Ptr row, Ptr col, Ptr glob, Act act, Ptr y) {
        enter();
        checkMix(s, x, a, bias, row, col, glob, y);
        run(KernelPlans.channelMix(s, dev(x), dev(a), dev(bias), dev(row), dev(col), dev(glob), act, dev(y), tf32));
    }

    private static void checkMix(MixShape s, Ptr x, Ptr a, Ptr bias, Ptr row, Ptr col, Ptr glob, Ptr y) {
        long plane = s.plane(), B = s.batch();
        need(x, B * s.cin() * plane, "channelMix x");
        need(a, (long) s.cout() * s.cin(), "channelMix a");
        need(y, B * s.cout() * plane, "channelMix y");
        need(bias, s.cout(), "channelMix bias");
        need(row, B * s.cout() * s.cols(), "channelMix row");
        need(col, B * s.cout() * s.rows(), "channelMix col");
        need(glob, B * s.cout(), "channelMix glob");
    }

    @Override
    public void channelMixBackward(MixShape s, Ptr x, Ptr a, Ptr dy, Ptr dx, Ptr da, Ptr dbias) {
        channelMixBackward(s, x, a, Act.IDENTITY, null, dy, MixGrads.of(dx, da, dbias));
    }

    /** The output's plane means taken by the mix kernel where the planes are large enough (KernelPlans.pooledMixApplies). */
    @Override
    public synchronized void channelMix(MixShape s, Ptr x, Ptr a, Ptr bias, Ptr row, Ptr col, Ptr glob, Act act, Ptr y, PlanePools pools) {
        if (pools == null) {
            channelMix(s, x, a, bias, row, col, glob, act, y);
            return;
        }
        enter();
        checkMix(s, x, a, bias, row, col, glob, y);
        long planes = (long) s.batch() * s.cout();
        need(pools.rowMean(), planes * s.cols(), "channelMix pools rowMean");
        need(pools.colMean(), planes * s.rows(), "channelMix pools colMean");
        need(pools.allMean(), planes, "channelMix pools allMean");
        long scratchFloats = KernelPlans.pooledMixScratch(s, tf32);
        run(KernelPlans.channelMix(s, dev(x), dev(a), dev(bias), dev(row), dev(col), dev(glob), act, dev(y), dev(pools.rowMean()),
                dev(pools.colMean()), dev(pools.allMean()), scratchFloats == 0 ? null : scratch(scratchFloats), tf32));
    }

    @Override
    public void channelMixBackward(MixShape s, Ptr x, Ptr a, Ptr dy, Ptr dx, boolean overwriteDx, Ptr da, Ptr dbias) {
        channelMixBackward(s, x, a, Act.IDENTITY, null, dy, new MixGrads(dx, da, dbias, null, null, null, overwriteDx));
    }

    /** Fused: act' is applied by each kernel as it loads dy (KernelPlans.channelMixBackward), never stored. */
    @Override
    public synchronized void channelMixBackward(MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, MixGrads g) {
        enter();
        Ops.checkBackwardThrough(s, act);
        long plane = s.plane(), B = s.batch();
        need(x, B * s.cin() * plane, "channelMixBackward x");
        need(dy, B * s.cout() * plane, "channelMixBackward dy");
        if (act != Act.IDENTITY) need(y, B * s.cout() * plane, "channelMixBackward y");
        need(g.dx(), B * s.cin() * plane, "channelMixBackward dx");
        need(g.da(), (long) s.cout() * s.cin(), "channelMixBackward da");
        need(g.dbias(), s.cout(), "channelMixBackward dbias");
        need(g.dRow(), B * s.cout() * s.cols(), "channelMixBackward dRow");
        need(g.dCol(), B * s.cout() * s.rows(), "channelMixBackward dCol");
        need(g.dGlob(), B * s.cout(), "channelMixBackward dGlob");
        long scratchFloats = KernelPlans.backwardScratch(s, g.da() != null, g.dbias() != null, g.anyTerm());
        DevPtr work = scratchFloats == 0 ? null : scratch(scratchFloats);
        run(KernelPlans.channelMixBackward(s, dev(x), dev(a), act, act == Act.IDENTITY ? null : dev(y), dev(dy), dev(g.dRow()), dev(g.dCol()),
                dev(g.dGlob()), dev(g.dx()), g.overwriteDx(), dev(g.da()), dev(g.dbias()), work, tf32));
    }

    @Override
    public synchronized void planeReduce(long planes, int rows, int cols, Ptr x, Ptr rowOut, Ptr colOut, Ptr allOut, boolean mean) {
        enter();
        need(x, planes * rows * cols, "planeReduce x");
        need(rowOut, planes * cols, "planeReduce rowOut");
        need(colOut, planes * rows, "planeReduce colOut");
        need(allOut, planes, "planeReduce allOut");
        run(KernelPlans.planeReduce(planes, rows, cols, dev(x), dev(rowOut), dev(colOut), dev(allOut), mean));
    }

    @Override
    public synchronized void planeBroadcast(long planes, int rows, int cols, Ptr row, float sRow, Ptr col, float sCol, Ptr all, float sAll, Ptr dx) {
        enter();
        need(dx, planes * rows * cols, "planeBroadcast dx");
        need(row, planes * cols, "planeBroadcast row");
        need(col, planes * rows, "planeBroadcast col");
        need(all, planes, "planeBroadcast all");
        run(KernelPlans.planeBroadcast(planes, rows, cols, dev(row), sRow, dev(col), sCol, dev(all), sAll, dev(dx)));
    }

    @Override
    public synchronized void copy4d(int[] dims, Ptr src, long[] ss, Ptr dst, long[] ds, boolean accumulate) {
        enter();
        need(src, 1 + ReferenceOps.maxIndex(dims, ss), "copy4d src");
        need(dst, 1 + ReferenceOps.maxIndex(dims, ds), "copy4d dst");
        run(KernelPlans.copy4d(dims, dev(src), ss, dev(dst), ds, accumulate));
    }

    @Override
    public synchronized void planeScale(long planes, int n, Ptr x, Ptr scale, Ptr y) {
        enter();
        need(x, planes * n, "planeScale x");
        need(y, planes * n, "planeScale y");
        need(scale, planes, "planeScale scale");
        run(KernelPlans.planeScale(planes, n, dev(x), dev(scale), dev(y)));
    }

    @Override
    public synchronized void activation(Act act, long n, Ptr x, Ptr y) {
        enter();
        need(x, n, "activation x");
        need(y, n, "activation y");
        run(KernelPlans.activation(act, n, dev(x), dev(y)));
    }

    @Override
    public synchronized void activationBackward(Act act, long n, Ptr x, Ptr y, Ptr dy, Ptr dx) {
        enter();
        need(x, n, "activationBackward x");
        need(dy, n, "activationBackward dy");
        need(dx, n, "activationBackward dx");
        run(KernelPlans.activationBackward(act, n, dev(x), dev(dy), dev(dx)));
    }

    @Override
    public synchronized void planeStats(long planes, int n, Ptr x, Ptr out) {
        enter();
        need(x, planes * n, "planeStats x");
        need(out, planes * 7, "planeStats out");
        run(KernelPlans.planeStats(planes, n, dev(x), dev(out)));
    }

    @Override
    public synchronized void planeStatsBackward(long planes, int n, Ptr x, Ptr dOut, Ptr dx) {
        enter();
        need(x, planes * n, "planeStatsBackward x");
        need(dOut, planes * 7, "planeStatsBackward dOut");
        need(dx, planes * n, "planeStatsBackward dx");
        run(KernelPlans.planeStatsBackward(planes, n, dev(x), dev(dOut), dev(dx)));
    }

    @Override
    public synchronized void layerNorm(NormShape s, Ptr x, Ptr gamma, Ptr beta, Ptr y) {
        enter();
        need(x, s.size(), "layerNorm x");
        need(y, s.size(), "layerNorm y");
        need(gamma, s.n(), "layerNorm gamma");
        need(beta, s.n(), "layerNorm beta");
        run(KernelPlans.layerNorm(s, dev(x), dev(gamma), dev(beta), dev(y)));
    }

    @Override
    public synchronized void layerNormBackward(NormShape s, Ptr x, Ptr gamma, Ptr dy, Ptr dx, Ptr dgamma, Ptr dbeta) {
        enter();
        need(x, s.size(), "layerNormBackward x");
        need(dy, s.size(), "layerNormBackward dy");
        need(dx, s.size(), "layerNormBackward dx");
        need(gamma, s.n(), "layerNormBackward gamma");
        need(dgamma, s.n(), "layerNormBackward dgamma");
        need(dbeta, s.n(), "layerNormBackward dbeta");
        DevPtr stats = scratch(2 * KernelPlans.layerNormScratchDoubles(s));
        run(KernelPlans.layerNormBackward(s, dev(x), dev(gamma), dev(dy), dx == null ? null : dev(dx), dgamma == null ? null : dev(dgamma),
                dbeta == null ? null : dev(dbeta), stats));
    }

    @Override
    public synchronized void attention(long groups, int tokens, int dim, float scale, Ptr qkv, Ptr probs, Ptr out) {
        enter();
        need(qkv, groups * 3L * tokens * dim, "attention qkv");
        need(probs, groups * tokens * (long) tokens, "attention probs");
        need(out, groups * tokens * (long) dim, "attention out");
        run(KernelPlans.attention(groups, tokens, dim, scale, dev(qkv), dev(probs), dev(out)));
    }

    @Override
    public synchronized void attentionBackward(long groups, int tokens, int dim, float scale, Ptr qkv, Ptr probs, Ptr dOut, Ptr dqkv) {
        enter();
        need(qkv, groups * 3L * tokens * dim, "attentionBackward qkv");
        need(probs, groups * tokens * (long) tokens, "attentionBackward probs");
        need(dOut, groups * tokens * (long) dim, "attentionBackward dOut");
        need(dqkv, groups * 3L * tokens * dim, "attentionBackward dqkv");
        DevPtr dScores = scratch(2 * KernelPlans.attentionScratchDoubles(groups, tokens));
        run(KernelPlans.attentionBackward(groups, tokens, dim, scale, dev(qkv), dev(probs), dev(dOut), dev(dqkv), dScores));
    }

    @Override
    public synchronized void siren(SirenShape s, Ptr weights, Ptr coords, Ptr out) {
        enter();
        need(weights, s.size(), "siren weights");
        need(coords, s.coordSize(), "siren coords");
        need(out, s.outSize(), "siren out");
        run(KernelPlans.siren(s, dev(weights), dev(coords), dev(out)));
    }

    @Override
    public synchronized void sirenBackward(SirenShape s, Ptr weights, Ptr coords, Ptr dOut, Ptr target, Ptr dWeights, Ptr loss) {
        enter();
        s.checkCotangent(dOut, target, loss);
        need(weights, s.size(), "sirenBackward weights");
        need(coords, s.coordSize(), "sirenBackward coords");
        need(dOut, s.outSize(), "sirenBackward dOut");
        need(target, s.outSize(), "sirenBackward target");
        need(dWeights, s.size(), "sirenBackward dWeights");
        need(loss, s.batch(), "sirenBackward loss");
        run(KernelPlans.sirenBackward(s, dev(weights), dev(coords), dOut == null ? null : dev(dOut), target == null ? null : dev(target),
                dev(dWeights), loss == null ? null : dev(loss)));
    }

    private void needAdam(long n, Ptr param, Ptr grad, Ptr m, Ptr v) {
        need(param, n, "adam param");
        need(grad, n, "adam grad");
        need(m, n, "adam m");
        need(v, n, "adam v");
    }

    @Override
    public synchronized void adamStep(long n, Ptr param, Ptr grad, Ptr m, Ptr v, AdamConfig cfg, long step) {
        enter();
        needAdam(n, param, grad, m, v);
        run(KernelPlans.adamStep(n, dev(param), dev(grad), dev(m), dev(v), cfg, step, new DevPtr(hyper, 0)));
    }

    @Override
    public synchronized void adamStep(long n, Ptr param, Ptr grad, Ptr m, Ptr v, AdamConfig cfg, int warmupSteps, Ptr counter) {
        enter();
        needAdam(n, param, grad, m, v);
        need(counter, 1, "adam step counter");
        run(KernelPlans.adamStepCounter(n, dev(param), dev(grad), dev(m), dev(v), cfg, warmupSteps, dev(counter), new DevPtr(hyper, 0)));
    }

    @Override
    public synchronized void lossGradient(LossFn fn, int n, Ptr pred, Ptr target, Ptr grad) {
        enter();
        need(pred, n, "lossGradient pred");
        need(target, n, "lossGradient target");
        need(grad, n, "lossGradient grad");
        run(KernelPlans.lossGradient(fn, n, dev(pred), dev(target), dev(grad)));
    }

    // ---- synchronization, graphs, timing -----------------------------------------------------------

    @Override
    public synchronized void synchronize() {
        enter();
        noCapture("synchronize");
        try {
            cuStreamSynchronize(copy);
            cuStreamSynchronize(compute);
        } catch (CudaException e) {
            throw failure("synchronize", e);
        }
    }

    /**
     * First call for a key: runs the body. Second: captures it on the compute stream (relaxed
     * mode, so a late allocation is still allowed), instantiates the graph and launches it.
     * Later: launches the graph. Inside a capture, a nested runGraph runs its body inline. A body
     * that fails during capture discards the capture and its key starts over.
     */
    @Override
    public synchronized void runGraph(Object key, Runnable body) {
        enter();
        if (capturing != null) {
            body.run();
            return;
        }
        Object g = graphs.get(key);
        if (g == null) {
            body.run();
            graphs.put(key, WARM);
            return;
        }
        try {
            if (g instanceof Graph graph) {
                cuGraphLaunch(graph.exec(), compute);
                return;
            }
            capturing = new ArrayList<>();
            CUgraph graph = new CUgraph();
            cuStreamBeginCapture(compute, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED);
            try {
                body.run();
            } catch (RuntimeException | Error e) {
                capturing = null;
                graphs.remove(key);
                try {
                    cuStreamEndCapture(compute, graph);
                    cuGraphDestroy(graph);
                } catch (CudaException ignored) {
                    // the capture is invalid already; the body's exception says why
                }
                throw e;
            }
            List<Buf> buffers = capturing;
            capturing = null;
            cuStreamEndCapture(compute, graph);
            CUgraphExec exec = new CUgraphExec();
            cuGraphInstantiate(exec, graph, 0);
            graphs.put(key, new Graph(graph, exec, buffers));
            cuGraphLaunch(exec, compute);
        } catch (CudaException e) {
            capturing = null;
            graphs.remove(key);
            throw failure("graph for " + key, e);
        }
    }

    /** Drops the key's graph, destroying a captured one; its buffers are then free to go. */
    @Override
    public synchronized void releaseGraph(Object key) {
        enter();
        Object g = graphs.remove(key);
        if (g instanceof Graph graph)
            try {
                cuGraphExecDestroy(graph.exec());
                cuGraphDestroy(graph.graph());
            } catch (CudaException e) {
                throw failure("releasing the graph for " + key, e);
            }
    }

    /** CUDA events around each rep on the compute stream, after the warm-up; the elapsed times once all reps are done. */
    @Override
    public synchronized float[] timeMillis(Runnable body, int warmup, int reps) {
        enter();
        noCapture("timeMillis");
        for (int i = 0; i < warmup; i++) body.run();
        CUevent[] start = new CUevent[reps], stop = new CUevent[reps];
        try {
            for (int i = 0; i < reps; i++) {
                start[i] = new CUevent();
                stop[i] = new CUevent();
                cuEventCreate(start[i], CUevent_flags.CU_EVENT_DEFAULT);
                cuEventCreate(stop[i], CUevent_flags.CU_EVENT_DEFAULT);
            }
            for (int i = 0; i < reps; i++) {
                cuEventRecord(start[i], compute);
                body.run();
                cuEventRecord(stop[i], compute);
            }
            float[] ms = new float[reps];
            if (reps > 0) cuEventSynchronize(stop[reps - 1]);
            float[] t = {0};
            for (int i = 0; i < reps; i++) {
                cuEventElapsedTime(t, start[i], stop[i]);
                ms[i] = t[0];
            }
            return ms;
        } catch (CudaException e) {
            throw failure("timing", e);
        } finally {
            for (int i = 0; i < reps; i++) {
                if (start[i] != null) cuEventDestroy(start[i]);
                if (stop[i] != null) cuEventDestroy(stop[i]);
            }
        }
    }

    /** The allocator's bookkeeping (bytes in use and cached, driver calls), for tests and diagnostics. */
    synchronized CachingAllocator.Stats memoryStats() {
        return allocator.stats();
    }
}
