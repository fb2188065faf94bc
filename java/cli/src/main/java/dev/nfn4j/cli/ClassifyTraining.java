package dev.nfn4j.cli;

import dev.nfn4j.nn.ClassifierConfig;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.train.ClassifyData;
import dev.nfn4j.train.ClassifyTrainer;
import dev.nfn4j.zoo.SirenZoo;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code train --task classify}: a classifier of the SIRENs of a SIREN zoo ({@code zoo build-siren})
 * by their image's class. Options not given take the defaults below (smaller than nfn's inv_ff
 * config, whose 512-channel NF-Layers and 200,000 steps are GPU-sized).
 */
final class ClassifyTraining {
    /**
     * Defaults of --task classify where the option is not given: the configuration measured in
     * BENCHMARKS.md. Fourier scale 1 rather than nfn's 10, since the inputs are standardized;
     * no head dropout, since short runs underfit.
     */
    static final int[] HIDDEN = {32, 32, 32}, HEAD = {1000, 1000};
    static final int FOURIER = 16, BATCH = 32;
    static final double FOURIER_SCALE = 1, HEAD_DROPOUT = 0, LR = 1e-3;
    /** Options of the other tasks, refused here rather than ignored. */
    private static final List<String> NOT_HERE = List.of("--pool", "--act", "--append-stats", "--loss", "--normalize", "--no-normalize",
            "--weight-decay", "--adamw", "--patience", "--resume", "--sparsity", "--step", "--train-steps", "--split-order", "--networks",
            "--zoo-seed", "--cache", "--split-seed");

    private ClassifyTraining() {
    }

    /** The model of the options, with this task's defaults where an option is not given. */
    static ClassifierConfig model(ModelOptions m, ClassifyOptions c, ParseResult given) {
        TrainCommand.refuseOptions("classify", NOT_HERE, given::hasMatchedOption, "HNP pooling, ReLU, Adam");
        String kind = given.hasMatchedOption("--model") ? m.kind : "hnp";
        int[] hidden = given.hasMatchedOption("--hidden") ? m.hidden : HIDDEN;
        int[] head = given.hasMatchedOption("--head") ? m.head : HEAD;
        int fourier = given.hasMatchedOption("--fourier") ? m.fourier : FOURIER;
        double scale = given.hasMatchedOption("--fourier-scale") ? m.fourierScale : FOURIER_SCALE;
        double headDropout = c.headDropout != null ? c.headDropout : HEAD_DROPOUT;
        try {
            return new ClassifierConfig(kind, hidden, fourier, scale, c.ioEncoding, m.dropout, head, headDropout, dev.nfn4j.zoo.ImageData.CLASSES);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--model " + kind + ": " + e.getMessage(), e);
        }
    }

    static ClassifyTrainer.Config config(TrainOptions t, ParseResult given) {
        int batch = given.hasMatchedOption("--batch") ? t.batch : BATCH;
        double lr = given.hasMatchedOption("--lr") ? t.lr : LR;
        if (t.epochs < 1) throw new IllegalArgumentException("--epochs must be >= 1, got " + t.epochs);
        if (batch < 1) throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("--lr must be a finite number > 0, got " + lr);
        if (t.warmup < 0) throw new IllegalArgumentException("--warmup must be >= 0, got " + t.warmup);
        return new ClassifyTrainer.Config(t.epochs, batch, lr, t.warmup, t.seed);
    }

    /** The zoo's classification data; a folder that is not a SIREN zoo, or whose pieces disagree, is refused. */
    static ClassifyData data(Path zooDir) throws IOException {
        if (zooDir == null) throw new IllegalArgumentException("--task classify needs --zoo DIR (a folder made by 'nfn4j zoo build-siren')");
        return ClassifyData.of(SirenZoo.read(zooDir));
    }

    static int run(ZooOptions zo, ModelOptions mo, ClassifyOptions co, TrainOptions to, Path out, ParseResult given) throws IOException {
        ClassifierConfig model = model(mo, co, given);
        ClassifyTrainer.Config cfg = config(to, given);
        ClassifyData data = data(zo.zooDir);
        System.out.printf(Locale.ROOT, "data     %s: %d SIRENs, %d classes; train %d (all copies), val %d, test %d (copy 0)%n", zo.zooDir,
                data.labels().length, data.classes(), data.train().length, data.val().length, data.test().length);
        System.out.printf(Locale.ROOT, "model    %s; %d epochs, batch %d, lr %s%s, seed %d on %s%n", model, cfg.epochs(), cfg.batchSize(), cfg.lr(),
                cfg.warmup() > 0 ? " warm-up " + cfg.warmup() : "", cfg.seed(), Backends.get().describe());
        ClassifyTrainer t = new ClassifyTrainer(Backends.get(), model, data, cfg, out);
        ClassifyTrainer.Result r = t.fit();
        System.out.printf(Locale.ROOT, "test     accuracy %.2f%%  loss %.4f  (%d networks; best epoch %d, val accuracy %.2f%%; %.1f s, %.2f steps/s)%n",
                100 * r.test().accuracy(), r.test().loss(), r.test().confusion().total(), r.bestEpoch(), 100 * r.bestValAccuracy(), r.seconds(),
                r.stepsPerSecond());
        System.out.print(r.test().confusion().table(data.names()));
        System.out.printf("files    %s, %s%n", r.checkpoint(), out.resolve(ClassifyTrainer.LOG));
        return 0;
    }
}
