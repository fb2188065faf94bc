package dev.nfn4j.cli;

import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.build.SirenZooBuilder;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "build-siren", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Build a SIREN zoo on Fashion-MNIST: K SIRENs 2-32-32-1 (omega 30, nfn's experiments) fitted to each of N images, Adam at lr 1e-3,",
                "many at a time through the SIREN op. Splits: a tenth of the images each for val (training images) and test (test images), the rest train.",
                "Writes weights.npy (one SIREN per row, nfn's state_dict order) and sirens.csv (split, source image, label, copy, PSNR) to --out.",
                "Resumable: run the same command again to continue a stopped build; the result does not depend on --threads."})
final class ZooBuildSirenCommand implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "DIR", description = "Folder with the four Fashion-MNIST IDX .gz files (default: ${DEFAULT-VALUE}; apt-get install dataset-fashion-mnist).")
    Path data = ImageData.DEBIAN_FASHION_MNIST;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (created; an unfinished build there is resumed).")
    Path out;

    @Option(names = "--images", defaultValue = "1000", description = "Images in all, train + val + test (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--per-image", defaultValue = "10", paramLabel = "K", description = "SIRENs per image, each from its own initialisation (default: ${DEFAULT-VALUE}).")
    int perImage;

    @Option(names = "--steps", defaultValue = "250", description = "Adam steps per SIREN (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch", defaultValue = "100", description = "SIRENs fitted at once, one part file each (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seed", defaultValue = "0", description = "Zoo seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", defaultValue = "0", description = "Worker threads of the simd backend (0: all cores; does not change the zoo).")
    int threads;

    @Override
    public Integer call() throws Exception {
        SirenZooBuilder.Config c = new SirenZooBuilder.Config(seed, images, perImage, steps, batch);
        ImageData.Split d = ImageData.load(data);
        Ops ops = threads > 0 ? Backends.byName(Backends.get().name(), threads) : Backends.get();
        System.out.printf("data     %s: %d training and %d test images of %dx%d%n", data, d.train().count(), d.test().count(), d.train().rows(), d.train().cols());
        System.out.printf("backend  %s%n", ops.describe());
        ProgressBar[] pb = {null};
        SirenZooBuilder.Summary s;
        try {
            s = SirenZooBuilder.build(d, out, c, ops, done -> {
                if (System.console() == null) return;
                if (pb[0] == null)
                    pb[0] = new ProgressBarBuilder().setTaskName("fitting SIRENs").setInitialMax(c.sirens()).setStyle(ProgressBarStyle.ASCII)
                            .setUpdateIntervalMillis(250).continuousUpdate().clearDisplayOnFinish().build();
                pb[0].stepTo(done);
            });
        } finally {
            if (pb[0] != null) pb[0].close();
        }
        float[] p = s.psnr().clone();
        Arrays.sort(p);
        System.out.printf(Locale.ROOT, "zoo      %s: %d SIRENs (%d images x %d), %s%s%n", out, s.sirens(), images, perImage,
                s.alreadyComplete() ? "already complete" : s.fitted() + " fitted" + (s.resumed() > 0 ? ", " + s.resumed() + " resumed" : ""),
                s.fitted() > 0 ? String.format(Locale.ROOT, " in %.1f s (%.1f SIRENs/s, %d steps each)", s.seconds(), s.fitted() / s.seconds(), steps) : "");
        System.out.printf(Locale.ROOT, "PSNR     mean %.2f dB  min %.2f  q1 %.2f  median %.2f  q3 %.2f  max %.2f%n", s.meanPsnr(), p[0], p[p.length / 4],
                p[p.length / 2], p[3 * p.length / 4], p[p.length - 1]);
        return 0;
    }
}
