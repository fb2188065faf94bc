package dev.nfn4j.cli;

import dev.nfn4j.ops.Backends;
import dev.nfn4j.train.Classifier;
import dev.nfn4j.train.Ensemble;
import dev.nfn4j.train.NetworkInputs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Predict the test accuracy of networks from their weights. Each INPUT is one of:",
                "  a Small CNN Zoo folder (weights.npy, layout.csv; TensorFlow layout), all rows or --rows;",
                "  a .safetensors or .npz file holding a batch of networks as PREFIX.weight.i [B, 1, out, in(, h, w)] and PREFIX.bias.i [B, 1, out],",
                "    or one PyTorch state_dict of an nn.Sequential MLP or CNN (weight, bias per layer; conv weights [out, in, kh, kw]; F32, F64, F16 or BF16);",
                "  a .npy of flattened networks, [P] or [N, P]: each row the state_dict's tensors flattened in module order (weight then bias per layer).",
                "Prints one line per network: INPUT[index or row], TAB, the prediction.",
                "With a classifier checkpoint (train --task classify), each INPUT is a SIREN zoo folder, a SIREN state_dict (.safetensors, nfn's names)",
                "or flattened SIRENs (.npy, [P] or [N, P]); each line is INPUT[row], TAB, the predicted class and its name, TAB, its probability."})
final class PredictCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CHECKPOINT") Path checkpoint;
    @Parameters(index = "1..*", arity = "1..*", paramLabel = "INPUT") List<Path> inputs;

    @Option(names = "--prefix", defaultValue = "input", description = "Tensor name prefix of weight-space batches (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Option(names = "--rows", split = ",", paramLabel = "R", description = "Rows to predict from a zoo folder or a flat .npy (default: all).")
    long[] rows;

    @Option(names = "--ensemble", split = ",", paramLabel = "CHECKPOINT",
            description = "More checkpoints: print the mean of all their predictions and CHECKPOINT's (an ensemble; see eval to score one).")
    List<Path> more = List.of();

    @Override
    public Integer call() throws Exception {
        if (Classifier.isClassifier(checkpoint)) {
            if (!more.isEmpty()) throw new IllegalArgumentException("--ensemble does not apply to a classifier checkpoint");
            return ClassifierRuns.predict(checkpoint, inputs, rows);
        }
        List<Path> all = new ArrayList<>(List.of(checkpoint));
        all.addAll(more);
        try (Ensemble p = Ensemble.load(all, Backends.get())) {
            for (Path in : inputs) {
                NetworkInputs.Networks x = NetworkInputs.read(in, p.spec(), prefix, rows);
                float[] pred;
                try {
                    pred = p.predict(x.weights());
                } catch (IllegalArgumentException e) { // the weights are readable but not a model's input: name the file
                    throw new IllegalArgumentException(e.getMessage() + (e.getMessage().contains(in.toString()) ? "" : " (" + in + ")"), e);
                }
                for (int b = 0; b < pred.length; b++) System.out.printf("%s\t%.6f%n", x.labels().get(b), pred[b]);
            }
        }
        return 0;
    }
}
