package dev.nfn4j.cli;

import dev.nfn4j.nn.ClassifierConfig;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.train.Classifier;
import dev.nfn4j.train.ClassifyData;
import dev.nfn4j.train.ClassifyTrainer;
import dev.nfn4j.train.EditModel;
import dev.nfn4j.train.EditNet;
import dev.nfn4j.train.EditTrainer;
import dev.nfn4j.zoo.EditTargets;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.ImageStyle;
import dev.nfn4j.zoo.SirenZoo;
import dev.nfn4j.zoo.build.SirenZooBuilder;
import dev.nfn4j.zoo.build.ZooGenerator;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code demo --task inr}: both INR experiments in small on one cached SIREN zoo of
 * {@link #IMAGES} Fashion-MNIST images x {@link #PER_IMAGE} SIRENs. Classification: the HNP-NFN
 * against the MLP and StatNN baselines (test accuracy); editing (dilate): the HNP-NFN against the
 * MLP transfer net and no edit (test MSE). Draws one grid of each.
 */
final class InrDemo {
    static final int IMAGES = 1000, PER_IMAGE = 1, CLASSIFY_EPOCHS = 40, EDIT_EPOCHS = 3;
    private static final List<String> CLASSIFIERS = List.of("hnp", "mlp", "statnn"), EDITORS = List.of("hnp", "mlp");

    private InrDemo() {
    }

    /** The demo zoo's folder: beside the built-in zoo's cache ({@code ~/.cache/nfn4j/inr-demo}). */
    static Path cacheDir() {
        return ZooGenerator.defaultCacheDir().resolveSibling("inr-demo");
    }

    static int run(Path data, Path out, long seed) throws IOException {
        long t0 = System.nanoTime();
        Ops ops = Backends.get();
        Path zooDir = cacheDir();
        ImageData.Split images = ImageData.load(data);
        SirenZooBuilder.Config zc = new SirenZooBuilder.Config(0, IMAGES, PER_IMAGE, SirenZooBuilder.DEFAULT_STEPS, SirenZooBuilder.DEFAULT_BATCH);
        SirenZooBuilder.Summary s = SirenZooBuilder.build(images, zooDir, zc, ops, null);
        SirenZoo zoo = SirenZoo.read(zooDir);
        System.out.printf(Locale.ROOT, "backend  %s%nzoo      %s: %d SIRENs of %d images (%s, mean PSNR %.1f dB) in %.1f s%n", ops.describe(), zooDir,
                zoo.size(), IMAGES, s.alreadyComplete() ? "cached" : "fitted", s.meanPsnr(), (System.nanoTime() - t0) / 1e9);

        ClassifyData cd = ClassifyData.of(zoo);
        StringBuilder classify = new StringBuilder(String.format(Locale.ROOT, "%n%-8s %-14s %s%n", "classify", "test accuracy", "train s"));
        Path classifierCheckpoint = null;
        for (String kind : CLASSIFIERS) {
            ClassifierConfig m = new ClassifierConfig(kind, ClassifyTraining.HIDDEN, kind.equals("hnp") ? ClassifyTraining.FOURIER : 0,
                    ClassifyTraining.FOURIER_SCALE, false, 0, ClassifyTraining.HEAD, ClassifyTraining.HEAD_DROPOUT, ImageData.CLASSES);
            ClassifyTrainer.Config c = new ClassifyTrainer.Config(CLASSIFY_EPOCHS, ClassifyTraining.BATCH, ClassifyTraining.LR, 0, seed);
            ClassifyTrainer.Result r = new ClassifyTrainer(ops, m, cd, c, out.resolve("classify-" + kind)).fit();
            classify.append(String.format(Locale.ROOT, "%-8s %12.1f%%  %7.1f%n", m.kind(), 100 * r.test().accuracy(), r.seconds()));
            System.out.printf(Locale.ROOT, "trained  classifier %-6s test accuracy %.1f%% (%d images) in %.1f s%n", m.kind(), 100 * r.test().accuracy(),
                    r.test().confusion().total(), r.seconds());
            if (kind.equals("hnp")) classifierCheckpoint = r.checkpoint();
        }

        ImageStyle style = ImageStyle.parse("dilate");
        EditTargets targets = new EditTargets(zoo, images, style);
        StringBuilder edit = new StringBuilder(String.format(Locale.ROOT, "%n%-8s %-14s %s%n", "edit", "test MSE", "train s"));
        Path editCheckpoint = null;
        double noEdit = Double.NaN;
        for (String kind : EDITORS) {
            EditNet net = EditNet.nfn(kind);
            EditModel model = new EditModel(ops, net, style, targets.rows(), targets.cols(), seed);
            EditTrainer.Config c = new EditTrainer.Config(EDIT_EPOCHS, EditTraining.NFN_BATCH, 1e-3, 20, seed, 0, 0, false);
            Map<String, String> md = Map.of("zoo", zooDir.toAbsolutePath().toString(), "data", data.toAbsolutePath().toString(), "seed", String.valueOf(seed));
            EditTrainer.Result r = new EditTrainer(model, zoo, targets, c, out.resolve("edit-" + kind), md).fit();
            edit.append(String.format(Locale.ROOT, "%-8s %14.4f  %7.1f%n", net.kind(), r.testMse(), r.seconds()));
            System.out.printf(Locale.ROOT, "trained  editor %-6s test MSE %.4f (no edit %.4f) in %.1f s%n", net.kind(), r.testMse(), r.noEditTestMse(), r.seconds());
            noEdit = r.noEditTestMse();
            if (kind.equals("hnp")) editCheckpoint = r.checkpoint();
        }
        edit.append(String.format(Locale.ROOT, "%-8s %14.4f%n", "no edit", noEdit));
        System.out.print(classify);
        System.out.print(edit);

        Path classifyPng = out.resolve("inr-classify.png"), editPng = out.resolve("inr-edit.png");
        RenderCommand.writeWithPredictions(Classifier.load(classifierCheckpoint, ops), zoo, RenderCommand.ids(zoo, null, "test", 6), images, ops, classifyPng);
        EditTraining.render(editCheckpoint, zooDir, data, editPng, null, "test", 6);
        System.out.printf(Locale.ROOT, "%ntotal    %.1f s; pictures %s, %s%n", (System.nanoTime() - t0) / 1e9, classifyPng.toAbsolutePath(),
                editPng.toAbsolutePath());
        return 0;
    }
}
