package dev.nfn4j.cli;

import dev.nfn4j.io.Safetensors;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.zoo.build.TicketEvaluation;
import dev.nfn4j.train.TicketMasks;
import dev.nfn4j.train.TicketPredictor;
import dev.nfn4j.train.TicketTrainer;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.Splits;
import dev.nfn4j.zoo.TicketZoo;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code eval} on mask predictors ({@code train --task ticket}): the ticket experiment's table and plot. */
final class TicketEval {
    /** The options of {@code eval} that only mask predictors use. */
    static final class Options {
        @Option(names = "--data", paramLabel = "DIR", description = "Mask predictors: the Fashion-MNIST folder the ticket zoo was built on (default: ${DEFAULT-VALUE}).")
        Path data = ImageData.DEBIAN_FASHION_MNIST;

        @Option(names = "--limit", paramLabel = "N", description = "Mask predictors: evaluate the first N networks of the split (default: all).")
        Integer limit;

        @Option(names = "--threads", defaultValue = "0", description = "Mask predictors: networks trained at once (0: all cores; does not change the numbers).")
        int threads;

        @Option(names = "--plot", paramLabel = "FILE", description = "Mask predictors: also write accuracy against density per mask source as a PNG.")
        Path plot;

        @Option(names = "--temperature", paramLabel = "T", defaultValue = "" + TicketMasks.DEFAULT_TEMPERATURE,
                description = "Mask predictors: their masks are drawn from their keep probabilities sigmoid(logit / T) (default: ${DEFAULT-VALUE}); 0 keeps the top-k logits.")
        double temperature;
    }

    private TicketEval() {
    }

    /** True when the checkpoint is a mask predictor (metadata task=ticket). */
    static boolean isTicketCheckpoint(Path checkpoint) throws IOException {
        return TicketTrainer.TASK.equals(Safetensors.read(checkpoint).metadata().get("task"));
    }

    /**
     * Loads every checkpoint, groups them by model kind (several of a kind are seeds), retrains the
     * split's networks under each source's masks and prints the table; random masks get as many
     * seeds as the largest group.
     */
    static int run(List<Path> checkpoints, ZooOptions zo, String split, Options o) throws IOException {
        if (o.limit != null && o.limit < 1) throw new IllegalArgumentException("--limit must be >= 1, got " + o.limit);
        if (o.threads < 0) throw new IllegalArgumentException("--threads must be >= 0, got " + o.threads);
        TicketMasks.checkTemperature(o.temperature);
        Map<String, List<TicketPredictor>> predictors = new LinkedHashMap<>();
        for (Path c : checkpoints) {
            TicketPredictor p = TicketPredictor.load(c, Backends.get());
            predictors.computeIfAbsent(p.model().kind(), k -> new ArrayList<>()).add(p);
        }
        TicketZoo zoo = TicketZoo.read(TicketTraining.zooFile(zo.zooDir));
        ImageData.Split data = ImageData.load(o.data);
        int[] idx = Splits.nfn(zoo.size(), zo.splitSeed).get(split);
        if (o.limit != null) idx = Arrays.copyOf(idx, Math.min(idx.length, o.limit));
        int seeds = predictors.values().stream().mapToInt(List::size).max().orElse(1);
        System.out.printf("eval     %s: %d %s networks of the %s split, densities %s; %s; %d random seeds%n", zo.zooDir, idx.length, zoo.arch().name(), split,
                Arrays.toString(zoo.densities()), describe(predictors), seeds);
        long t0 = System.nanoTime();
        TicketEvaluation.Result r = TicketEvaluation.evaluate(data, zoo, idx, predictors, seeds, o.temperature,
                o.threads == 0 ? Runtime.getRuntime().availableProcessors() : o.threads, null);
        System.out.print(r.format());
        System.out.printf("time     %.1f s%n", (System.nanoTime() - t0) / 1e9);
        if (o.plot != null) {
            TicketPlot.write(o.plot, r);
            System.out.println("wrote " + o.plot);
        }
        return 0;
    }

    private static String describe(Map<String, List<TicketPredictor>> predictors) {
        List<String> s = new ArrayList<>();
        predictors.forEach((k, v) -> s.add(k + " x" + v.size()));
        return "predictors " + String.join(", ", s);
    }
}
