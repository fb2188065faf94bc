package dev.nfn4j.ops.cuda;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Buf;
import dev.nfn4j.ops.LossFn;
import dev.nfn4j.ops.MixEpilogue;
import dev.nfn4j.ops.MixGrads;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.NormShape;
import dev.nfn4j.ops.OpArgs;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.PlanePools;
import dev.nfn4j.ops.PoolGrads;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.SirenShape;

import static dev.nfn4j.ops.OpArgs.need;

/**
 * The GPU backend: our kernels ({@code kernels/*.cu}, one fatbin in the jar) launched through the
 * JCuda 12.6 driver API. Buffers live in device memory and stay there across layers and steps;
 * every op is queued on one compute stream and returns at once (downloads wait). Whole training
 * steps and inference calls can be captured as CUDA graphs ({@link #runGraph}).
 *
 * <p>Three parts: {@link CudaDevice} (context, streams, staging, allocator, launches),
 * {@link CudaGraphs} (capture, replay, timing) and this class, the ops: each checks its
 * arguments, has its launches planned by {@link KernelPlans} (pure Java, tested without a GPU)
 * and hands them to the device. Made only by {@link CudaProbe} (once per process: JCuda's
 * classes cannot be initialised twice), which owns the device's primary context. Every method
 * is synchronized: the stream, the staging buffers and a capture in progress are shared, and
 * kernels on one stream run one after another anyway.
 */
public final class CudaOps implements Ops {
    private final CudaDevice device;
    private final CudaGraphs graphs;
    /** Opt-in TF32 tensor-core mixes for wide channel counts (kernels/mix.cu channel_mix_tf32 states the accuracy bound). */
    private boolean tf32 = Boolean.getBoolean("nfn4j.tf32");

    private CudaOps(CudaDevice device) {
        this.device = device;
        this.graphs = new CudaGraphs(device);
    }

    /**
     * Initialises the device and loads the kernels; throws {@link UnsupportedOperationException}
     * with the reason when this machine cannot run them. Only {@link CudaProbe} calls this.
     */
    static CudaOps open(KernelImage image, boolean emulated) {
        return new CudaOps(CudaDevice.open(image, emulated));
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String describe() {
        return device.description() + (tf32() ? ", TF32 mixes for >= " + KernelPlans.TF32_MIN_CHANNELS + " channels" : "");
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

    /** Whether the driver under this backend is the CPU emulation. */
    public boolean emulated() {
        return device.emulated();
    }

    /** The allocator's bookkeeping (bytes in use and cached, driver calls), for tests and diagnostics. */
    synchronized CachingAllocator.Stats memoryStats() {
        return device.memoryStats();
    }

    // ---- device control ----------------------------------------------------------------------------

    @Override
    public synchronized Buf alloc(long n) {
        return device.alloc(n);
    }

    @Override
    public synchronized void upload(float[] src, int srcOff, Ptr dst, int n) {
        device.upload(src, srcOff, dst, n);
    }

    @Override
    public synchronized void download(Ptr src, float[] dst, int dstOff, int n) {
        device.download(src, dst, dstOff, n);
    }

    @Override
    public synchronized void synchronize() {
        device.synchronize();
    }

    @Override
    public synchronized void runGraph(Object key, Runnable body) {
        graphs.runGraph(key, body);
    }

    @Override
    public synchronized void releaseGraph(Object key) {
        graphs.releaseGraph(key);
    }

    @Override
    public synchronized float[] timeMillis(Runnable body, int warmup, int reps) {
        return graphs.timeMillis(body, warmup, reps);
    }

    @Override
    public synchronized void fill(Ptr x, long n, float value) {
        device.fill(x, n, value);
    }

    // ---- ops ---------------------------------------------------------------------------------------

    /**
     * The activation is applied in the mix kernel's store (the same device function as the
     * activation kernel's); the output's plane means are taken by the mix kernel where the planes
     * are large enough (KernelPlans.pooledMixApplies).
     */
    @Override
    public synchronized void channelMix(MixShape s, Ptr x, Ptr a, MixEpilogue e, Ptr y) {
        device.enter();
        OpArgs.channelMix(s, x, a, e, y);
        PlanePools pools = e.pools();
        if (pools == null) {
            device.run(KernelPlans.channelMix(s, device.dev(x), device.dev(a), device.dev(e.bias()), device.dev(e.row()), device.dev(e.col()), device.dev(e.glob()), e.act(), device.dev(y), tf32));
            return;
        }
        long scratchFloats = KernelPlans.pooledMixScratch(s, tf32);
        device.run(KernelPlans.channelMix(s, device.dev(x), device.dev(a), device.dev(e.bias()), device.dev(e.row()), device.dev(e.col()), device.dev(e.glob()), e.act(), device.dev(y),
                device.dev(pools.rowMean()), device.dev(pools.colMean()), device.dev(pools.allMean()), scratchFloats == 0 ? null : device.scratch(scratchFloats), tf32));
    }

    /**
     * Fused: act' is applied by each kernel as it loads dy (KernelPlans.channelMixBackward), never
     * stored; the input's pool gradients are broadcast into dx after it ({@link #planeBroadcast}).
     */
    @Override
    public synchronized void channelMixBackward(MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, MixGrads g) {
        device.enter();
        OpArgs.channelMixBackward(s, act, x, a, y, dy, g);
        long scratchFloats = KernelPlans.backwardScratch(s, g.da() != null, g.dbias() != null, g.anyTerm());
        DevPtr work = scratchFloats == 0 ? null : device.scratch(scratchFloats);
        device.run(KernelPlans.channelMixBackward(s, device.dev(x), device.dev(a), act, act == Act.IDENTITY ? null : device.dev(y), device.dev(dy), device.dev(g.dRow()), device.dev(g.dCol()),
                device.dev(g.dGlob()), device.dev(g.dx()), g.overwriteDx(), device.dev(g.da()), device.dev(g.dbias()), work, tf32));
        PoolGrads p = g.pools();
        if (p != null)
            planeBroadcast((long) s.batch() * s.cin(), s.rows(), s.cols(), p.row(), p.sRow(), p.col(), p.sCol(), p.all(), p.sAll(), g.dx());
    }

    @Override
    public synchronized void planeReduce(long planes, int rows, int cols, Ptr x, Ptr rowOut, Ptr colOut, Ptr allOut, boolean mean) {
        device.enter();
        OpArgs.planeReduce(planes, rows, cols, x, rowOut, colOut, allOut);
        device.run(KernelPlans.planeReduce(planes, rows, cols, device.dev(x), device.dev(rowOut), device.dev(colOut), device.dev(allOut), mean));
    }

    @Override
    public synchronized void planeBroadcast(long planes, int rows, int cols, Ptr row, float sRow, Ptr col, float sCol, Ptr all, float sAll, Ptr dx) {
        device.enter();
        OpArgs.planeBroadcast(planes, rows, cols, row, col, all, dx);
        device.run(KernelPlans.planeBroadcast(planes, rows, cols, device.dev(row), sRow, device.dev(col), sCol, device.dev(all), sAll, device.dev(dx)));
    }

    @Override
    public synchronized void copy4d(int[] dims, Ptr src, long[] ss, Ptr dst, long[] ds, boolean accumulate) {
        device.enter();
        OpArgs.copy4d(dims, src, ss, dst, ds);
        device.run(KernelPlans.copy4d(dims, device.dev(src), ss, device.dev(dst), ds, accumulate));
    }

    @Override
    public synchronized void planeScale(long planes, int n, Ptr x, Ptr scale, Ptr y) {
        device.enter();
        OpArgs.planeScale(planes, n, x, scale, y);
        device.run(KernelPlans.planeScale(planes, n, device.dev(x), device.dev(scale), device.dev(y)));
    }

    @Override
    public synchronized void activation(Act act, long n, Ptr x, Ptr y) {
        device.enter();
        OpArgs.activation(n, x, y);
        device.run(KernelPlans.activation(act, n, device.dev(x), device.dev(y)));
    }

    @Override
    public synchronized void activationBackward(Act act, long n, Ptr x, Ptr y, Ptr dy, Ptr dx) {
        device.enter();
        OpArgs.activationBackward(n, x, dy, dx);
        device.run(KernelPlans.activationBackward(act, n, device.dev(x), device.dev(dy), device.dev(dx)));
    }

    @Override
    public synchronized void planeStats(long planes, int n, Ptr x, Ptr out) {
        device.enter();
        OpArgs.planeStats(planes, n, x, out);
        device.run(KernelPlans.planeStats(planes, n, device.dev(x), device.dev(out)));
    }

    @Override
    public synchronized void planeStatsBackward(long planes, int n, Ptr x, Ptr dOut, Ptr dx) {
        device.enter();
        OpArgs.planeStatsBackward(planes, n, x, dOut, dx);
        device.run(KernelPlans.planeStatsBackward(planes, n, device.dev(x), device.dev(dOut), device.dev(dx)));
    }

    @Override
    public synchronized void layerNorm(NormShape s, Ptr x, Ptr gamma, Ptr beta, Ptr y) {
        device.enter();
        OpArgs.layerNorm(s, x, gamma, beta, y);
        device.run(KernelPlans.layerNorm(s, device.dev(x), device.dev(gamma), device.dev(beta), device.dev(y)));
    }

    @Override
    public synchronized void layerNormBackward(NormShape s, Ptr x, Ptr gamma, Ptr dy, Ptr dx, Ptr dgamma, Ptr dbeta) {
        device.enter();
        OpArgs.layerNormBackward(s, x, gamma, dy, dx, dgamma, dbeta);
        DevPtr stats = device.scratch(2 * KernelPlans.layerNormScratchDoubles(s));
        device.run(KernelPlans.layerNormBackward(s, device.dev(x), device.dev(gamma), device.dev(dy), dx == null ? null : device.dev(dx), dgamma == null ? null : device.dev(dgamma),
                dbeta == null ? null : device.dev(dbeta), stats));
    }

    @Override
    public synchronized void attention(long groups, int tokens, int dim, float scale, Ptr qkv, Ptr probs, Ptr out) {
        device.enter();
        OpArgs.attention(groups, tokens, dim, qkv, probs, out);
        device.run(KernelPlans.attention(groups, tokens, dim, scale, device.dev(qkv), device.dev(probs), device.dev(out)));
    }

    @Override
    public synchronized void attentionBackward(long groups, int tokens, int dim, float scale, Ptr qkv, Ptr probs, Ptr dOut, Ptr dqkv) {
        device.enter();
        OpArgs.attentionBackward(groups, tokens, dim, qkv, probs, dOut, dqkv);
        DevPtr dScores = device.scratch(2 * KernelPlans.attentionScratchDoubles(groups, tokens));
        device.run(KernelPlans.attentionBackward(groups, tokens, dim, scale, device.dev(qkv), device.dev(probs), device.dev(dOut), device.dev(dqkv), dScores));
    }

    @Override
    public synchronized void siren(SirenShape s, Ptr weights, Ptr coords, Ptr out) {
        device.enter();
        OpArgs.siren(s, weights, coords, out);
        device.run(KernelPlans.siren(s, device.dev(weights), device.dev(coords), device.dev(out)));
    }

    @Override
    public synchronized void sirenBackward(SirenShape s, Ptr weights, Ptr coords, Ptr dOut, Ptr target, Ptr dWeights, Ptr loss) {
        device.enter();
        OpArgs.sirenBackward(s, weights, coords, dOut, target, dWeights, loss);
        device.run(KernelPlans.sirenBackward(s, device.dev(weights), device.dev(coords), dOut == null ? null : device.dev(dOut), target == null ? null : device.dev(target),
                device.dev(dWeights), loss == null ? null : device.dev(loss)));
    }

    @Override
    public synchronized void adamStep(long n, Ptr param, Ptr grad, Ptr m, Ptr v, AdamConfig cfg, long step) {
        device.enter();
        OpArgs.adamStep(n, param, grad, m, v);
        device.run(KernelPlans.adamStep(n, device.dev(param), device.dev(grad), device.dev(m), device.dev(v), cfg, step, device.hyper()));
    }

    @Override
    public synchronized void adamStep(long n, Ptr param, Ptr grad, Ptr m, Ptr v, AdamConfig cfg, int warmupSteps, Ptr counter) {
        device.enter();
        OpArgs.adamStep(n, param, grad, m, v);
        need(counter, 1, "adam step counter");
        device.run(KernelPlans.adamStepCounter(n, device.dev(param), device.dev(grad), device.dev(m), device.dev(v), cfg, warmupSteps, device.dev(counter), device.hyper()));
    }

    @Override
    public synchronized void lossGradient(LossFn fn, int n, Ptr pred, Ptr target, Ptr grad) {
        device.enter();
        OpArgs.lossGradient(n, pred, target, grad);
        device.run(KernelPlans.lossGradient(fn, n, device.dev(pred), device.dev(target), device.dev(grad)));
    }
}
