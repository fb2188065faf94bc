package dev.nfn4j.cli;

import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.Permutation;
import dev.nfn4j.train.Loss;
import dev.nfn4j.train.Predictor;
import dev.nfn4j.train.Trainer;
import dev.nfn4j.zoo.ZooDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * The main job on built-in data: the paper's generalization-prediction experiment end to end.
 * Builds (or loads) the default zoo, trains an HNP-NFN, an NP-NFN and the StatNN baseline to
 * predict each network's test accuracy from its weights, and prints Kendall's tau, R^2 and L1
 * error on the held-out test networks.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Predict networks' test accuracy from their weights on the built-in zoo: HNP-NFN, NP-NFN and StatNN, compared on held-out networks.")
final class DemoCommand implements Callable<Integer> {
    @Mixin ZooOptions zoo;

    @Option(names = "--epochs", defaultValue = "20", description = "Training epochs per model (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", defaultValue = "16", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--head", defaultValue = "256,256", split = ",", description = "MLP head widths (paper: 1000,1000; default: ${DEFAULT-VALUE}).")
    int[] head;

    @Option(names = "--fourier", defaultValue = "8", description = "Fourier input features of the NFNs (0: none; default: ${DEFAULT-VALUE}).")
    int fourier;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of initialization and batch order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", defaultValue = "nfn4j-demo", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Ops ops = Backends.get();
        ZooDataset data = zoo.load(true);
        float[] acc = data.targets();
        System.out.printf("backend  %s%nzoo      %s: %d networks %s, test accuracy %.3f..%.3f; split %d/%d/%d (train/val/test)%n",
                ops.describe(), zoo.describe(), data.size(), data.spec(), min(acc), max(acc),
                data.splits().train().length, data.splits().val().length, data.splits().test().length);
        System.out.printf("zoo      ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);

        List<String[]> rows = new ArrayList<>();
        String[][] models = {{"HNP-NFN", "HNP"}, {"NP-NFN", "NP"}, {"StatNN", "STATNN"}};
        Path hnpCheckpoint = null;
        for (String[] m : models) {
            ModelConfig cfg = new ModelConfig(m[1], new int[]{16, 16, 5}, "relu", dev.nfn4j.nn.InvariantNfn.Pool.HNP, head, m[1].equals("STATNN") ? 0 : fourier, 1, 0);
            Trainer.Config tc = new Trainer.Config(epochs, batch, lr, 0, false, 0, Loss.BINARY_CROSS_ENTROPY, seed, 0, true, true);
            Path dir = out.resolve(m[1].toLowerCase());
            deleteRun(dir);
            long s0 = System.nanoTime();
            Trainer.Result r = new Trainer(ops, cfg, data, tc, dir, false).fit();
            double secs = (System.nanoTime() - s0) / 1e9;
            System.out.printf("trained  %-8s tau %.4f in %.1f s (best epoch %d)%n", m[0], r.test().tau(), secs, r.bestEpoch());
            rows.add(new String[]{m[0], String.format("%.4f", r.test().tau()), String.format("%.4f", r.test().r2()),
                    String.format("%.4f", r.test().l1()), String.format("%.1f", secs), r.checkpoint().toString(), r.plot().toString()});
            if (m[1].equals("HNP")) hnpCheckpoint = r.checkpoint();
        }

        System.out.printf("%n%-8s %-9s %-9s %-9s %-8s %s%n", "model", "test tau", "test R^2", "test L1", "train s", "checkpoint / plot");
        for (String[] r : rows) System.out.printf("%-8s %-9s %-9s %-9s %-8s %s  %s%n", (Object[]) r);

        // The point of an NFN: permuting hidden neurons changes the weights, not the function, nor the prediction.
        Predictor p = Predictor.load(hnpCheckpoint, ops);
        HostWeights x = data.batch(new int[]{data.splits().test()[0]}).weights();
        float before = p.predict(x)[0], after = p.predict(Permutation.randomHidden(data.spec(), new Random(seed)).apply(x))[0];
        System.out.printf("%ninvariance: HNP-NFN predicts %.6f for a test network and %.6f after permuting its hidden neurons%n", before, after);
        System.out.printf("total    %.1f s; logs and plots under %s%n", (System.nanoTime() - t0) / 1e9, out.toAbsolutePath());
        return Math.abs(before - after) < 1e-4 ? 0 : 1;
    }

    private static void deleteRun(Path dir) throws java.io.IOException {
        // A demo run starts fresh: the trainer appends to log.jsonl and would resume from state.safetensors.
        for (String f : new String[]{"log.jsonl", "state.safetensors", "best.safetensors", "test_scatter.png"})
            java.nio.file.Files.deleteIfExists(dir.resolve(f));
    }

    private static float min(float[] a) {
        float m = Float.POSITIVE_INFINITY;
        for (float v : a) m = Math.min(m, v);
        return m;
    }

    private static float max(float[] a) {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : a) m = Math.max(m, v);
        return m;
    }
}
