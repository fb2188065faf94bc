package dev.nfn4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.JsonFields;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.nn.ClassifierConfig;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.SpecJson;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A trained classifier ({@code best.safetensors} of {@code train --task classify}): the model,
 * the network spec it reads and its class names. {@link #probabilities} gives each network's
 * softmax over the classes.
 */
public final class Classifier {
    private final ClassifierNet net;
    private final String[] names;

    private Classifier(ClassifierNet net, String[] names) {
        this.net = net;
        this.names = names;
    }

    /**
     * True when a checkpoint's metadata says it is a classifier (what {@link #load} reads); false
     * for anything else, a file that cannot be read included (its reader names the problem).
     */
    public static boolean isClassifier(Path checkpoint) {
        if (!java.nio.file.Files.isRegularFile(checkpoint)) return false;
        try {
            return ClassifyTrainer.TASK.equals(Safetensors.read(checkpoint).metadata().get("task"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Loads a checkpoint; a file that is not a classifier, or whose metadata or tensors are bad, is refused naming what is wrong. */
    public static Classifier load(Path checkpoint, Ops ops) throws IOException {
        SafetensorsFile f = Safetensors.read(checkpoint);
        Map<String, String> md = f.metadata();
        if (!ClassifyTrainer.TASK.equals(md.get("task")))
            throw new NfnFormatException(checkpoint, "not a classifier (metadata task is " + md.get("task") + "; train one with: nfn4j train --task classify)");
        ClassifierConfig config;
        NetworkSpec spec;
        String[] names = null;
        WeightNormalizer normalizer = null;
        try {
            if (!md.containsKey("classifier")) throw new JsonFields.BadField("classifier", "missing");
            config = ClassifierConfig.fromJson("classifier", md.get("classifier"));
            if (!md.containsKey("network_spec")) throw new JsonFields.BadField("network_spec", "missing");
            spec = SpecJson.read(md.get("network_spec"));
            if (md.containsKey("class_names")) names = classNames(md.get("class_names"), config.classes());
            if (md.containsKey("normalizer")) {
                normalizer = WeightNormalizer.fromJson(md.get("normalizer"));
                if (normalizer.tensorCount() != 2 * spec.numLayers())
                    throw new JsonFields.BadField("normalizer", "statistics for " + normalizer.tensorCount() + " tensors, networks of "
                            + spec.numLayers() + " layers have " + 2 * spec.numLayers());
            }
        } catch (JsonFields.BadField e) {
            throw NfnFormatException.field(checkpoint, e.field(), e.detail());
        } catch (IllegalArgumentException e) {
            throw NfnFormatException.field(checkpoint, "network_spec", e.getMessage());
        }
        ClassifierNet net = new ClassifierNet(ops, config, spec);
        net.params().allocate(0);
        net.setNormalizer(normalizer);
        Checkpoints.loadParams(f, "", net.params(), true);
        return new Classifier(net, names);
    }

    private static String[] classNames(String json, int classes) {
        String[] names;
        try {
            names = new ObjectMapper().readValue(json, String[].class);
        } catch (IOException e) {
            throw new JsonFields.BadField("class_names", "not a JSON list of strings");
        }
        if (names == null || names.length != classes) throw new JsonFields.BadField("class_names", "expected " + classes + " names");
        return names;
    }

    /** The network spec of the weights it classifies. */
    public NetworkSpec spec() {
        return net.spec();
    }

    /** The model configuration. */
    public ClassifierConfig config() {
        return net.config();
    }

    /** Name of class c (its number when the checkpoint names none). */
    public String name(int c) {
        return names == null ? String.valueOf(c) : names[c];
    }

    /** Logits {@code [idx.length][classes]} of networks {@code idx} of rows (one-sample canonical layout each). */
    public float[] logits(float[] rows, int[] idx) {
        return net.forward(rows, idx, false, 0);
    }

    /** Softmax probabilities {@code [idx.length][classes]}. */
    public float[] probabilities(float[] rows, int[] idx) {
        return SoftmaxCrossEntropy.softmax(logits(rows, idx), config().classes(), idx.length);
    }
}
