package dev.nfn4j.cli;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.StateDicts;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.train.Predictor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Predict the test accuracy of networks from their weights.",
                "Each INPUT is a safetensors file holding either a batch of networks as PREFIX.weight.i [B, 1, out, in(, h, w)] and PREFIX.bias.i [B, 1, out],",
                "or one PyTorch state_dict of an nn.Sequential MLP or CNN (weight, bias per layer; conv weights [out, in, kh, kw]; F32, F64, F16 or BF16)."})
final class PredictCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CHECKPOINT") Path checkpoint;
    @Parameters(index = "1..*", arity = "1..*", paramLabel = "INPUT") List<Path> inputs;

    @Option(names = "--prefix", defaultValue = "input", description = "Tensor name prefix in the inputs (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Override
    public Integer call() throws Exception {
        Predictor p = Predictor.load(checkpoint, Backends.get());
        for (Path in : inputs) {
            var file = Safetensors.read(in);
            HostWeights x = file.has(prefix + ".weight.0") ? Checkpoints.readWeights(file, prefix, false) : StateDicts.read(file, p.spec());
            if (!x.layout().spec().equals(p.spec()))
                throw new IllegalArgumentException(in + ": networks shaped " + x.layout().spec() + ", the model expects " + p.spec());
            float[] pred = p.predict(x);
            for (int b = 0; b < pred.length; b++) System.out.printf("%s[%d]\t%.6f%n", in, b, pred[b]);
        }
        return 0;
    }
}
