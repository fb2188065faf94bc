package dev.nfn4j.train;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.nn.Linear;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Sequential;
import dev.nfn4j.nn.Tensor;
import dev.nfn4j.nn.Value;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.SpecJson;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Inference for services: loads a checkpoint written by {@link Trainer} once, then answers
 * {@link #predict} (the predicted metric) and {@link #embed} (the pooled invariant features the
 * head reads) for one network or a batch. Safe to call from many threads at once: each thread
 * gets its own copy of the model (layers keep per-call buffers), built on first use; after that
 * a call allocates only its result for batches of a size seen before.
 */
public final class Predictor {
    private final Ops ops;
    private final ModelConfig model;
    private final NetworkSpec spec;
    private final WeightNormalizer norm;
    private final SafetensorsFile checkpoint;
    private final ThreadLocal<Instance> instances;

    private Predictor(Ops ops, SafetensorsFile f) throws NfnFormatException {
        this.ops = ops;
        this.checkpoint = f;
        Map<String, String> md = f.metadata();
        for (String key : new String[]{"model", "network_spec"})
            if (!md.containsKey(key)) throw new NfnFormatException(f.path(), "not an nfn4j model checkpoint: metadata has no '" + key + "'");
        try {
            this.model = ModelConfig.fromJson(md.get("model"));
            this.spec = SpecJson.read(md.get("network_spec"));
            this.norm = md.containsKey("normalizer") ? WeightNormalizer.fromJson(md.get("normalizer")) : null;
        } catch (IllegalArgumentException e) {
            throw new NfnFormatException(f.path(), e.getMessage());
        }
        if (model.equivariant())
            throw new NfnFormatException(f.path(), "holds an equivariant NFN (" + model + "): its output is a weight space, and this "
                    + "predictor answers one value per network; run it with ModelConfig.build and its parameters");
        new Instance(); // fail now, not on first use, if the parameters do not fit the model
        this.instances = ThreadLocal.withInitial(Instance::new);
    }

    public static Predictor load(Path checkpoint, Ops ops) throws IOException {
        return new Predictor(ops, Safetensors.read(checkpoint));
    }

    /**
     * The metadata that makes a parameter file a model checkpoint this class loads: format,
     * version, the model and network spec to rebuild it, the predicted metric, and the input
     * normalizer (null: none). The tensors beside it are the parameters under nfn's names.
     */
    public static Map<String, String> checkpointMetadata(ModelConfig model, NetworkSpec spec, String target, WeightNormalizer norm) {
        Map<String, String> md = new LinkedHashMap<>();
        md.put("format", "nfn4j-checkpoint/1");
        md.put("nfn4j.version", String.valueOf(Predictor.class.getPackage().getImplementationVersion()));
        md.put("model", model.toJson());
        md.put("network_spec", SpecJson.write(spec));
        md.put("target", target);
        if (norm != null) md.put("normalizer", norm.toJson());
        return md;
    }

    public NetworkSpec spec() {
        return spec;
    }

    public ModelConfig model() {
        return model;
    }

    /** One thread's model, parameters and buffers. */
    private final class Instance {
        final Params params = new Params(ops);
        final Sequential net = model.build(params, spec, 1);
        final int headAt = net.indexOf(Linear.class); // the head's input: the pooled features (and any input statistics)
        HostWeights scratch; // the normalized copy of the last input layout
        Ptr input;

        Instance() {
            params.allocate(0);
            try {
                Checkpoints.loadParams(checkpoint, "", params, true);
            } catch (NfnFormatException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }

        WeightSpace upload(HostWeights x) {
            WsLayout lay = x.layout();
            if (!lay.spec().equals(spec))
                throw new IllegalArgumentException("the model takes networks shaped " + spec + ", got " + lay.spec());
            if (lay.channels() != 1) throw new IllegalArgumentException("the model takes one channel of weights, got " + lay.channels());
            float[] d = x.data();
            if (norm != null) { // normalize a copy: the caller's data stays as it was
                if (scratch == null || !scratch.layout().equals(lay)) scratch = new HostWeights(lay, new float[d.length]);
                System.arraycopy(d, 0, scratch.data(), 0, d.length);
                norm.apply(scratch);
                d = scratch.data();
            }
            if (input == null || input.buf().length() < d.length) input = ops.alloc(d.length).at(0);
            ops.upload(d, 0, input, d.length);
            return new WeightSpace(lay, input);
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

        final Map<Object, Value> outputs = new HashMap<>();
    }

    /** The predicted metric of each network of the batch. */
    public float[] predict(HostWeights batch) {
        Instance in = instances.get();
        Tensor y = (Tensor) in.forward(in.upload(batch), in.net.modules().size());
        float[] out = new float[batch.layout().batch()];
        ops.download(y.data(), out, 0, out.length);
        return out;
    }

    /** The pooled invariant features (the head's input) of each network, {@code [B][features]} row-major. */
    public float[][] embed(HostWeights batch) {
        Instance in = instances.get();
        Tensor f = (Tensor) in.forward(in.upload(batch), in.headAt);
        int B = batch.layout().batch(), k = (int) f.perSample();
        float[] flat = new float[B * k];
        ops.download(f.data(), flat, 0, flat.length);
        float[][] out = new float[B][];
        for (int b = 0; b < B; b++) out[b] = java.util.Arrays.copyOfRange(flat, b * k, (b + 1) * k);
        return out;
    }
}
