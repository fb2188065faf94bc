package dev.nfn4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Sequential;
import dev.nfn4j.space.Value;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.SpecJson;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.zoo.ZooDataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains a model that predicts a metric of each network in a zoo (test accuracy, by default) from
 * its weights: seeded shuffling, minibatches, Adam/AdamW with linear warm-up, per-epoch
 * validation (loss, L1, R^2, Kendall's tau), the best checkpoint by validation tau, optional
 * early stopping, and a final test evaluation of the best parameters.
 *
 * <p>The same loop trains an equivariant NFN (pool NONE) on a task that edits weights: the
 * dataset's targets are then weight spaces ({@link ZooDataset#withWeightTargets}), the loss,
 * L1 and R^2 are taken over every entry, Kendall's tau is not computed (NaN, left out of the
 * log) and the best checkpoint is the one with the lowest validation loss.
 *
 * <p>Files in the output folder: {@code best.safetensors} (parameters with nfn's names and the
 * metadata to rebuild the model), {@code state.safetensors} (everything needed to resume),
 * {@code log.jsonl} (one JSON object per epoch and one for the test), and {@code test_scatter.png}
 * where the {@link TrainingObserver} plots (the CLI's does).
 * Resuming continues exactly where a run stopped: epoch e's batch order depends only on the
 * seed and e.
 */
public final class Trainer {
    /**
     * Training settings.
     * @param normalization how inputs are normalized; null for the model's default, what nfn's config for it does
     *                      ({@link Normalization#defaultFor})
     */
    public record Config(int epochs, int batchSize, double lr, double weightDecay, boolean adamW, int warmupSteps, Loss loss,
                         long seed, int patience, Normalization normalization, boolean progress) {
        /** Checks the settings. */
        public Config {
            if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
            if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
            if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("learning rate must be a finite number > 0, got " + lr);
            if (!(weightDecay >= 0) || !Double.isFinite(weightDecay))
                throw new IllegalArgumentException("weight decay must be a finite number >= 0, got " + weightDecay);
            if (warmupSteps < 0) throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmupSteps);
            if (patience < 0) throw new IllegalArgumentException("patience must be >= 0 (0: never stop early), got " + patience);
            java.util.Objects.requireNonNull(loss, "loss");
        }

        /** With input normalization on (per tensor) or off, as configs were written before there was a choice. */
        public Config(int epochs, int batchSize, double lr, double weightDecay, boolean adamW, int warmupSteps, Loss loss, long seed,
                      int patience, boolean normalize, boolean progress) {
            this(epochs, batchSize, lr, weightDecay, adamW, warmupSteps, loss, seed, patience,
                    normalize ? Normalization.PER_TENSOR : Normalization.NONE, progress);
        }

        /** The paper's settings: batch 8, Adam 1e-3, BCE, 50 epochs, each model's input normalization as nfn's config for it. */
        public static Config paper() {
            return new Config(50, 8, 1e-3, 0, false, 0, Loss.BINARY_CROSS_ENTROPY, 0, 0, (Normalization) null, true);
        }

        /** The same settings with another normalization. */
        public Config withNormalization(Normalization n) {
            return new Config(epochs, batchSize, lr, weightDecay, adamW, warmupSteps, loss, seed, patience, n, progress);
        }
    }

    /** Metrics of a set of networks (tau is NaN for weight-space targets); predicted and actual hold every target entry. */
    public record Evaluation(double loss, double l1, double r2, double tau, float[] predicted, float[] actual) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("loss", loss);
            m.put("l1", l1);
            m.put("r2", r2);
            if (!Double.isNaN(tau)) m.put("tau", tau);
            return m;
        }
    }

    /** A finished run: best epoch, test metrics of its parameters, checkpoint and plot (null when none), training time. */
    public record Result(int bestEpoch, Evaluation bestVal, Evaluation test, Path checkpoint, Path plot, double trainSeconds) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TEST_PLOT = "test_scatter.png";

    private final Ops ops;
    private final ModelConfig modelConfig;
    private final ZooDataset data;
    private final Config cfg;
    private final Path out;
    private final Params params;
    private final Sequential model;
    private final Adam adam;
    private final InputNormalizer norm;
    /** Target floats per network: 1, or a weight space's for an equivariant model. */
    private final int outPer;
    private int startEpoch, bestEpoch = -1;
    /** A resumed run whose test is already logged, with nothing more to do: no epochs left, or stopped early. */
    private boolean finished;
    /** The run stopped before its last epoch: patience ran out. */
    private boolean stoppedEarly;
    private String dataFingerprint;
    /** Validation tau of the best epoch, or minus its loss with weight-space targets: higher is better. */
    private double bestScore = Double.NEGATIVE_INFINITY;
    private float[] bestParams;

    /**
     * A fresh run, or with {@code resume} the run in {@code out} continued where it stopped (when
     * {@code out/state.safetensors} exists; otherwise a fresh one). A resumed run must have the
     * same model, networks and settings (the number of epochs aside); its log is cut back to the
     * epochs its state holds, so an epoch that failed half-way is logged once when it is redone.
     * A finished run (its test logged, and no epochs left or stopped early) stays as it is:
     * {@link #finished} says so and {@link #fit} writes nothing.
     */
    public Trainer(Ops ops, ModelConfig modelConfig, ZooDataset data, Config cfg, Path out, boolean resume) throws IOException {
        this.ops = ops;
        this.modelConfig = modelConfig;
        this.data = data;
        this.cfg = cfg.normalization() != null ? cfg : cfg.withNormalization(Normalization.defaultFor(modelConfig));
        this.out = out;
        this.params = new Params(ops);
        this.outPer = data.targetsPerNetwork();
        try {
            SpecJson.requireSupported(data.spec());
        } catch (dev.nfn4j.io.JsonFields.BadField e) {
            throw new IllegalArgumentException("networks " + data.spec() + " are outside what a checkpoint holds: " + e.getMessage());
        }
        int trainSize = data.splits().train().length;
        if (trainSize == 0) throw new IllegalArgumentException("the training split of " + data + " is empty");
        if (cfg.batchSize() > trainSize)
            throw new IllegalArgumentException("batch size " + cfg.batchSize() + " is larger than the training split (" + trainSize + " networks)");
        long modelOut = modelConfig.equivariant() ? new WsLayout(data.spec(), 1, modelConfig.outChannels()).size() : 1;
        if (modelOut != outPer)
            throw new IllegalArgumentException("model " + modelConfig + " gives " + modelOut + " floats per network, but the targets of " + data
                    + " have " + outPer + (modelConfig.equivariant() == data.hasWeightTargets() ? "" : modelConfig.equivariant()
                    ? " (an equivariant NFN needs weight-space targets: ZooDataset.withWeightTargets)"
                    : " (weight-space targets need an equivariant NFN: pool NONE)"));
        this.model = modelConfig.build(params, data.spec(), 1);
        params.allocate(this.cfg.seed());
        this.adam = new Adam(params, new AdamConfig(this.cfg.lr(), 0.9, 0.999, 1e-8, this.cfg.weightDecay(), this.cfg.adamW()));
        this.norm = this.cfg.normalization().fit(new WsLayout(data.spec(), 1, 1), data.canonicalRows(), data.splits().train());
        if (out != null && Files.exists(out) && !Files.isDirectory(out)) throw new java.nio.file.NotDirectoryException(out.toString());
        if (out != null) Files.createDirectories(out);
        if (resume && out != null && Files.exists(out.resolve("state.safetensors"))) {
            restore(out.resolve("state.safetensors"));
            if (!finished) RunLog.truncate(out.resolve("log.jsonl"), startEpoch);
        } else if (out != null) Files.deleteIfExists(out.resolve("log.jsonl")); // a fresh run starts a fresh log
    }

    /** The settings in force, with the normalization resolved. */
    public Config config() {
        return cfg;
    }

    /** True when this is a resumed run that had already finished (its test is logged): {@link #fit} then writes nothing. */
    public boolean finished() {
        return finished;
    }

    /** Epochs done so far (all of them for a finished run). */
    public int epochsDone() {
        return startEpoch;
    }

    private TrainingObserver observer = TrainingObserver.NONE;

    /** Shows this run's progress and test plot through {@code o}; returns this trainer. */
    public Trainer observedBy(TrainingObserver o) {
        observer = java.util.Objects.requireNonNull(o, "observer");
        return this;
    }

    /** The model's parameters. */
    public Params params() {
        return params;
    }

    /** Trains for the configured epochs (or what is left of a resumed run) and tests the best parameters. */
    public Result fit() throws IOException {
        if (finished) { // the test of the best parameters, as the run logged it; nothing is written
            if (bestParams != null) restoreParams(bestParams);
            return new Result(bestEpoch + 1, null, evaluate(data.splits().test()), out.resolve("best.safetensors"), existingPlot(), 0);
        }
        long t0 = System.nanoTime();
        int[] train = data.splits().train();
        int steps = (train.length + cfg.batchSize() - 1) / cfg.batchSize();
        for (int epoch = startEpoch; epoch < cfg.epochs(); epoch++) {
            long e0 = System.nanoTime();
            int[] order = shuffled(train, cfg.seed(), epoch);
            double lossSum = 0;
            dataNanos = computeNanos = 0;
            try (TrainingObserver.Steps pb = cfg.progress() ? observer.epochStarted("epoch " + (epoch + 1) + "/" + cfg.epochs(), steps)
                    : TrainingObserver.Steps.NONE) {
                for (int s = 0; s < steps; s++) {
                    int from = s * cfg.batchSize(), to = Math.min(order.length, from + cfg.batchSize());
                    lossSum += step(java.util.Arrays.copyOfRange(order, from, to)) * (to - from);
                    pb.step();
                }
            }
            if (!Double.isFinite(lossSum))
                throw new ArithmeticException("training diverged in epoch " + (epoch + 1) + ": the training loss is " + lossSum
                        + "; try a new run with a lower learning rate or with input normalization");
            Evaluation val = evaluate(data.splits().val());
            boolean best = score(val) > bestScore || bestEpoch < 0;
            if (best) {
                bestScore = score(val);
                bestEpoch = epoch;
                bestParams = hostParams();
                if (out != null) saveBest();
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("epoch", epoch + 1);
            row.put("train_loss", lossSum / train.length);
            row.put("val", val.toMap());
            row.put("best", best);
            row.put("seconds", (System.nanoTime() - e0) / 1e9);
            row.put("data_seconds", dataNanos / 1e9); // loading and batching, to compare with step_seconds
            row.put("step_seconds", computeNanos / 1e9);
            log(row);
            startEpoch = epoch + 1;
            if (out != null) saveState(hostParams());
            if (cfg.patience() > 0 && epoch - bestEpoch >= cfg.patience()) {
                stoppedEarly = true;
                break;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        float[] last = out == null ? null : hostParams(); // what a run given more epochs goes on from
        if (bestParams != null) restoreParams(bestParams);
        Evaluation test = evaluate(data.splits().test());
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("test", test.toMap());
        row.put("best_epoch", bestEpoch + 1);
        log(row);
        if (out != null) {
            finished = true;
            saveState(last); // a later resume finds the run finished and leaves it alone
        }
        if (out != null) {
            String title = outPer == 1 ? "tau " + String.format("%.3f", test.tau()) : "R^2 " + String.format("%.3f", test.r2());
            // weight-space targets: the first entries only, enough to see the fit without a million points
            int shown = Math.min(test.actual().length, 20_000);
            observer.testPlot(out.resolve(TEST_PLOT), modelConfig.kind() + ": predicted vs actual (test, " + title + ")",
                    java.util.Arrays.copyOf(test.actual(), shown), java.util.Arrays.copyOf(test.predicted(), shown));
        }
        return new Result(bestEpoch + 1, null, test, out == null ? null : out.resolve("best.safetensors"), existingPlot(), seconds);
    }

    /** What picks the best epoch: validation tau, or with weight-space targets the (negated) validation loss. */
    private double score(Evaluation e) {
        return outPer == 1 ? e.tau() : -e.loss();
    }


    private Ptr inputBuf, gradBuf, targetBuf, predBuf;
    private long dataNanos, computeNanos; // per epoch: batch assembly + normalization + upload vs the step itself
    private static final long[] UNIT = {0, 0, 0, 1};

    /**
     * One optimizer step on a batch; returns its mean loss. The step itself (forward, the loss
     * gradient, backward, Adam) runs on the backend without a host round trip, as one
     * {@link Ops#runGraph} body: a GPU captures it on the second batch of a size and replays it
     * from then on. Inputs and targets are staged before it, the predictions read after it (the
     * loss value is taken on the host, as before). A model with dropout draws its masks on the
     * host every step, so its step is never captured.
     */
    private double step(int[] idx) {
        long t0 = System.nanoTime();
        ZooDataset.Batch b = data.batch(idx);
        if (norm != null) norm.apply(b.weights());
        WeightSpace x = upload(b);
        int n = idx.length * outPer; // target floats in this batch
        if (gradBuf == null) { // batches never exceed the configured size
            gradBuf = ops.alloc((long) cfg.batchSize() * outPer).at(0);
            targetBuf = ops.alloc((long) cfg.batchSize() * outPer).at(0);
            predBuf = ops.alloc((long) cfg.batchSize() * outPer).at(0);
        }
        ops.upload(b.targets(), 0, targetBuf, n);
        adam.syncCounter();
        long t1 = System.nanoTime();
        dataNanos += t1 - t0;
        Runnable body = () -> {
            params.zeroGrad();
            model.setTraining(true, adam.steps());
            Value y = model.forward(x);
            model.setTraining(false, adam.steps());
            ops.copy4d(new int[]{1, 1, 1, n}, y.data(), UNIT, predBuf, UNIT, false); // kept for the loss value
            ops.lossGradient(cfg.loss().fn(), n, y.data(), targetBuf, gradBuf);
            model.backward(y.withData(gradBuf)); // the cotangent has the output's kind and shape
            adam.stepOnDevice(cfg.warmupSteps());
        };
        if (modelConfig.dropout() == 0) ops.runGraph(List.of(this, n, inputBuf.buf()), body);
        else body.run();
        adam.countStep();
        float[] pred = new float[n];
        ops.download(predBuf, pred, 0, n);
        requireFinite(pred);
        double loss = cfg.loss().compute(pred, b.targets(), new float[n]);
        computeNanos += System.nanoTime() - t1;
        return loss;
    }

    private WeightSpace upload(ZooDataset.Batch b) {
        float[] d = b.weights().data();
        if (inputBuf == null || inputBuf.buf().length() < d.length) inputBuf = ops.alloc(d.length).at(0);
        ops.upload(d, 0, inputBuf, d.length);
        return new WeightSpace(b.weights().layout(), inputBuf);
    }

    /** Predictions and metrics on the given networks, in batches of the training batch size. */
    public Evaluation evaluate(int[] indices) {
        float[] pred = new float[indices.length * outPer], actual = new float[indices.length * outPer];
        double loss = 0;
        for (int from = 0; from < indices.length; from += cfg.batchSize()) {
            int[] idx = java.util.Arrays.copyOfRange(indices, from, Math.min(indices.length, from + cfg.batchSize()));
            ZooDataset.Batch b = data.batch(idx);
            if (norm != null) norm.apply(b.weights());
            Value y = model.forward(upload(b));
            float[] p = new float[idx.length * outPer];
            ops.download(y.data(), p, 0, p.length);
            requireFinite(p);
            loss += cfg.loss().compute(p, b.targets(), new float[p.length]) * idx.length;
            System.arraycopy(p, 0, pred, from * outPer, p.length);
            System.arraycopy(b.targets(), 0, actual, from * outPer, p.length);
        }
        return new Evaluation(loss / indices.length, Metrics.meanAbsError(actual, pred), Metrics.r2(actual, pred),
                outPer == 1 ? Metrics.kendallTau(actual, pred) : Double.NaN, pred, actual);
    }

    /** A prediction that is not a number means the run has diverged: say so, rather than fail in the loss. */
    private void requireFinite(float[] pred) {
        for (float v : pred)
            if (!Float.isFinite(v))
                throw new ArithmeticException("training diverged after " + adam.steps() + " optimizer steps: the model predicts " + v
                        + "; try a new run with a lower learning rate or with input normalization");
    }

    /** The epoch's batches: {@link #shuffled} cut into runs of {@code batchSize} (the last may be shorter). */
    static List<int[]> batches(int[] train, long seed, int epoch, int batchSize) {
        int[] order = shuffled(train, seed, epoch);
        List<int[]> out = new ArrayList<>();
        for (int from = 0; from < order.length; from += batchSize) out.add(Arrays.copyOfRange(order, from, Math.min(order.length, from + batchSize)));
        return out;
    }

    /** The epoch's batch order: a permutation of the training indices that depends only on (seed, epoch). */
    static int[] shuffled(int[] train, long seed, int epoch) {
        int[] o = train.clone();
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + epoch);
        for (int i = o.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }

    /** The test plot in the output folder, or null when there is none. */
    private Path existingPlot() {
        Path png = out == null ? null : out.resolve(TEST_PLOT);
        return png != null && Files.exists(png) ? png : null;
    }

    private void log(Map<String, Object> row) throws IOException {
        if (out != null) RunLog.append(out.resolve("log.jsonl"), JSON.writeValueAsString(row));
    }

    private float[] hostParams() {
        float[] v = new float[Math.toIntExact(params.count())];
        ops.download(params.valueBuffer().at(0), v, 0, v.length);
        return v;
    }

    private void restoreParams(float[] v) {
        ops.upload(v, 0, params.valueBuffer().at(0), v.length);
    }

    private CheckpointMetadata checkpointMetadata() {
        return new CheckpointMetadata(modelConfig, data.spec(), data.target(), norm);
    }

    private void saveBest() throws IOException {
        CheckpointMetadata cm = checkpointMetadata();
        Map<String, String> md = cm.toMap();
        md.put("epoch", String.valueOf(bestEpoch + 1));
        md.put(outPer == 1 ? "val_tau" : "val_loss", String.valueOf(outPer == 1 ? bestScore : -bestScore));
        Checkpoints.saveParams(out.resolve("best.safetensors"), "", params, cm.tensors(), md);
    }

    /** Everything a resume needs, with {@code cur} the parameters to go on from. */
    private void saveState(float[] cur) throws IOException {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("params", HostTensor.f32(new int[]{cur.length}, cur));
        t.put("best_params", HostTensor.f32(new int[]{cur.length}, bestParams == null ? cur : bestParams));
        float[][] mv = adam.moments();
        t.put("adam.m", HostTensor.f32(new int[]{cur.length}, mv[0]));
        t.put("adam.v", HostTensor.f32(new int[]{cur.length}, mv[1]));
        Map<String, String> md = checkpointMetadata().toMap();
        md.put("next_epoch", String.valueOf(startEpoch));
        md.put("adam_steps", String.valueOf(adam.steps()));
        md.put("best_epoch", String.valueOf(bestEpoch));
        md.put("best_score", String.valueOf(bestScore));
        md.put("config", JSON.writeValueAsString(cfg));
        md.put("data", dataFingerprint());
        md.put("finished", String.valueOf(finished));
        md.put("stopped_early", String.valueOf(stoppedEarly));
        Safetensors.write(out.resolve("state.safetensors"), t, md);
    }

    /** The zoo's fingerprint, taken once: the state records it and a resume compares it. */
    private String dataFingerprint() {
        if (dataFingerprint == null) dataFingerprint = RunSettings.fingerprint(data);
        return dataFingerprint;
    }

    /** Takes up the run in {@code file}; a run of another model, other networks or other settings is refused, naming what differs. */
    private void restore(Path file) throws IOException {
        SafetensorsFile f = Safetensors.read(file);
        Map<String, String> md = f.metadata();
        ModelConfig saved;
        try {
            saved = ModelConfig.fromJson("model", md.get("model"));
            if (!SpecJson.read(md.get("network_spec")).equals(data.spec()))
                throw new IllegalArgumentException("the run in " + out + " trained on networks " + md.get("network_spec") + ", not " + data.spec()
                        + " (" + file + ")");
        } catch (dev.nfn4j.io.JsonFields.BadField e) {
            throw dev.nfn4j.io.NfnFormatException.field(file, e.field(), e.detail());
        }
        if (!saved.equals(modelConfig))
            throw new IllegalArgumentException("the run in " + out + " trains " + saved + ", not " + modelConfig + " (" + file + ")");
        RunSettings.requireSame(file, out, md, cfg, dataFingerprint());
        int n = Math.toIntExact(params.count());
        float[] current = f.get("params", n).toFloats(), best = f.get("best_params", n).toFloats();
        float[] m = f.get("adam.m", n).toFloats(), v = f.get("adam.v", n).toFloats();
        for (String t : new String[]{"params", "best_params", "adam.m", "adam.v"})
            Checkpoints.requireFinite(file, t, f.get(t).toFloats());
        restoreParams(current);
        bestParams = best;
        adam.restore(m, v, RunSettings.count(file, md, "adam_steps", 0, Long.MAX_VALUE));
        startEpoch = (int) RunSettings.count(file, md, "next_epoch", 0, Integer.MAX_VALUE);
        bestEpoch = (int) RunSettings.count(file, md, "best_epoch", -1, Integer.MAX_VALUE);
        String score = md.containsKey("best_score") ? "best_score" : "best_tau"; // best_tau: states written before weight targets
        try {
            bestScore = Double.parseDouble(md.get(score));
        } catch (NumberFormatException | NullPointerException e) {
            throw dev.nfn4j.io.NfnFormatException.field(file, score, "expected a number, got " + md.get(score));
        }
        boolean tested = md.containsKey("finished") ? Boolean.parseBoolean(md.get("finished")) : RunLog.hasTest(out.resolve("log.jsonl"));
        stoppedEarly = Boolean.parseBoolean(md.get("stopped_early"));
        finished = tested && (startEpoch >= cfg.epochs() || stoppedEarly); // more epochs asked for: the run goes on
    }

    /** The per-epoch validation history is in log.jsonl; this lists its rows (for tests and reports). */
    public static List<Map<String, Object>> readLog(Path out) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("log.jsonl"))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = JSON.readValue(line, Map.class);
            rows.add(m);
        }
        return rows;
    }
}
