package dev.nfn4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Sequential;
import dev.nfn4j.nn.Tensor;
import dev.nfn4j.space.Value;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.zoo.Splits;
import dev.nfn4j.zoo.TicketZoo;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Trains the mask predictor: an equivariant NFN (pool NONE, one output channel) that reads a
 * network's initialisation ({@link TicketMasks#normalise}d, one channel) and writes one logit
 * per parameter, or the non-equivariant MLP baseline on the same input ({@link TicketModel}),
 * against the IMP mask of one density of a {@link TicketZoo}, with the weighted binary
 * cross-entropy of {@link MaskLoss} ({@link TicketMasks#lossWeights}: kept and pruned
 * weights balanced per layer, layers equal, biases left out). The predicted mask keeps the
 * top-k logits per layer at IMP's per-layer density ({@link TicketMasks#topK}).
 *
 * <p>Per epoch: seeded shuffling (the order depends only on the seed and the epoch), Adam, the
 * validation loss; the best epoch by validation loss is kept and saved to
 * {@code best.safetensors} (nfn's parameter names; metadata {@code task=ticket}, the density
 * and the per-layer densities). Then the test split's loss and the mean IoU of the predicted
 * masks with IMP's, beside those of the magnitude-at-initialisation and random masks.
 */
public final class TicketTrainer {
    /** The task name checkpoints of this trainer carry. */
    public static final String TASK = "ticket";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Training settings.
     * @param density index into the zoo's densities: which IMP mask is the target
     */
    public record Config(int epochs, int batchSize, double lr, long seed, int density) {
        /** Checks the settings. */
        public Config {
            if (epochs < 1 || batchSize < 1) throw new IllegalArgumentException("epochs and batch size must be >= 1");
            if (!(lr > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
        }
    }

    /** Mean IoU with the IMP masks of the test split, per mask source, and the losses. */
    public record Result(int bestEpoch, double bestValLoss, double testLoss, double nfnIou, double magnitudeIou, double randomIou,
                         Path checkpoint, double seconds) {
    }

    private final Ops ops;
    private final TicketModel modelConfig;
    private final TicketZoo zoo;
    private final Splits splits;
    private final Config cfg;
    private final Path out;
    private final NetworkSpec spec;
    private final WsLayout one;
    private final double[] layerDensity;
    private final Params params;
    private final Sequential model;
    private final Adam adam;
    private Ptr inputBuf, gradBuf;

    /** A run on {@code zoo}'s networks, writing to {@code out} (null: nothing written). */
    public TicketTrainer(Ops ops, ModelConfig modelConfig, TicketZoo zoo, Splits splits, Config cfg, Path out) throws IOException {
        this(ops, TicketModel.nfn(modelConfig), zoo, splits, cfg, out);
    }

    /** A run of {@code modelConfig} on {@code zoo}'s networks, writing to {@code out} (null: nothing written). */
    public TicketTrainer(Ops ops, TicketModel modelConfig, TicketZoo zoo, Splits splits, Config cfg, Path out) throws IOException {
        float[] d = zoo.densities();
        if (cfg.density() < 0 || cfg.density() >= d.length)
            throw new IllegalArgumentException("density index " + cfg.density() + " outside the zoo's " + d.length + " densities " + Arrays.toString(d));
        splits.validate(zoo.size());
        this.ops = ops;
        this.modelConfig = modelConfig;
        this.zoo = zoo;
        this.splits = splits;
        this.cfg = cfg;
        this.out = out;
        this.spec = zoo.spec();
        this.one = new WsLayout(spec, 1, 1);
        this.layerDensity = layerDensity(zoo, cfg.density());
        this.params = new Params(ops);
        this.model = modelConfig.build(params, spec);
        params.allocate(cfg.seed());
        this.adam = new Adam(params, new AdamConfig(cfg.lr(), 0.9, 0.999, 1e-8, 0, false));
        if (out != null) {
            Files.createDirectories(out);
            Files.deleteIfExists(out.resolve("log.jsonl"));
        }
    }

    /** The per-layer target densities of density index k (IMP's schedule, as the zoo records it in float32, read back as its shortest decimal). */
    public static double[] layerDensity(TicketZoo zoo, int k) {
        double[] ld = new double[zoo.spec().numLayers()];
        for (int l = 0; l < ld.length; l++) ld[l] = Double.parseDouble(Float.toString(zoo.layerDensity(k, l))); // 0.1f as 0.1
        return ld;
    }

    /** The model's parameters. */
    public Params params() {
        return params;
    }

    /** The model being trained. */
    public Sequential model() {
        return model;
    }

    /** Trains for the configured epochs and evaluates the best parameters on the test split. */
    public Result fit() throws IOException {
        long t0 = System.nanoTime();
        int[] train = splits.train();
        double best = Double.POSITIVE_INFINITY;
        int bestEpoch = -1;
        float[] bestParams = null;
        for (int epoch = 0; epoch < cfg.epochs(); epoch++) {
            double sum = 0;
            for (int[] idx : Trainer.batches(train, cfg.seed(), epoch, cfg.batchSize())) sum += step(idx, true) * idx.length;
            double val = loss(splits.val());
            boolean isBest = val < best || bestEpoch < 0;
            if (isBest) {
                best = val;
                bestEpoch = epoch;
                bestParams = hostParams();
                if (out != null) save(out.resolve("best.safetensors"), epoch, val);
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("epoch", epoch + 1);
            row.put("train_loss", sum / train.length);
            row.put("val_loss", val);
            row.put("best", isBest);
            log(row);
        }
        ops.upload(bestParams, 0, params.valueBuffer().at(0), bestParams.length);
        int[] test = splits.test();
        double testLoss = loss(test), nfn = 0, mag = 0, rnd = 0;
        for (int n : test) {
            float[] imp = zoo.mask(n, cfg.density()), init = zoo.init(n);
            nfn += TicketMasks.iou(spec, predictMask(init), imp);
            mag += TicketMasks.iou(spec, TicketMasks.magnitude(spec, init, layerDensity), imp);
            rnd += TicketMasks.iou(spec, TicketMasks.random(spec, layerDensity, cfg.seed() * 1_000_003L + n), imp);
        }
        Result r = new Result(bestEpoch + 1, best, testLoss, nfn / test.length, mag / test.length, rnd / test.length,
                out == null ? null : out.resolve("best.safetensors"), (System.nanoTime() - t0) / 1e9);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("test_loss", testLoss);
        row.put("test_iou", Map.of("nfn", r.nfnIou(), "magnitude", r.magnitudeIou(), "random", r.randomIou()));
        row.put("best_epoch", bestEpoch + 1);
        log(row);
        return r;
    }

    /** One forward (and, when training, backward and Adam step) on networks idx; the batch's mean loss. */
    private double step(int[] idx, boolean train) {
        int B = idx.length, P = (int) one.size();
        float[] x = new float[B * P], t = new float[B * P], w = new float[B * P];
        float[] xs = new float[B * P], ts = new float[B * P], ws = new float[B * P];
        int[] seq = new int[B];
        for (int b = 0; b < B; b++) {
            int n = idx[b];
            float[] mask = zoo.mask(n, cfg.density());
            System.arraycopy(TicketMasks.normalise(spec, zoo.init(n)), 0, xs, b * P, P);
            System.arraycopy(mask, 0, ts, b * P, P);
            System.arraycopy(TicketMasks.lossWeights(spec, mask, layerDensity), 0, ws, b * P, P);
            seq[b] = b;
        }
        WsLayout batch = one.withBatch(B);
        if (modelConfig.flat()) { // [B, P]: the networks one after another
            x = xs;
            t = ts;
            w = ws;
        } else {
            batch.gather(xs, seq, x);
            batch.gather(ts, seq, t);
            batch.gather(ws, seq, w);
        }
        float[] z = forward(batch, x, train);
        float[] g = train ? new float[z.length] : null;
        double loss = MaskLoss.compute(z, t, w, g);
        if (train) {
            if (gradBuf == null || gradBuf.buf().length() < g.length) gradBuf = ops.alloc(g.length).at(0);
            ops.upload(g, 0, gradBuf, g.length);
            model.backward(lastOut.withData(gradBuf));
            adam.step();
        }
        return loss;
    }

    private Value lastOut;

    private float[] forward(WsLayout batch, float[] x, boolean train) {
        if (inputBuf == null || inputBuf.buf().length() < x.length) inputBuf = ops.alloc(x.length).at(0);
        ops.upload(x, 0, inputBuf, x.length);
        if (train) params.zeroGrad();
        model.setTraining(train, adam.steps());
        Value y = model.forward(input(modelConfig.flat(), batch, inputBuf));
        model.setTraining(false, adam.steps());
        lastOut = y;
        float[] z = new float[x.length];
        ops.download(y.data(), z, 0, z.length);
        return z;
    }

    /** Mean loss over networks, in batches of the training batch size, without training. */
    public double loss(int[] indices) {
        double sum = 0;
        for (int from = 0; from < indices.length; from += cfg.batchSize()) {
            int[] idx = Arrays.copyOfRange(indices, from, Math.min(indices.length, from + cfg.batchSize()));
            sum += step(idx, false) * idx.length;
        }
        return sum / indices.length;
    }

    /** The logits of one initialisation (canonical layout in and out). */
    public float[] predictLogits(float[] init) {
        return logits(ops, modelConfig.flat(), model, spec, init);
    }

    /** The predicted mask of one initialisation at this trainer's density. */
    public float[] predictMask(float[] init) {
        return TicketMasks.topK(spec, predictLogits(init), layerDensity);
    }

    /** The logits an equivariant NFN gives one initialisation (normalised first; canonical layout in and out). */
    public static float[] logits(Ops ops, Sequential model, NetworkSpec spec, float[] init) {
        return logits(ops, false, model, spec, init);
    }

    /** The logits a mask predictor (flat: the MLP baseline) gives one initialisation (normalised first; canonical layout in and out). */
    static float[] logits(Ops ops, boolean flat, Sequential model, NetworkSpec spec, float[] init) {
        float[] x = TicketMasks.normalise(spec, init);
        Ptr in = ops.alloc(x.length).at(0);
        ops.upload(x, 0, in, x.length);
        Value y = model.forward(input(flat, new WsLayout(spec, 1, 1), in));
        float[] z = new float[x.length];
        ops.download(y.data(), z, 0, z.length);
        return z;
    }

    /** The model's input: a weight space for the NFN, the flat {@code [B, P]} tensor for the baseline. */
    private static Value input(boolean flat, WsLayout batch, Ptr data) {
        return flat ? new Tensor(new int[]{batch.batch(), (int) batch.withBatch(1).size()}, data) : new WeightSpace(batch, data);
    }

    private float[] hostParams() {
        float[] v = new float[Math.toIntExact(params.count())];
        ops.download(params.valueBuffer().at(0), v, 0, v.length);
        return v;
    }

    private void save(Path file, int epoch, double val) throws IOException {
        Map<String, String> md = modelConfig.metadata(spec);
        md.put("task", TASK);
        md.put("density", Float.toString(zoo.densities()[cfg.density()]));
        StringJoiner j = new StringJoiner(",");
        for (double d : layerDensity) j.add(Double.toString(d));
        md.put("layer_density", j.toString());
        md.put("epoch", String.valueOf(epoch + 1));
        md.put("val_loss", String.format(Locale.ROOT, "%.6g", val));
        Checkpoints.saveParams(file, "", params, md);
    }

    private void log(Map<String, Object> row) throws IOException {
        if (out == null) return;
        try (BufferedWriter w = Files.newBufferedWriter(out.resolve("log.jsonl"), StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            w.write(JSON.writeValueAsString(row));
            w.newLine();
        }
    }
}
