package dev.nfn4j.cli;

import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.zoo.build.TicketEvaluation;
import dev.nfn4j.train.TicketMasks;
import dev.nfn4j.train.TicketModel;
import dev.nfn4j.train.TicketPredictor;
import dev.nfn4j.train.TicketTrainer;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.Splits;
import dev.nfn4j.zoo.TicketArch;
import dev.nfn4j.zoo.TicketZoo;
import dev.nfn4j.zoo.build.TicketZooBuilder;
import dev.nfn4j.zoo.build.ZooGenerator;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code demo --task ticket}: the ticket experiment in small. A zoo of {@link #NETWORKS} MLP
 * tickets (built once, then cached), an NP_IO mask predictor (NP with input and output neuron
 * embeddings, which can learn each input pixel's share of the kept weights) and the MLP baseline
 * trained on its training split at density 0.1, and the evaluation table on
 * {@link #EVAL_NETWORKS} held-out networks (masks drawn at the default temperature), with its plot.
 */
final class TicketDemo {
    static final int NETWORKS = 60, EVAL_NETWORKS = 10, EPOCHS = 20;

    private TicketDemo() {
    }

    /** The demo zoo's folder: beside the built-in zoo's cache ({@code ~/.cache/nfn4j/tickets-demo}). */
    static Path cacheDir() {
        return ZooGenerator.defaultCacheDir().resolveSibling("tickets-demo");
    }

    static int run(Path data, Path out, long seed) throws IOException {
        long t0 = System.nanoTime();
        Ops ops = Backends.get();
        Path zooDir = cacheDir();
        TicketArch arch = TicketArch.Mlp.DEFAULT;
        TicketZooBuilder.Config c = new TicketZooBuilder.Config(arch, 0, NETWORKS, TicketZooBuilder.DEFAULT_DENSITIES,
                TicketZooBuilder.defaultRecipe(arch), 0);
        ImageData.Split images = ImageData.load(data);
        TicketZooBuilder.Summary s = TicketZooBuilder.build(images, zooDir, c, null);
        TicketZoo zoo = TicketZoo.read(zooDir.resolve(TicketZooBuilder.ZOO_FILE));
        System.out.printf("backend  %s%nzoo      %s: %d %s tickets (%s) in %.1f s%n", ops.describe(), zooDir, zoo.size(), arch,
                s.alreadyComplete() ? "cached" : "built", (System.nanoTime() - t0) / 1e9);
        Splits splits = Splits.nfn(zoo.size(), 0);
        int density = TicketTraining.densityIndex(zoo, 0.1);
        Map<String, List<TicketPredictor>> predictors = new LinkedHashMap<>();
        TicketModel nfn = TicketModel.nfn(new ModelConfig("NP_IO", new int[]{16, 16, 1}, "relu", InvariantNfn.Pool.NONE, new int[0]));
        for (TicketModel m : List.of(nfn, TicketModel.mlp(64))) {
            long s0 = System.nanoTime();
            Path dir = out.resolve(m.kind().toLowerCase(java.util.Locale.ROOT));
            TicketTrainer.Result r = new TicketTrainer(ops, m, zoo, splits, new TicketTrainer.Config(EPOCHS, 8, m.flat() ? 1e-3 : 3e-3, seed, density), dir).fit();
            System.out.printf("trained  %-6s mask IoU with IMP at density 0.1: %.3f (magnitude %.3f, random %.3f) in %.1f s%n", m.kind(), r.nfnIou(),
                    r.magnitudeIou(), r.randomIou(), (System.nanoTime() - s0) / 1e9);
            predictors.put(m.kind(), List.of(TicketPredictor.load(r.checkpoint(), ops)));
        }
        int[] test = Arrays.copyOf(splits.test(), EVAL_NETWORKS);
        TicketEvaluation.Result r = TicketEvaluation.evaluate(images, zoo, test, predictors, 1, TicketMasks.DEFAULT_TEMPERATURE, Runtime.getRuntime().availableProcessors(), null);
        System.out.printf("%n%s", r.format());
        Path png = out.resolve("tickets.png");
        TicketPlot.write(png, r);
        System.out.printf("total    %.1f s; plot %s%n", (System.nanoTime() - t0) / 1e9, png.toAbsolutePath());
        return 0;
    }
}
