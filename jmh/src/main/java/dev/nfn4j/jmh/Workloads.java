package dev.nfn4j.jmh;

import dev.nfn4j.nn.GraphLayers;
import dev.nfn4j.nn.Init;
import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.Layer;
import dev.nfn4j.nn.Param;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Sequential;
import dev.nfn4j.nn.Tensor;
import dev.nfn4j.space.Value;
import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.LossFn;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.train.Adam;
import dev.nfn4j.train.Loss;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The benchmark workloads, built once here for every harness: {@link LayerBench} and
 * {@link ModelBench} (JMH, any shape) and {@link GpuBench} (the named workloads of DESIGN.md
 * section 6 and issues 3 and 4, timed with the backend's own clock). Each case also counts its
 * floors: the bytes that must move and the flops of its channel mixes.
 */
public final class Workloads {
    private Workloads() {}

    /** What a named workload runs. */
    public enum Kind { FORWARD, FORWARD_BACKWARD, TRAIN_STEP }

    /**
     * A named workload: a layer case (mode, sizes, filters, channels, batch) or a training step of
     * the paper's invariant model (mode, sizes, filters, NF-Layer widths, head width, batch).
     * The PyTorch baseline ({@code native/torch_baseline.py}) defines the same names; the GPU
     * summary checks that both sides ran the same shapes.
     */
    public record Named(String name, Kind kind, String mode, String sizes, String filters, int cin, int cout,
                        int batch, String hidden, int head) {
        static Named layer(String name, Kind kind, String mode, String sizes, int c, int batch) {
            return new Named(name, kind, mode, sizes, "", c, c, batch, "", 0);
        }

        static Named train(String name, String mode, int batch) {
            return new Named(name, Kind.TRAIN_STEP, mode, ZOO_SIZES, ZOO_FILTERS, 1, 1, batch, "16,16,5", 1000);
        }

        public NetworkSpec spec() {
            return parseSpec(sizes, filters);
        }
    }

    /** Small-CNN-Zoo-shaped weights: three 3x3 conv layers of 16 channels on 1-channel input, dense 16 -> 10. */
    public static final String ZOO_SIZES = "1,16,16,16,10", ZOO_FILTERS = "3x3,3x3,3x3,-";

    /** Five CPU-sized workloads, then three GPU-sized ones. */
    public static final List<Named> NAMED = List.of(
            Named.train("zoo_hnp_train_step", "HNP", 8),
            Named.train("zoo_np_train_step", "NP_IO", 8),
            Named.layer("np_mlp256_c32_fwd", Kind.FORWARD, "NP", "256,256,256,10", 32, 8),
            Named.layer("np_mlp256_c32_fwd_bwd", Kind.FORWARD_BACKWARD, "NP", "256,256,256,10", 32, 8),
            Named.layer("hnp_siren_c128_fwd_bwd", Kind.FORWARD_BACKWARD, "HNP", "2,32,32,1", 128, 32),
            Named.train("zoo_hnp_train_step_b256", "HNP", 256),
            Named.layer("np_mlp1024_c32_fwd", Kind.FORWARD, "NP", "1024,1024,1024,10", 32, 16),
            Named.layer("np_mlp1024_c32_fwd_bwd", Kind.FORWARD_BACKWARD, "NP", "1024,1024,1024,10", 32, 16));

    public static Named named(String name) {
        return NAMED.stream().filter(n -> n.name.equals(name)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "unknown workload '" + name + "' (expected one of " + NAMED.stream().map(Named::name).toList() + ")"));
    }

    /**
     * "n_in,...,n_out" and per-layer "HxW" or "-" (empty: all dense). On the JMH command line use
     * '_' instead of ',' ({@code -p sizes=2_32_32_1}): JMH splits -p values at commas.
     */
    public static NetworkSpec parseSpec(String sizes, String filters) {
        int[] n = ints(sizes);
        int[][] f = new int[n.length - 1][];
        if (!filters.isBlank()) {
            String[] parts = filters.split("[,_]");
            for (int i = 0; i < parts.length; i++)
                if (!parts[i].trim().equals("-"))
                    f[i] = Arrays.stream(parts[i].trim().split("x")).mapToInt(Integer::parseInt).toArray();
        }
        return new NetworkSpec(n, f);
    }

    /** "16,16,5" or "16_16_5" as ints. */
    public static int[] ints(String list) {
        return Arrays.stream(list.split("[,_]")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    }

    /**
     * A device buffer of n floats drawn uniformly from [lo, hi) (never zeros: they hide unwritten
     * outputs and can run faster than real data). Uploaded in chunks of at most 16 Mi floats so a
     * multi-GB batch needs no multi-GB host array; past 64 Mi floats four random chunks repeat,
     * a period of 256 MB, far beyond any cache.
     */
    public static Ptr uploadUniform(Ops ops, long n, long seed, double lo, double hi) {
        final int chunk = 1 << 24, distinct = 4;
        SplittableRandom rnd = new SplittableRandom(seed);
        Ptr p = ops.alloc(n).at(0);
        float[][] pool = new float[distinct][];
        for (long off = 0, k = 0; off < n; off += chunk, k++) {
            int len = (int) Math.min(chunk, n - off);
            float[] a = n > (long) chunk * distinct ? pool[(int) (k % distinct)] : null;
            if (a == null) {
                a = new float[n > (long) chunk * distinct ? chunk : len];
                for (int i = 0; i < a.length; i++) a[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
                if (n > (long) chunk * distinct) pool[(int) (k % distinct)] = a;
            }
            ops.upload(a, 0, p.plus(off), len);
        }
        return p;
    }

    /**
     * Flops of the stage-3 channel mixes of one NF-Layer over a batch, forward: per layer i, 2 x
     * (mix inputs) x (mix outputs) x (positions). NP, and HNP's middle layers, mix C f_i -> C' f_i
     * at every (j, k); HNP's first layer mixes each hidden neuron's row (w0_rpt: rpt_in C -> n_in
     * f_0 C' at n_0 positions) and its last each column (wfin_cpt). The pools and the small row,
     * column and global mixes are left out: they are a few percent on these shapes.
     */
    public static double mixFlops(String mode, NetworkSpec s, int cin, int cout, int batch) {
        int L = s.numLayers();
        boolean hnp = mode.trim().toUpperCase().equals("HNP");
        double sum = 0;
        for (int i = 0; i < L; i++) {
            int f = s.filterSize(i);
            if (hnp && i == 0 && L > 1) {
                double rptIn = (double) f * s.nIn() + s.filterSize(1) + 1 + (L == 2 ? (double) s.nOut() * s.filterSize(1) : 0);
                sum += rptIn * cin * ((double) s.nIn() * f * cout) * s.rows(0);
            } else if (hnp && i == L - 1 && L > 1) {
                double cptIn = (double) f * s.nOut() + s.filterSize(L - 2) + (L == 2 ? (double) s.nIn() * s.filterSize(L - 2) : 0);
                sum += cptIn * cin * ((double) s.nOut() * f * cout) * s.cols(L - 1);
            } else {
                sum += (double) cin * f * cout * f * s.rows(i) * s.cols(i);
            }
        }
        return 2 * sum * batch;
    }

    /** One NF-Layer on a random weight-space batch: forward, or forward and backward of sum(out^2). */
    public static final class LayerCase {
        public final Ops ops;
        public final Layer layer;
        public final WeightSpace x;
        public final String mode;
        public final int cin, cout;
        private Ptr grad;

        public LayerCase(Ops ops, String mode, NetworkSpec spec, int cin, int cout, int batch) {
            this.ops = ops;
            this.mode = mode;
            this.cin = cin;
            this.cout = cout;
            Params params = new Params(ops);
            layer = GraphLayers.create(mode, params, spec, cin, cout, Init.Type.PYTORCH_DEFAULT);
            params.allocate(1);
            WsLayout lay = new WsLayout(spec, batch, cin);
            x = new WeightSpace(lay, uploadUniform(ops, lay.size(), 2, -1, 1));
        }

        public Value forward() {
            return layer.forward(x);
        }

        /** Forward, then backward of sum(out^2) (whose gradient is 2 out). */
        public Value forwardBackward() {
            Value y = layer.forward(x);
            if (grad == null) grad = ops.alloc(y.size()).at(0);
            // d sum(out^2) / d out = 2 out; the factor 2 does not change the work, so out itself is the cotangent.
            ops.copy4d(new int[]{1, 1, 1, Math.toIntExact(y.size())}, y.data(), new long[]{0, 0, 0, 1}, grad, new long[]{0, 0, 0, 1}, false);
            return layer.backward(new WeightSpace(((WeightSpace) y).layout(), grad));
        }

        /** Input and output floats. */
        public long inFloats() {
            return x.layout().size();
        }

        public long outFloats() {
            return x.layout().withChannels(cout).size();
        }

        /** Floor bytes: forward reads x and writes y; backward also reads dy and x and writes dx (the cotangent copy excluded). */
        public double bytes(boolean backward) {
            return 4.0 * (inFloats() + outFloats() + (backward ? outFloats() + 2 * inFloats() : 0));
        }

        /** Floor flops: the forward's channel mixes, and for backward the two more GEMM-shaped passes (dx and the weight gradient). */
        public double flops(boolean backward) {
            return mixFlops(mode, x.layout().spec(), cin, cout, x.layout().batch()) * (backward ? 3 : 1);
        }
    }

    /**
     * One training step of the paper's invariant model (NF-Layers each with ReLU, HNPPool,
     * flatten, MLP head, sigmoid; binary cross-entropy; Adam) on a random batch.
     */
    public static final class TrainCase {
        public final Ops ops;
        public final Sequential model;
        public final Params params;
        public final Adam adam;
        public final WeightSpace x;
        private final String mode;
        private final int[] hidden;
        private final int batch;
        private final float[] target, pred, grad;
        private final Ptr gradPtr, targetPtr;

        /** mode HNP, NP, NP_IO (NPLinear with io_embed) or POINTWISE; {@code head}: the MLP head's two hidden widths. */
        public TrainCase(Ops ops, String mode, NetworkSpec spec, int[] hidden, int head, int batch) {
            this.ops = ops;
            this.mode = mode.trim().toUpperCase();
            this.hidden = hidden;
            this.batch = batch;
            params = new Params(ops);
            InvariantNfn.Mode nm = this.mode.startsWith("NP") ? InvariantNfn.Mode.NP : InvariantNfn.Mode.valueOf(this.mode);
            model = InvariantNfn.build(params, spec, nm, this.mode.equals("NP_IO"), 1, hidden, Act.RELU, true, head,
                    Init.Type.PYTORCH_DEFAULT);
            params.allocate(1);
            adam = new Adam(params, AdamConfig.adam(1e-3));
            WsLayout lay = new WsLayout(spec, batch, 1);
            x = new WeightSpace(lay, uploadUniform(ops, lay.size(), 3, -0.5, 0.5));
            SplittableRandom rnd = new SplittableRandom(5);
            target = new float[batch];
            for (int i = 0; i < batch; i++) target[i] = (float) rnd.nextDouble();
            pred = new float[batch];
            grad = new float[batch];
            gradPtr = ops.alloc(batch).at(0);
            targetPtr = ops.alloc(batch).at(0);
            ops.upload(target, 0, targetPtr, batch);
        }

        /** The trainer's step: forward, predictions to the host for the loss, its gradient back, backward, Adam. */
        public double hostLossStep() {
            params.zeroGrad();
            Tensor out = (Tensor) model.forward(x);
            ops.download(out.data(), pred, 0, batch);
            double loss = Loss.BINARY_CROSS_ENTROPY.compute(pred, target, grad);
            ops.upload(grad, 0, gradPtr, batch);
            model.backward(new Tensor(out.shape(), gradPtr));
            adam.step();
            return loss;
        }

        /**
         * The same step with no host round trip, as {@code Trainer} runs it: the loss gradient
         * ({@link Ops#lossGradient}) and Adam's step count ({@link Adam#stepOnDevice}) stay on the
         * backend, so a GPU captures the whole step into one graph ({@link Ops#runGraph}). Call
         * {@code adam.countStep()} after each run, outside the graph.
         */
        public void deviceStep() {
            params.zeroGrad();
            Tensor out = (Tensor) model.forward(x);
            ops.lossGradient(LossFn.BINARY_CROSS_ENTROPY, batch, out.data(), targetPtr, gradPtr);
            model.backward(new Tensor(out.shape(), gradPtr));
            adam.stepOnDevice(0);
        }

        /** Floor bytes: parameters read by the forward, gradients written by the backward, Adam's 4 reads and 3 writes, the input read once. */
        public double bytes() {
            return 4.0 * (9 * params.count() + x.layout().size());
        }

        /** Floor flops: three GEMM-shaped passes (forward, input gradient, weight gradient) of the NF-Layer mixes and the head. */
        public double flops() {
            NetworkSpec s = x.layout().spec();
            double fwd = 0;
            int c = 1;
            for (int h : hidden) {
                fwd += mixFlops(mode.equals("HNP") ? "HNP" : "NP", s, c, h, batch);
                c = h;
            }
            for (Param p : params.all())
                if (p.name().matches("\\d+\\.weight")) fwd += 2.0 * batch * p.numel(); // the head's Linears
            return 3 * fwd;
        }
    }
}
