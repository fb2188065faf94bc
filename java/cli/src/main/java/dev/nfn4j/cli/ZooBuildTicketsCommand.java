package dev.nfn4j.cli;

import dev.nfn4j.zoo.build.CnnZooBuilder;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.TicketArch;
import dev.nfn4j.zoo.build.TicketZooBuilder;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "build-tickets", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Build a lottery-ticket zoo on Fashion-MNIST: per network a random initialisation (family and scale drawn per network)",
                "and iterative magnitude pruning with rewinding to it: train, prune the smallest surviving weights per layer (the last layer at",
                "half the rate), rewind, retrain, once per density. Writes tickets.safetensors (initialisations, masks, accuracies) to --out.",
                "Resumable: run the same command again to continue a stopped build."})
final class ZooBuildTicketsCommand implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "DIR", description = "Folder with the four Fashion-MNIST IDX .gz files (default: ${DEFAULT-VALUE}; apt-get install dataset-fashion-mnist).")
    Path data = ImageData.DEBIAN_FASHION_MNIST;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (created; an unfinished build there is resumed).")
    Path out;

    @Option(names = "--arch", defaultValue = "mlp", paramLabel = "mlp|cnn",
            description = "mlp: 784-64-64-10 ReLU; cnn: the Small CNN Zoo CNN (ReLU, no dropout) (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--networks", defaultValue = "" + TicketZooBuilder.DEFAULT_NETWORKS, description = "Number of networks (default: ${DEFAULT-VALUE}).")
    int networks;

    @Option(names = "--sparsities", defaultValue = "0.5,0.2,0.1,0.05", split = ",", paramLabel = "D1,D2,...",
            description = "Densities (fractions of weights kept) to prune to, strictly decreasing in (0, 1), one IMP round each (default: ${DEFAULT-VALUE}).")
    List<Double> densities;

    @Option(names = "--steps", paramLabel = "T", description = "Training steps of every run, dense and masked (default: 150 for mlp, 60 for cnn).")
    Integer steps;

    @Option(names = "--batch", paramLabel = "B", description = "Images per step (default: 64).")
    Integer batch;

    @Option(names = "--lr", paramLabel = "LR", description = "Adam learning rate (default: 2e-3 for mlp, 1e-2 for cnn).")
    Float lr;

    @Option(names = "--test-images", paramLabel = "N", description = "Accuracy is measured on the first N test images (default: 1000).")
    Integer testImages;

    @Option(names = "--seed", defaultValue = "0", description = "Zoo seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", defaultValue = "0", description = "Networks trained at once (0: all cores; does not change the zoo).")
    int threads;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        TicketArch a = TicketArch.parse(arch);
        TicketArch.Recipe d = TicketZooBuilder.defaultRecipe(a);
        TicketArch.Recipe recipe = new TicketArch.Recipe(steps == null ? d.steps() : steps, batch == null ? d.batch() : batch,
                lr == null ? d.learningRate() : lr, testImages == null ? d.testImages() : testImages);
        double[] dens = densities.stream().mapToDouble(Double::doubleValue).toArray();
        TicketZooBuilder.Config c = new TicketZooBuilder.Config(a, seed, networks, dens, recipe, threads);
        ImageData.Split split = ImageData.load(data);
        System.out.printf("data     %s: %d training and %d test images of %dx%d%n", data, split.train().count(), split.test().count(),
                split.train().rows(), split.train().cols());
        ProgressBar[] pb = {null};
        TicketZooBuilder.Summary s;
        try {
            s = TicketZooBuilder.build(split, out, c, done -> {
                if (System.console() == null) return;
                if (pb[0] == null)
                    pb[0] = new ProgressBarBuilder().setTaskName("IMP on the ticket zoo").setInitialMax(networks).setStyle(ProgressBarStyle.ASCII)
                            .setUpdateIntervalMillis(250).continuousUpdate().clearDisplayOnFinish().build();
                pb[0].stepTo(done);
            });
        } finally {
            if (pb[0] != null) pb[0].close();
        }
        System.out.printf("zoo      %s: %d %s networks, %d steps per run, %s in %.1f s%n", out.resolve(TicketZooBuilder.ZOO_FILE), s.networks(), a.name(),
                recipe.steps(), s.alreadyComplete() ? "already complete" : s.trained() + " built" + (s.resumed() > 0 ? ", " + s.resumed() + " resumed" : ""),
                (System.nanoTime() - t0) / 1e9);
        for (int k = 0; k <= dens.length; k++) {
            float[] acc = new float[s.networks()];
            for (int n = 0; n < acc.length; n++) acc[n] = s.accuracy()[n][k];
            System.out.printf("test accuracy %-13s %s%n", k == 0 ? "dense" : String.format(Locale.ROOT, "density %.3g", dens[k - 1]), CnnZooBuilder.quartiles(acc));
        }
        return 0;
    }
}
