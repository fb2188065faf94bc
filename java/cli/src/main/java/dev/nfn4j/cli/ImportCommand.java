package dev.nfn4j.cli;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.nn.Params;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.train.CheckpointMetadata;
import dev.nfn4j.train.EntryNormalizer;
import dev.nfn4j.train.NetworkInputs;
import dev.nfn4j.zoo.ZooDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * A model trained in PyTorch with nfn, as an nfn4j checkpoint: the parameters are taken by
 * nfn's names (every one must be there with its exact shape, and nothing else under the
 * prefix but, when nfn normalized its inputs, its per-entry statistics buffers
 * {@code mean_weights_i}, {@code std_weights_i}, {@code mean_bias_i}, {@code std_bias_i}, which
 * become the checkpoint's input normalizer), the architecture comes from the model options and
 * the network spec from a sample input. The inverse needs no command: an nfn4j checkpoint holds nfn's names and shapes.
 */
@Command(name = "import", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Make an nfn4j model checkpoint (for predict, eval, services) from a PyTorch nfn model's state_dict saved as safetensors.",
                "Parameters are matched by nfn's names and shapes (e.g. 0.layer_0.weight, 8.weight); the model options must describe the same architecture."})
final class ImportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "STATE_DICT", description = "safetensors file of the nfn model's state_dict().")
    Path stateDict;

    @Option(names = "--spec-from", required = true, paramLabel = "INPUT",
            description = "Any input predict reads that shows the networks' shapes: a Small CNN Zoo folder, one network's state_dict, a weight-space batch.")
    Path specFrom;

    @Option(names = "--prefix", defaultValue = "", description = "Name prefix of the parameters in STATE_DICT (default: none).")
    String prefix;

    @Option(names = "--target", defaultValue = ZooDataset.TEST_ACCURACY, description = "The metric the model predicts (default: ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The checkpoint to write.")
    Path out;

    @Mixin ModelOptions opts;

    @Override
    public Integer call() throws Exception {
        NetworkSpec spec = NetworkInputs.read(specFrom, null, "input", null).weights().layout().spec();
        ModelConfig model = opts.model();
        Params params = new Params(Backends.get());
        model.build(params, spec, 1);
        params.allocate(0);
        SafetensorsFile sd = Safetensors.read(stateDict);
        // nfn's NormalizingModule (its NP config) keeps per-entry input statistics as buffers beside the parameters
        boolean normalized = sd.has(prefix + "mean_weights_0");
        EntryNormalizer norm = normalized ? EntryNormalizer.read(sd, prefix, spec) : null;
        Set<String> buffers = new HashSet<>();
        if (normalized) for (String n : EntryNormalizer.tensorNames(spec)) buffers.add(prefix + n);
        Checkpoints.loadParams(sd, prefix, params, true, buffers);
        CheckpointMetadata md = new CheckpointMetadata(model, spec, target, norm);
        Checkpoints.saveParams(out, "", params, md.tensors(), md.toMap());
        System.out.printf("wrote %s: %s on networks %s, %d parameters, %s%n", out, model, spec, params.count(),
                normalized ? "per-entry input normalization (nfn's mean_weights_i, std_weights_i, ... buffers)" : "no input normalization");
        return 0;
    }
}
