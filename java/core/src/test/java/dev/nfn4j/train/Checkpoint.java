package dev.nfn4j.train;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.nn.Params;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/** Test checkpoints: a small model with seeded random parameters, and copies of a checkpoint with its metadata or tensors changed. */
final class Checkpoint {
    static final NetworkSpec SPEC = NetworkSpec.mlp(4, 5, 3);

    private Checkpoint() {}

    /** An HNP model (NF-Layers 3, head {@code head}) for {@link #SPEC}, parameters drawn from {@code seed}. */
    static Path write(Path file, Ops ops, int[] head, InputNormalizer norm, long seed) throws Exception {
        ModelConfig model = new ModelConfig("hnp", new int[]{3}, "relu", InvariantNfn.Pool.HNP, head);
        Params params = new Params(ops);
        model.build(params, SPEC, 1);
        params.allocate(seed);
        CheckpointMetadata md = new CheckpointMetadata(model, SPEC, "test_accuracy", norm);
        Checkpoints.saveParams(file, "", params, md.tensors(), md.toMap());
        return file;
    }

    /** A batch of n networks of {@link #SPEC}, every weight and bias drawn from a standard normal with {@code seed}. */
    static HostWeights networks(int n, long seed) {
        WsLayout lay = new WsLayout(SPEC, n, 1);
        float[] d = new float[Math.toIntExact(lay.size())];
        Random r = new Random(seed);
        for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
        return new HostWeights(lay, d);
    }

    /** A copy of {@code from} with its metadata changed by {@code edit} (a value of null removes the key). */
    static Path withMetadata(Path from, Path to, Consumer<Map<String, String>> edit) throws Exception {
        return rewrite(from, to, edit, t -> { });
    }

    /** A copy of {@code from} with metadata and tensors changed. */
    static Path rewrite(Path from, Path to, Consumer<Map<String, String>> editMetadata, Consumer<Map<String, HostTensor>> editTensors)
            throws Exception {
        SafetensorsFile f = Safetensors.read(from);
        Map<String, String> md = new LinkedHashMap<>(f.metadata());
        editMetadata.accept(md);
        md.values().removeIf(v -> v == null);
        Map<String, HostTensor> t = new LinkedHashMap<>();
        for (String n : f.names()) t.put(n, f.get(n));
        editTensors.accept(t);
        Safetensors.write(to, t, md);
        return to;
    }
}
