package dev.nfn4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.JsonFields;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.SpecJson;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What a model checkpoint's metadata says, read as a schema: the model and the networks it takes
 * (to rebuild it), the metric it predicts and its input normalizer. Every field is checked for
 * type and range, and against the others, before anything it describes is allocated; a bad one
 * is an {@link NfnFormatException} naming the file and the field ({@code model.hidden[1]}) or
 * tensor, in one line.
 *
 * @param normalizer null when inputs are read as given
 */
public record CheckpointMetadata(ModelConfig model, NetworkSpec spec, String target, InputNormalizer normalizer) {
    public static final String FORMAT = "nfn4j-checkpoint/1";
    /** At most this many floats of Fourier-feature tables (they are built, not read from the file). */
    static final long MAX_FOURIER_FLOATS = 1L << 26;

    /** The metadata that makes a parameter file a model checkpoint {@link #read} accepts. */
    public Map<String, String> toMap() {
        Map<String, String> md = new LinkedHashMap<>();
        md.put("format", FORMAT);
        md.put("nfn4j.version", String.valueOf(Predictor.class.getPackage().getImplementationVersion()));
        md.put("model", model.toJson());
        md.put("network_spec", SpecJson.write(spec));
        md.put("target", target);
        if (normalizer != null) md.put("normalizer", normalizer.toJson());
        return md;
    }

    /** The tensors that go beside the parameters (the normalizer's, if it keeps any). */
    public Map<String, HostTensor> tensors() {
        return normalizer == null ? Map.of() : normalizer.tensors();
    }

    /** Names of {@link #tensors} a reader must expect beside the parameters. */
    public Set<String> tensorNames() {
        return normalizer != null && normalizer.kind() == Normalization.PER_ENTRY ? Set.copyOf(EntryNormalizer.tensorNames(spec)) : Set.of();
    }

    /** Reads and checks the metadata (and the normalizer's tensors) of {@code f}. */
    public static CheckpointMetadata read(SafetensorsFile f) throws NfnFormatException {
        Map<String, String> md = f.metadata();
        if (ClassifyTrainer.TASK.equals(md.get("task")))
            throw new NfnFormatException(f.path(), "a classifier (metadata task classify): it predicts classes, not this task's values; use it with eval or predict");
        for (String key : new String[]{"model", "network_spec"})
            if (!md.containsKey(key)) throw new NfnFormatException(f.path(), "not an nfn4j model checkpoint: metadata has no '" + key + "'");
        try {
            ModelConfig model = ModelConfig.fromJson("model", md.get("model"));
            NetworkSpec spec = SpecJson.read(md.get("network_spec"));
            checkFits(model, spec);
            String target = md.getOrDefault("target", "");
            InputNormalizer norm = md.containsKey("normalizer") ? normalizer(f, md.get("normalizer"), spec) : null;
            return new CheckpointMetadata(model, spec, target, norm);
        } catch (JsonFields.BadField e) {
            throw NfnFormatException.field(f.path(), e.field(), e.detail());
        }
    }

    /** Builds the model only when what it makes from its settings alone fits (its parameters are checked against the file later). */
    private static void checkFits(ModelConfig model, NetworkSpec spec) {
        if (model.fourier() == 0) return;
        long floats = 0;
        for (int i = 0; i < spec.numLayers(); i++) {
            long f = spec.filterSize(i), rows = 2L * model.fourier() * f;
            floats += rows * f + rows + 2L * model.fourier() * 2;
        }
        if (floats > MAX_FOURIER_FLOATS)
            throw new JsonFields.BadField("model.fourier", model.fourier() + " frequencies on filters of these networks need " + floats
                    + " floats of tables; at most " + MAX_FOURIER_FLOATS + " are supported");
    }

    private static InputNormalizer normalizer(SafetensorsFile f, String json, NetworkSpec spec) throws NfnFormatException {
        JsonNode o = JsonFields.parseObject("normalizer", json);
        String kind = o.has("kind") ? JsonFields.text("normalizer.kind", o.get("kind")) : Normalization.PER_TENSOR.cliName();
        Normalization n;
        try {
            n = Normalization.parse(kind);
        } catch (IllegalArgumentException e) {
            throw new JsonFields.BadField("normalizer.kind", e.getMessage());
        }
        return switch (n) {
            case NONE -> null;
            case PER_TENSOR -> {
                WeightNormalizer w = WeightNormalizer.fromJson("normalizer", o);
                if (w.tensorCount() != 2 * spec.numLayers())
                    throw new JsonFields.BadField("normalizer.mean", "statistics for " + w.tensorCount() + " tensors, but networks of "
                            + spec.numLayers() + " layers have " + 2 * spec.numLayers());
                yield w;
            }
            case PER_ENTRY -> {
                JsonFields.onlyKeys("normalizer", o, Set.of("kind"));
                yield EntryNormalizer.read(f, "", spec);
            }
        };
    }
}
