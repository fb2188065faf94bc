package dev.nfn4j.train;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.JsonFields;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Sequential;
import dev.nfn4j.space.Value;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.SpecJson;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.zoo.EditTargets;
import dev.nfn4j.zoo.ImageStyle;
import dev.nfn4j.zoo.SirenZoo;
import dev.nfn4j.zoo.Sirens;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An INR-editing model on the backend: an {@link EditNet} that maps a batch of SIRENs to deltas,
 * and the {@link EditLoss} that renders {@code W + delta}. It runs one training step's forward
 * and backward, the MSEs of a list of SIRENs (with or without the edit), their renderings, and
 * saves and loads checkpoints (metadata {@code task=edit}, the net, the style and the SIREN spec;
 * parameters under their names).
 */
public final class EditModel {
    /** The task name checkpoints of this model carry. */
    public static final String TASK = "edit";
    /** SIRENs per batch when evaluating or rendering. */
    static final int EVAL_BATCH = 64;

    private final Ops ops;
    private final EditNet net;
    private final ImageStyle style;
    private final Params params;
    private final Sequential model;
    private final EditLoss loss;
    private Ptr weights, targets, dDelta;
    private int batch;

    /** A model of {@code net} for {@code style} on {@code rows x cols} images, its parameters seeded. */
    public EditModel(Ops ops, EditNet net, ImageStyle style, int rows, int cols, long seed) {
        this.ops = ops;
        this.net = net;
        this.style = style;
        this.params = new Params(ops);
        this.model = net.build(params, Sirens.SPEC);
        params.allocate(seed);
        this.loss = new EditLoss(ops, rows, cols);
    }

    /** The transfer net's architecture. */
    public EditNet net() {
        return net;
    }

    /** The style the model edits towards. */
    public ImageStyle style() {
        return style;
    }

    /** The model's parameters. */
    public Params params() {
        return params;
    }

    /** The transfer net. */
    public Sequential model() {
        return model;
    }

    /**
     * One forward and backward on the SIRENs {@code ids}: parameter gradients accumulate (zero
     * them first); returns the batch's mean loss.
     */
    public double forwardBackward(SirenZoo zoo, EditTargets t, int[] ids) {
        upload(zoo, t, ids);
        model.setTraining(true, 0);
        Value delta = model.forward(space(ids.length));
        double[] l = loss.compute(ids.length, weights, delta.data(), targets, dDelta);
        model.backward(delta.withData(dDelta));
        model.setTraining(false, 0);
        return Arrays.stream(l).sum() / ids.length;
    }

    /** The mean MSE over the SIRENs {@code ids} of the edited SIRENs (or, without {@code edit}, of the SIRENs as they are). */
    public double meanMse(SirenZoo zoo, EditTargets t, int[] ids, boolean edit) {
        double sum = 0;
        for (int from = 0; from < ids.length; from += EVAL_BATCH) {
            int[] chunk = Arrays.copyOfRange(ids, from, Math.min(ids.length, from + EVAL_BATCH));
            upload(zoo, t, chunk);
            Ptr delta = edit ? model.forward(space(chunk.length)).data() : null;
            for (double v : loss.compute(chunk.length, weights, delta, targets, null)) sum += v;
        }
        return sum / ids.length;
    }

    /** The SIRENs' renderings {@code [n][rows cols]}: {@code [0]} as they are, {@code [1]} edited. */
    public float[][] render(SirenZoo zoo, EditTargets t, int[] ids) {
        upload(zoo, t, ids);
        Ptr delta = model.forward(space(ids.length)).data();
        float[] edited = loss.render(ids.length, weights, delta), plain = loss.render(ids.length, weights, null);
        return new float[][]{plain, edited};
    }

    /** The edited SIREN {@code W + delta(W)} of one SIREN's parameters (flattened as {@link Sirens}). */
    public float[] edit(float[] siren) {
        WsLayout one = new WsLayout(Sirens.SPEC, 1, 1);
        if (siren.length != one.size()) throw new IllegalArgumentException("a SIREN has " + one.size() + " parameters, got " + siren.length);
        Ptr w = ops.alloc(siren.length).at(0);
        ops.upload(siren, 0, w, siren.length);
        float[] d = new float[siren.length];
        ops.download(model.forward(new WeightSpace(one, w)).data(), d, 0, d.length);
        for (int i = 0; i < d.length; i++) d[i] += siren[i];
        return d;
    }

    private WeightSpace space(int B) {
        return new WeightSpace(new WsLayout(Sirens.SPEC, B, 1), weights);
    }

    /** The SIRENs ids (the op's weight layout) and their targets to the backend. */
    private void upload(SirenZoo zoo, EditTargets t, int[] ids) {
        int B = ids.length, P = t.rows() * t.cols();
        WsLayout lay = new WsLayout(Sirens.SPEC, B, 1);
        if (B != batch) {
            batch = B;
            weights = ops.alloc(lay.size()).at(0);
            dDelta = ops.alloc(lay.size()).at(0);
            targets = ops.alloc((long) B * P).at(0);
        }
        float[] w = new float[Math.toIntExact(lay.size())], y = new float[B * P];
        lay.gather(zoo.weights(), ids, w);
        for (int b = 0; b < B; b++) System.arraycopy(t.target(ids[b]), 0, y, b * P, P);
        ops.upload(w, 0, weights, w.length);
        ops.upload(y, 0, targets, y.length);
    }

    /** The parameters as host floats (a snapshot). */
    public float[] hostParams() {
        float[] v = new float[Math.toIntExact(params.count())];
        ops.download(params.valueBuffer().at(0), v, 0, v.length);
        return v;
    }

    /** Sets the parameters from host floats (a snapshot of {@link #hostParams}). */
    public void restore(float[] v) {
        ops.upload(v, 0, params.valueBuffer().at(0), v.length);
    }

    /** Writes the checkpoint (atomically) with the metadata that {@link #load} needs, plus {@code extra}. */
    public void save(Path file, Map<String, String> extra) throws IOException {
        Map<String, String> md = new LinkedHashMap<>();
        md.put("format", CheckpointMetadata.FORMAT);
        md.put("task", TASK);
        md.put("edit_model", net.toJson());
        md.put("style", style.cliName());
        md.put("network_spec", SpecJson.write(Sirens.SPEC));
        md.putAll(extra);
        Checkpoints.saveParams(file, "", params, md);
    }

    /** The task a checkpoint was trained for, as its metadata says ({@code accuracy} when it names none). */
    public static String task(SafetensorsFile f) {
        return f.metadata().getOrDefault("task", "accuracy");
    }

    /** The checkpoint file, read, when its metadata names the editing task; else a one-line error naming the task found. */
    public static SafetensorsFile requireEdit(Path file) throws IOException {
        if (Files.isDirectory(file)) throw new NfnFormatException(file, "is a folder, not a checkpoint file");
        SafetensorsFile f = Safetensors.read(file);
        if (!task(f).equals(TASK))
            throw new NfnFormatException(file, "a '" + task(f) + "' checkpoint (metadata task), expected an INR-editing one (nfn4j train --task edit)");
        return f;
    }

    /**
     * Loads an editing checkpoint. Another task's checkpoint, a missing or bad field, SIRENs other
     * than {@link Sirens#SPEC}, or parameters that do not fit are one-line errors naming the file.
     */
    public static EditModel load(Path file, Ops ops, int rows, int cols) throws IOException {
        SafetensorsFile f = requireEdit(file);
        Map<String, String> md = f.metadata();
        for (String key : new String[]{"edit_model", "style", "network_spec"})
            if (!md.containsKey(key)) throw new NfnFormatException(file, "metadata has no '" + key + "': not an nfn4j INR-editing checkpoint");
        EditNet net;
        ImageStyle style;
        try {
            net = EditNet.fromJson("edit_model", md.get("edit_model"));
            style = ImageStyle.parse(md.get("style"));
            if (!SpecJson.read(md.get("network_spec")).equals(Sirens.SPEC))
                throw new JsonFields.BadField("network_spec", "networks " + md.get("network_spec") + ", expected the SIRENs " + Sirens.SPEC);
        } catch (JsonFields.BadField e) {
            throw NfnFormatException.field(file, e.field(), e.detail());
        } catch (IllegalArgumentException e) {
            throw NfnFormatException.field(file, "style", e.getMessage());
        }
        EditModel m = new EditModel(ops, net, style, rows, cols, 0);
        Checkpoints.loadParams(f, "", m.params, true);
        return m;
    }
}
