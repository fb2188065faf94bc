package dev.nfn4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.zoo.EditTargets;
import dev.nfn4j.zoo.SirenZoo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Trains an {@link EditModel} on a SIREN zoo as nfn's {@code stylize_siren.py} does: Adam on the
 * batch's mean pixel MSE of the edited SIRENs against the styled images, a linear learning-rate
 * warm-up, the validation MSE after every epoch and the best epoch's parameters kept (written to
 * {@code best.safetensors}); then the test MSE of the model and of the SIRENs unedited.
 *
 * <p>Training uses every SIREN of the train split (the K copies of each image are augmentation);
 * validation and test use copy 0 of each image. Batch order: seeded shuffling that depends only
 * on the seed and the epoch.
 */
public final class EditTrainer {
    /**
     * Training settings.
     * @param warmup      steps of linear learning-rate warm-up (0: none)
     * @param patience    stop after this many epochs without a better validation MSE (0: never)
     * @param weightDecay L2 (Adam) or decoupled (AdamW) weight decay
     */
    public record Config(int epochs, int batchSize, double lr, int warmup, long seed, int patience, double weightDecay, boolean adamW) {
        /** Checks the settings. */
        public Config {
            if (epochs < 1 || batchSize < 1) throw new IllegalArgumentException("epochs and batch size must be >= 1");
            if (!(lr > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
            if (warmup < 0 || patience < 0) throw new IllegalArgumentException("warm-up and patience must be >= 0");
            if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        }

        /** nfn's stylize optimizer: Adam without weight decay. */
        public Config(int epochs, int batchSize, double lr, int warmup, long seed, int patience) {
            this(epochs, batchSize, lr, warmup, seed, patience, 0, false);
        }
    }

    /** Test MSEs of the model and of the unedited SIRENs, with the best epoch by validation MSE. */
    public record Result(int bestEpoch, double bestValMse, double testMse, double noEditTestMse, long steps, double seconds, Path checkpoint) {
    }

    private final EditModel model;
    private final SirenZoo zoo;
    private final EditTargets targets;
    private final Config cfg;
    private final Path out;
    private final Path log;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Adam adam;
    private final Map<String, String> describe;

    /**
     * Trains {@code model} on the zoo toward {@code targets}, writing the log and best checkpoint to {@code out} (null: nowhere).
     * @param describe metadata written into the checkpoint beside the model's (the zoo, the seed)
     */
    public EditTrainer(EditModel model, SirenZoo zoo, EditTargets targets, Config cfg, Path out, Map<String, String> describe) throws IOException {
        if (targets.style() != model.style()) throw new IllegalArgumentException("targets of style " + targets.style() + " for a model of " + model.style());
        for (String s : new String[]{"train", "val", "test"})
            if (split(zoo, s).length == 0) throw new IllegalArgumentException(zoo.dir() + " has no SIRENs in split " + s + " (copy 0 for val and test)");
        this.model = model;
        this.zoo = zoo;
        this.targets = targets;
        this.cfg = cfg;
        this.out = out;
        this.describe = describe;
        this.adam = new Adam(model.params(), new AdamConfig(cfg.lr(), 0.9, 0.999, 1e-8, cfg.weightDecay(), cfg.adamW()));
        this.log = out == null ? null : out.resolve("log.jsonl");
        if (out != null) {
            Files.createDirectories(out);
            Files.deleteIfExists(log); // a new run's log
        }
    }

    /** The SIRENs a split trains or evaluates on: every SIREN of train, copy 0 of each image of val and test. */
    public static int[] split(SirenZoo zoo, String which) {
        int[] all = zoo.indices(which);
        return which.equals("train") ? all : Arrays.stream(all).filter(i -> zoo.copy()[i] == 0).toArray();
    }

    /** Trains for the configured epochs and tests the best parameters. */
    public Result fit() throws IOException {
        long t0 = System.nanoTime();
        int[] train = split(zoo, "train"), val = split(zoo, "val");
        double best = Double.POSITIVE_INFINITY;
        int bestEpoch = -1;
        float[] bestParams = null;
        for (int epoch = 0; epoch < cfg.epochs(); epoch++) {
            double sum = 0;
            for (int[] idx : Trainer.batches(train, cfg.seed(), epoch, cfg.batchSize())) {
                model.params().zeroGrad();
                sum += model.forwardBackward(zoo, targets, idx) * idx.length;
                long next = adam.steps() + 1;
                adam.step(cfg.warmup() == 0 ? cfg.lr() : cfg.lr() * Math.min(1.0, (double) next / cfg.warmup()));
            }
            double v = model.meanMse(zoo, targets, val, true);
            if (!Double.isFinite(v)) throw new ArithmeticException("validation MSE is " + v + " after epoch " + (epoch + 1) + ": training diverged (lower --lr)");
            boolean isBest = v < best;
            if (isBest) {
                best = v;
                bestEpoch = epoch;
                bestParams = model.hostParams();
                if (out != null) model.save(out.resolve("best.safetensors"), metadata(epoch, v));
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("epoch", epoch + 1);
            row.put("steps", adam.steps());
            row.put("train_mse", sum / train.length);
            row.put("val_mse", v);
            row.put("best", isBest);
            row.put("seconds", (System.nanoTime() - t0) / 1e9);
            log(row);
            if (cfg.patience() > 0 && epoch - bestEpoch >= cfg.patience()) break;
        }
        model.restore(bestParams);
        int[] test = split(zoo, "test");
        double testMse = model.meanMse(zoo, targets, test, true), noEdit = model.meanMse(zoo, targets, test, false);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("test_mse", testMse);
        row.put("test_mse_no_edit", noEdit);
        row.put("best_epoch", bestEpoch + 1);
        log(row);
        return new Result(bestEpoch + 1, best, testMse, noEdit, adam.steps(), (System.nanoTime() - t0) / 1e9,
                out == null ? null : out.resolve("best.safetensors"));
    }

    private Map<String, String> metadata(int epoch, double val) {
        Map<String, String> md = new LinkedHashMap<>(describe);
        md.put("epoch", String.valueOf(epoch + 1));
        md.put("val_mse", String.format(Locale.ROOT, "%.6g", val));
        return md;
    }

    private void log(Map<String, Object> row) throws IOException {
        if (log != null) RunLog.append(log, JSON.writeValueAsString(row));
    }
}
