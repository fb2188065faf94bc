package dev.nfn4j.train;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.nn.Linear;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.nn.Param;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Sequential;
import dev.nfn4j.nn.Tensor;
import dev.nfn4j.space.Value;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Inference for services: loads a checkpoint written by {@link Trainer} once, then answers
 * {@link #predict} (the predicted metric) and {@link #embed} (the pooled invariant features the
 * head reads) for one network or a batch. Safe to call from many threads at once: each thread
 * gets its own copy of the model (layers keep per-call buffers), built on first use; after that
 * a call allocates only its result for batches of a size seen before.
 *
 * <p>Inputs are checked: every value must be finite, and after the checkpoint's normalization no
 * larger in magnitude than {@link #MAX_INPUT}; an output that is not finite is an error, never a
 * result. {@link #close} lets the per-thread copies (and a device's captured graphs) go at once;
 * a predictor that is merely dropped lets them go too, when it is collected.
 */
public final class Predictor implements AutoCloseable {
    /**
     * The largest input magnitude accepted, after normalization. Trained networks' weights (and
     * normalized ones) are many orders smaller; beyond it the float features of the NF-Layers and
     * the head saturate or overflow, so whatever came out would not be a prediction.
     */
    public static final float MAX_INPUT = 1e6f;

    private static final Cleaner CLEANER = Cleaner.create();

    private final Ops ops;
    private final Path file;
    private final CheckpointMetadata meta;
    private final float[] values; // the parameters in Params order, checked once; each thread's copy uploads them
    /** Each thread's copy, by thread id: a map that held threads would hold their tasks, and a task may hold this predictor. */
    private final Map<Long, Instance> instances = new ConcurrentHashMap<>();
    private final Cleaner.Cleanable release;
    private volatile boolean closed;

    private Predictor(Ops ops, SafetensorsFile f) throws NfnFormatException {
        this.ops = ops;
        this.file = f.path();
        this.meta = CheckpointMetadata.read(f);
        ModelConfig model = meta.model();
        if (model.equivariant())
            throw new NfnFormatException(f.path(), "holds an equivariant NFN (" + model + "): its output is a weight space, and this "
                    + "predictor answers one value per network; run it with ModelConfig.build and its parameters");
        Params declared = new Params(ops);
        try {
            model.build(declared, meta.spec(), 1);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw NfnFormatException.field(f.path(), "model", "cannot build " + model + " for networks " + meta.spec() + ": " + e.getMessage());
        }
        Checkpoints.requireParams(f, "", declared, true, meta.tensorNames()); // every shape checked before anything is allocated
        this.values = new float[Math.toIntExact(declared.count())];
        for (Param p : declared.all()) {
            float[] v = f.get(p.name(), p.shape()).toFloats();
            Checkpoints.requireFinite(f.path(), p.name(), v);
            System.arraycopy(v, 0, values, Math.toIntExact(p.offset()), v.length);
        }
        this.release = CLEANER.register(this, new Release(ops, instances));
        instance(); // build the first copy now, so a model that cannot run fails at load
    }

    /** Loads a checkpoint; any problem with it is an {@link IOException} naming the file (and the tensor or field). */
    public static Predictor load(Path checkpoint, Ops ops) throws IOException {
        if (Files.isDirectory(checkpoint)) throw new NfnFormatException(checkpoint, "is a folder, not a checkpoint file");
        return new Predictor(ops, Safetensors.read(checkpoint));
    }

    /**
     * The metadata that makes a parameter file a model checkpoint this class loads: format,
     * version, the model and network spec to rebuild it, the predicted metric, and the input
     * normalizer (null: none; a per-entry one also needs its {@link InputNormalizer#tensors} in
     * the file). The tensors beside it are the parameters under nfn's names.
     */
    public static Map<String, String> checkpointMetadata(ModelConfig model, NetworkSpec spec, String target, InputNormalizer norm) {
        return new CheckpointMetadata(model, spec, target, norm).toMap();
    }

    /** The network spec the model was trained on. */
    public NetworkSpec spec() {
        return meta.spec();
    }

    /** The model's architecture. */
    public ModelConfig model() {
        return meta.model();
    }

    /** How this checkpoint normalizes its inputs. */
    public Normalization normalization() {
        return meta.normalizer() == null ? Normalization.NONE : meta.normalizer().kind();
    }

    /** The predicted metric of each network of the batch. */
    public float[] predict(HostWeights batch) {
        Instance in = instance();
        Tensor y = (Tensor) in.forward(in.upload(batch), in.net.modules().size());
        float[] out = new float[batch.layout().batch()];
        ops.download(y.data(), out, 0, out.length);
        requireFinite(out, 1, "prediction");
        return out;
    }

    /** The pooled invariant features (the head's input) of each network, {@code [B][features]} row-major. */
    public float[][] embed(HostWeights batch) {
        Instance in = instance();
        Tensor f = (Tensor) in.forward(in.upload(batch), in.headAt);
        int B = batch.layout().batch(), k = (int) f.perSample();
        float[] flat = new float[B * k];
        ops.download(f.data(), flat, 0, flat.length);
        requireFinite(flat, k, "embedding");
        float[][] out = new float[B][];
        for (int b = 0; b < B; b++) out[b] = java.util.Arrays.copyOfRange(flat, b * k, (b + 1) * k);
        return out;
    }

    /** Lets every thread's copy of the model go (and a device's captured graphs); later calls are errors. */
    @Override
    public void close() {
        closed = true;
        release.clean();
    }

    /** This thread's copy, built on first use; copies of threads that have ended are dropped then. */
    private Instance instance() {
        if (closed) throw new IllegalStateException("predictor for " + file + " is closed");
        Thread t = Thread.currentThread();
        Instance in = instances.get(t.threadId());
        if (in != null) return in;
        in = new Instance(ops, meta, values, t);
        instances.put(t.threadId(), in);
        instances.values().removeIf(other -> {
            if (other.ownerAlive()) return false;
            other.release(ops);
            return true;
        });
        return in;
    }

    private void requireFinite(float[] v, int perNetwork, String what) {
        for (int i = 0; i < v.length; i++)
            if (!Float.isFinite(v[i]))
                throw new IllegalArgumentException("the " + what + " for network " + i / perNetwork + " is " + v[i] + ", not a number: its weights "
                        + "overflow the model's float arithmetic (" + file + ")");
    }

    /** What the cleaner runs: holds the copies, never the predictor. */
    private record Release(Ops ops, Map<Long, Instance> instances) implements Runnable {
        @Override
        public void run() {
            for (Instance in : instances.values()) in.release(ops);
            instances.clear();
        }
    }

    /** One thread's model, parameters and buffers; it holds nothing of the {@link Predictor}. */
    private static final class Instance {
        final Ops ops;
        final CheckpointMetadata meta;
        final Params params;
        final Sequential net;
        final int headAt; // the head's input: the pooled features (and any input statistics)
        final Map<Object, Value> outputs = new HashMap<>();
        final java.lang.ref.WeakReference<Thread> owner;
        HostWeights scratch; // the normalized copy of the last input layout
        Ptr input;

        Instance(Ops ops, CheckpointMetadata meta, float[] values, Thread owner) {
            this.ops = ops;
            this.owner = new java.lang.ref.WeakReference<>(owner);
            this.meta = meta;
            this.params = new Params(ops);
            this.net = meta.model().build(params, meta.spec(), 1);
            this.headAt = net.indexOf(Linear.class);
            params.allocate(0);
            ops.upload(values, 0, params.valueBuffer().at(0), values.length);
        }

        WeightSpace upload(HostWeights x) {
            WsLayout lay = x.layout();
            if (!lay.spec().equals(meta.spec()))
                throw new IllegalArgumentException("the model takes networks shaped " + meta.spec() + ", got " + lay.spec());
            if (lay.channels() != 1) throw new IllegalArgumentException("the model takes one channel of weights, got " + lay.channels());
            float[] d = x.data();
            requireInRange(lay, d, "");
            InputNormalizer norm = meta.normalizer();
            if (norm != null) { // normalize a copy: the caller's data stays as it was
                if (scratch == null || !scratch.layout().equals(lay)) scratch = new HostWeights(lay, new float[d.length]);
                System.arraycopy(d, 0, scratch.data(), 0, d.length);
                norm.apply(scratch);
                d = scratch.data();
                requireInRange(lay, d, " after the checkpoint's " + norm.kind() + " normalization");
            }
            if (input == null || input.buf().length() < d.length) input = ops.alloc(d.length).at(0);
            ops.upload(d, 0, input, d.length);
            return new WeightSpace(lay, input);
        }

        /** Every value finite and at most {@link #MAX_INPUT} in magnitude; an error names the network, the tensor and the value. */
        private static void requireInRange(WsLayout lay, float[] d, String stage) {
            for (int i = 0; i < lay.numLayers(); i++)
                for (int t = 0; t < 2; t++) {
                    long off = t == 0 ? lay.wOffset(i) : lay.bOffset(i), per = t == 0 ? lay.wPerSample(i) : lay.bPerSample(i);
                    for (long k = off; k < off + per * lay.batch(); k++) {
                        float v = d[(int) k];
                        if (!(Math.abs(v) <= MAX_INPUT))
                            throw new IllegalArgumentException("network " + (k - off) / per + ": " + (t == 0 ? "weight." : "bias.") + i + " holds "
                                    + v + stage + (Float.isFinite(v) ? "; inputs beyond " + MAX_INPUT + " in magnitude are refused: "
                                    + "they saturate or overflow the model's float features" : ", which is not a number a model can read"));
                    }
                }
        }

        /**
         * The model's layers before {@code until} on an uploaded batch, as one {@link Ops#runGraph}
         * body per layout and input buffer (a GPU captures it on the second call and replays it):
         * the result is the Value the body produced, whose buffer every replay rewrites.
         */
        Value forward(WeightSpace x, int until) {
            Object key = List.of(this, x.layout(), input.buf(), until);
            ops.runGraph(key, () -> outputs.put(key, net.forward(x, until)));
            return outputs.get(key);
        }

        boolean ownerAlive() {
            Thread t = owner.get();
            return t != null && t.isAlive();
        }

        void release(Ops ops) {
            for (Object key : outputs.keySet()) ops.releaseGraph(key);
            outputs.clear();
        }
    }
}
