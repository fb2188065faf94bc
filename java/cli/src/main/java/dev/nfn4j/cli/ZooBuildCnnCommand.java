package dev.nfn4j.cli;

import dev.nfn4j.zoo.build.CnnZooBuilder;
import dev.nfn4j.zoo.ImageData;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "build-cnn", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Build a Small CNN Zoo (Unterthiner et al. 2020) on Fashion-MNIST: 3 conv layers 3x3 of 16 filters, stride 2, global average pooling,",
                "a dense layer to 10 classes; hyperparameters drawn per network; trained in Java. Writes weights.npy, layout.csv and metrics.csv.gz",
                "to --out (read them with: nfn4j train --zoo DIR). Resumable: run the same command again to continue a stopped build."})
final class ZooBuildCnnCommand implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "DIR", description = "Folder with the four Fashion-MNIST IDX .gz files (default: ${DEFAULT-VALUE}; apt-get install dataset-fashion-mnist).")
    Path data = ImageData.DEBIAN_FASHION_MNIST;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (created; an unfinished build there is resumed).")
    Path out;

    @Option(names = "--networks", defaultValue = "2000", description = "Number of networks (default: ${DEFAULT-VALUE}).")
    int networks;

    @Option(names = "--seed", defaultValue = "0", description = "Zoo seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", defaultValue = "0", description = "Networks trained at once (0: all cores; does not change the zoo).")
    int threads;

    @Option(names = "--steps", defaultValue = "20,40,60,86", split = ",", paramLabel = "S1,S2,...",
            description = "Checkpoint steps, ascending; the last is the final step that 'train --step' selects (default: ${DEFAULT-VALUE}).")
    List<Integer> steps;

    @Option(names = "--batch", defaultValue = "64", description = "Images per training step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--test-images", defaultValue = "1000", description = "Accuracy is measured on the first N test images (default: ${DEFAULT-VALUE}).")
    int testImages;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        CnnZooBuilder.Config c = new CnnZooBuilder.Config(seed, networks, batch, steps, testImages, threads);
        ImageData.Split d = ImageData.load(data);
        System.out.printf("data     %s: %d training and %d test images of %dx%d%n", data, d.train().count(), d.test().count(), d.train().rows(), d.train().cols());
        ProgressBar[] pb = {null};
        CnnZooBuilder.Summary s;
        try {
            s = CnnZooBuilder.build(d, out, c, done -> {
                if (System.console() == null) return;
                if (pb[0] == null)
                    pb[0] = new ProgressBarBuilder().setTaskName("training the CNN zoo").setInitialMax(networks).setStyle(ProgressBarStyle.ASCII)
                            .setUpdateIntervalMillis(250).continuousUpdate().clearDisplayOnFinish().build();
                pb[0].stepTo(done);
            });
        } finally {
            if (pb[0] != null) pb[0].close();
        }
        System.out.printf("zoo      %s: %d networks x %d checkpoints (%s), %s in %.1f s%n", out, s.networks(), steps.size(), steps,
                s.alreadyComplete() ? "already complete" : s.trained() + " trained" + (s.resumed() > 0 ? ", " + s.resumed() + " resumed" : ""),
                (System.nanoTime() - t0) / 1e9);
        System.out.printf("test accuracy at step %d: %s%n", c.finalStep(), CnnZooBuilder.quartiles(s.finalTestAccuracy()));
        if (c.finalStep() != 86) System.out.printf("train on it with: nfn4j train --zoo %s --step %d --out DIR%n", out, c.finalStep());
        return 0;
    }
}
