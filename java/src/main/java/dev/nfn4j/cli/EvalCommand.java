package dev.nfn4j.cli;

import dev.nfn4j.ops.Backends;
import dev.nfn4j.train.Metrics;
import dev.nfn4j.train.Predictor;
import dev.nfn4j.zoo.ZooDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate a checkpoint on a zoo split: Kendall's tau, R^2, L1 error.")
final class EvalCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CHECKPOINT") Path checkpoint;
    @Mixin ZooOptions zoo;

    @Option(names = "--split", defaultValue = "test", description = "train, val or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Override
    public Integer call() throws Exception {
        Predictor p = Predictor.load(checkpoint, Backends.get());
        ZooDataset data = zoo.load(true);
        if (!data.spec().equals(p.spec()))
            throw new IllegalArgumentException(checkpoint + " was trained on networks " + p.spec() + " but the zoo holds " + data.spec());
        int[] idx = data.splits().get(split);
        float[] pred = new float[idx.length], actual = new float[idx.length];
        for (int from = 0; from < idx.length; from += 64) {
            int[] chunk = Arrays.copyOfRange(idx, from, Math.min(idx.length, from + 64));
            ZooDataset.Batch b = data.batch(chunk);
            System.arraycopy(p.predict(b.weights()), 0, pred, from, chunk.length);
            System.arraycopy(b.targets(), 0, actual, from, chunk.length);
        }
        System.out.printf("%s on %s split (%d networks): tau %.4f  R^2 %.4f  L1 %.4f%n", p.model(), split, idx.length,
                Metrics.kendallTau(actual, pred), Metrics.r2(actual, pred), Metrics.meanAbsError(actual, pred));
        return 0;
    }
}
