package dev.nfn4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.nn.ClassifierConfig;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.SpecJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Trains a {@link ClassifierConfig} model on {@link ClassifyData}, its inputs standardized per
 * tensor with the training split's statistics ({@link WeightNormalizer}: SIREN layers differ in
 * scale by two orders of magnitude, and StatNN's statistics with them), with softmax cross-entropy
 * ({@link SoftmaxCrossEntropy}) and Adam (linear warm-up optional). Per epoch: seeded shuffling
 * (the order depends only on the seed and the epoch), the validation accuracy and loss; the epoch
 * with the best validation accuracy (the earlier on ties) is kept and saved to
 * {@code best.safetensors} (metadata {@code task=classify}, the model, the network spec and the
 * class names). Then the test split's accuracy, loss and confusion matrix. Every epoch and the
 * test are one line of {@code log.jsonl}.
 */
public final class ClassifyTrainer {
    /** The checkpoint's task metadata value. */
    public static final String TASK = "classify";
    /** File names of the best checkpoint and of the log, in the output folder. */
    public static final String CHECKPOINT = "best.safetensors", LOG = "log.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Training settings: epochs, batch size, Adam learning rate, linear warm-up steps and seed. */
    public record Config(int epochs, int batchSize, double lr, int warmup, long seed) {
        /** Checks that epochs, batch size and learning rate are positive and warm-up steps not negative. */
        public Config {
            if (epochs < 1 || batchSize < 1) throw new IllegalArgumentException("epochs and batch size must be >= 1");
            if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("learning rate must be a finite number > 0, got " + lr);
            if (warmup < 0) throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmup);
        }
    }

    /** Accuracy, mean loss and confusion matrix of a split. */
    public record Evaluation(double accuracy, double loss, ConfusionMatrix confusion) {
    }

    /** The outcome of a run: best epoch and its validation accuracy, test evaluation, checkpoint path (or null), time and speed. */
    public record Result(int bestEpoch, double bestValAccuracy, Evaluation test, Path checkpoint, double seconds, double stepsPerSecond) {
    }

    private final ClassifyData data;
    private final Config cfg;
    private final Path out;
    private final ClassifierNet net;
    private final Adam adam;
    private final double[] scratch;

    /** Nothing is written until {@link #fit}; {@code out} null writes nothing at all. */
    public ClassifyTrainer(Ops ops, ClassifierConfig model, ClassifyData data, Config cfg, Path out) {
        if (model.classes() != data.classes())
            throw new IllegalArgumentException("the model has " + model.classes() + " classes, the data " + data.classes());
        this.data = data;
        this.cfg = cfg;
        this.out = out;
        this.net = new ClassifierNet(ops, model, data.spec());
        net.params().allocate(cfg.seed());
        net.setNormalizer(WeightNormalizer.fit(new dev.nfn4j.space.WsLayout(data.spec(), 1, 1), data.rows(), data.train()));
        this.adam = new Adam(net.params(), AdamConfig.adam(cfg.lr()));
        this.scratch = new double[model.classes()];
    }

    /** The model being trained. */
    public ClassifierNet net() {
        return net;
    }

    /** Trains every epoch, keeps and saves the best, evaluates it on the test split, and returns the outcome. */
    public Result fit() throws IOException {
        if (out != null) {
            Files.createDirectories(out);
            Files.deleteIfExists(out.resolve(LOG));
        }
        long t0 = System.nanoTime(), stepNanos = 0, steps = 0;
        double best = -1;
        int bestEpoch = -1;
        float[] bestParams = null;
        for (int epoch = 0; epoch < cfg.epochs(); epoch++) {
            int[] order = Trainer.shuffled(data.train(), cfg.seed(), epoch);
            double loss = 0, right = 0;
            long epochNanos = 0;
            for (int from = 0; from < order.length; from += cfg.batchSize()) {
                int[] idx = Arrays.copyOfRange(order, from, Math.min(order.length, from + cfg.batchSize()));
                long s0 = System.nanoTime();
                double[] r = trainStep(idx);
                epochNanos += System.nanoTime() - s0;
                steps++;
                loss += r[0];
                right += r[1];
            }
            stepNanos += epochNanos;
            Evaluation val = evaluate(data.val());
            boolean isBest = val.accuracy() > best;
            if (isBest) {
                best = val.accuracy();
                bestEpoch = epoch;
                bestParams = net.hostParams();
                if (out != null) save(out.resolve(CHECKPOINT), epoch, val);
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("epoch", epoch + 1);
            row.put("train_loss", loss / order.length);
            row.put("train_accuracy", right / order.length);
            row.put("val_loss", val.loss());
            row.put("val_accuracy", val.accuracy());
            row.put("best", isBest);
            row.put("train_steps_per_second", Math.ceilDiv(order.length, cfg.batchSize()) / (epochNanos / 1e9));
            row.put("seconds", (System.nanoTime() - t0) / 1e9);
            log(row);
        }
        net.setParams(bestParams);
        Evaluation test = evaluate(data.test());
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("test_accuracy", test.accuracy());
        row.put("test_loss", test.loss());
        row.put("test_confusion", test.confusion().rows());
        row.put("best_epoch", bestEpoch + 1);
        row.put("train_steps_per_second", steps / (stepNanos / 1e9));
        log(row);
        return new Result(bestEpoch + 1, best, test, out == null ? null : out.resolve(CHECKPOINT), (System.nanoTime() - t0) / 1e9,
                steps / (stepNanos / 1e9));
    }

    /** One forward, backward and Adam step on rows idx; {sum of losses, correct}. */
    public double[] trainStep(int[] idx) {
        float[] z = net.forward(data.rows(), idx, true, adam.steps());
        float[] dz = new float[z.length];
        double[] r = SoftmaxCrossEntropy.sum(z, dz, data.classes(), idx.length, data.labelsOf(idx), scratch);
        net.backward(dz);
        double lr = cfg.warmup() == 0 ? cfg.lr() : cfg.lr() * Math.min(1.0, (adam.steps() + 1.0) / cfg.warmup());
        adam.step(lr);
        return r;
    }

    /** Accuracy, mean loss and confusion matrix over rows, in batches of the training batch size, without training. */
    public Evaluation evaluate(int[] rows) {
        ConfusionMatrix cm = new ConfusionMatrix(data.classes());
        double loss = 0;
        for (int from = 0; from < rows.length; from += cfg.batchSize()) {
            int[] idx = Arrays.copyOfRange(rows, from, Math.min(rows.length, from + cfg.batchSize()));
            int[] y = data.labelsOf(idx);
            float[] z = net.forward(data.rows(), idx, false, adam.steps());
            loss += SoftmaxCrossEntropy.sum(z, null, data.classes(), idx.length, y, scratch)[0];
            cm.addLogits(z, y);
        }
        return new Evaluation(cm.accuracy(), loss / rows.length, cm);
    }

    private void save(Path file, int epoch, Evaluation val) throws IOException {
        Map<String, String> md = new LinkedHashMap<>();
        md.put("format", CheckpointMetadata.FORMAT);
        md.put("task", TASK);
        md.put("classifier", net.config().toJson());
        md.put("network_spec", SpecJson.write(data.spec()));
        md.put("normalizer", net.normalizer().toJson());
        if (data.names() != null) md.put("class_names", JSON.writeValueAsString(data.names()));
        md.put("epoch", String.valueOf(epoch + 1));
        md.put("val_accuracy", String.format(Locale.ROOT, "%.6g", val.accuracy()));
        Checkpoints.saveParams(file, "", net.params(), md);
    }

    private void log(Map<String, Object> row) throws IOException {
        if (out != null) RunLog.append(out.resolve(LOG), JSON.writeValueAsString(row));
    }
}
