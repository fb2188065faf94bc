package dev.nfn4j.cli;

import dev.nfn4j.io.AtomicFile;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.train.Classifier;
import dev.nfn4j.train.Ensemble;
import dev.nfn4j.train.Metrics;
import dev.nfn4j.zoo.ZooDataset;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate checkpoints on a zoo split: Kendall's tau, R^2, L1 error. With several checkpoints, also their ensemble (the mean prediction).",
                "Mask predictors (train --task ticket; several of a kind are seeds) on a ticket zoo: test accuracy of training under each mask source, per density.",
                "An INR-editing checkpoint (train --task edit): the MSE of the edited SIRENs and of the SIRENs unedited (--zoo: default the one it was trained on).",
                "A classifier checkpoint (train --task classify) with --zoo SIREN_ZOO: top-1 accuracy, loss and the confusion matrix."})
final class EvalCommand implements Callable<Integer> {
    @Parameters(index = "0..*", arity = "1..*", paramLabel = "CHECKPOINT", description = "One or more model checkpoints (best.safetensors).")
    List<Path> checkpoints;

    @Mixin ZooOptions zoo;

    @Option(names = "--split", defaultValue = "test", description = "train, val or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--predictions", paramLabel = "FILE",
            description = "Also write one CSV row per network: row (its weights.npy row, or index in the built-in zoo), target, prediction "
                    + "(the ensemble's mean with several checkpoints), then prediction.1, prediction.2, ... per checkpoint when there are several.")
    Path predictionsFile;

    @Mixin TicketEval.Options ticket;

    @Override
    public Integer call() throws Exception {
        if (TicketEval.isTicketCheckpoint(checkpoints.getFirst())) return TicketEval.run(checkpoints, zoo, split, ticket);
        if (EditTraining.isEditCheckpoint(checkpoints.getFirst())) return EditTraining.evaluate(checkpoints, zoo.zooDir, split);
        if (Classifier.isClassifier(checkpoints.getFirst())) return ClassifierRuns.eval(checkpoints, zoo.zooDir, split);
        ZooDataset data = zoo.load(true);
        try (Ensemble models = Ensemble.load(checkpoints, Backends.get())) {
            return evaluate(data, models);
        }
    }

    private int evaluate(ZooDataset data, Ensemble models) throws IOException {
        if (!data.spec().equals(models.spec()))
            throw new IllegalArgumentException("the model was trained on networks " + models.spec() + " but the zoo holds " + data.spec()
                    + " (" + checkpoints.get(0) + ")");
        int[] idx = data.splits().get(split);
        int k = checkpoints.size();
        float[] actual = new float[idx.length], mean = new float[idx.length];
        float[][] each = new float[k][idx.length];
        for (int from = 0; from < idx.length; from += 64) {
            int[] chunk = Arrays.copyOfRange(idx, from, Math.min(idx.length, from + 64));
            ZooDataset.Batch b = data.batch(chunk);
            float[][] pred = models.predictEach(b.weights());
            for (int m = 0; m < k; m++) System.arraycopy(pred[m], 0, each[m], from, chunk.length);
            System.arraycopy(Ensemble.mean(pred), 0, mean, from, chunk.length);
            System.arraycopy(b.targets(), 0, actual, from, chunk.length);
        }
        for (int m = 0; m < k; m++) {
            String model = models.members().get(m).model().toString();
            report(k == 1 ? model : checkpoints.get(m) + " (" + model + ")", idx.length, actual, each[m]);
        }
        if (k > 1) report("ensemble of " + k + " (mean prediction)", idx.length, actual, mean);
        if (predictionsFile != null) {
            writePredictions(data, idx, actual, mean, k > 1 ? Arrays.asList(each) : List.of());
            System.out.println("wrote " + predictionsFile);
        }
        return 0;
    }

    private void report(String who, int n, float[] actual, float[] pred) {
        System.out.printf("%s on %s split (%d networks): tau %.4f  R^2 %.4f  L1 %.4f%n", who, split, n,
                Metrics.kendallTau(actual, pred), Metrics.r2(actual, pred), Metrics.meanAbsError(actual, pred));
    }

    /** {@code predictions}: each member's, for the prediction.k columns (none for a single checkpoint). */
    private void writePredictions(ZooDataset data, int[] idx, float[] actual, float[] mean, List<float[]> predictions) throws IOException {
        StringWriter text = new StringWriter();
        try (CSVPrinter csv = new CSVPrinter(text, CSVFormat.DEFAULT.builder().setRecordSeparator('\n').get())) {
            List<String> header = new ArrayList<>(List.of("row", "target", "prediction"));
            for (int k = 1; k <= predictions.size(); k++) header.add("prediction." + k);
            csv.printRecord(header);
            for (int i = 0; i < idx.length; i++) {
                List<Object> row = new ArrayList<>(List.of(data.sourceRow(idx[i]), actual[i], mean[i]));
                for (float[] pred : predictions) row.add(pred[i]);
                csv.printRecord(row);
            }
        }
        AtomicFile.write(predictionsFile, text.toString().getBytes(StandardCharsets.UTF_8));
    }
}
