package dev.nfn4j.cli;

import dev.nfn4j.zoo.GeneratedZoo;
import dev.nfn4j.zoo.SmallCnnZoo;
import dev.nfn4j.zoo.ZooDataset;
import dev.nfn4j.zoo.build.ZooGenerator;
import dev.nfn4j.zoo.Zoos;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Where the networks come from: a Small CNN Zoo folder, or the built-in generated zoo (default). */
final class ZooOptions {
    @Option(names = "--zoo", paramLabel = "DIR", description = "A Small CNN Zoo folder (weights.npy, layout.csv, metrics.csv.gz). Default: the built-in zoo.")
    Path zooDir;

    @Option(names = "--step", defaultValue = "86", description = "Small CNN Zoo: keep checkpoints of this step (default: ${DEFAULT-VALUE}).")
    int step;

    @Option(names = "--train-steps", split = ",", paramLabel = "S1,S2,...",
            description = "Small CNN Zoo: also train on these earlier checkpoints of the training runs (same modeldir); validation and test keep --step only.")
    List<Integer> trainSteps = List.of();

    @Option(names = "--split-order", paramLabel = "CSV", description = "Small CNN Zoo: nfn's split-order file (row indices).")
    Path splitOrder;

    @Option(names = "--networks", defaultValue = "1000", description = "Built-in zoo: number of networks (default: ${DEFAULT-VALUE}).")
    int networks;

    @Option(names = "--zoo-seed", defaultValue = "0", description = "Built-in zoo: generator seed (default: ${DEFAULT-VALUE}).")
    long zooSeed;

    @Option(names = "--cache", paramLabel = "DIR", description = "Built-in zoo cache folder (default: ~/.cache/nfn4j/zoo or -Dnfn4j.zoo.cacheDir).")
    Path cache;

    @Option(names = "--split-seed", defaultValue = "0", description = "Seed of the train/validation split (default: ${DEFAULT-VALUE}).")
    long splitSeed;

    ZooDataset load(boolean progress) throws IOException {
        if (zooDir != null) {
            SmallCnnZoo.Options o = SmallCnnZoo.Options.defaults().withStep(step).withSeed(splitSeed).withExtraTrainSteps(trainSteps);
            if (splitOrder != null) o = o.withSplitOrder(splitOrder);
            return SmallCnnZoo.read(zooDir, o);
        }
        if (!trainSteps.isEmpty())
            throw new IllegalArgumentException("--train-steps needs --zoo DIR: the built-in zoo keeps one checkpoint per network");
        return Zoos.dataset(builtin(progress), splitSeed);
    }

    GeneratedZoo builtin(boolean progress) throws IOException {
        if (networks < 10) throw new IllegalArgumentException("--networks must be >= 10 (a zoo is split into train, validation and test)");
        Path dir = cache != null ? cache : ZooGenerator.defaultCacheDir();
        ProgressBar[] pb = {null};
        try {
            return ZooGenerator.defaultZoo(dir, zooSeed, networks, done -> {
                if (!progress || System.console() == null) return;
                if (pb[0] == null)
                    pb[0] = new ProgressBarBuilder().setTaskName("training the zoo").setInitialMax(networks).setStyle(ProgressBarStyle.ASCII)
                            .setUpdateIntervalMillis(250).continuousUpdate().clearDisplayOnFinish().build();
                pb[0].stepTo(done);
            });
        } finally {
            if (pb[0] != null) pb[0].close();
        }
    }

    String describe() {
        return zooDir != null ? "Small CNN Zoo at " + zooDir + " (step " + step + (trainSteps.isEmpty() ? "" : "; training runs also at steps " + trainSteps) + ")" : "built-in zoo (" + networks + " MLPs, seed " + zooSeed + ")";
    }
}
