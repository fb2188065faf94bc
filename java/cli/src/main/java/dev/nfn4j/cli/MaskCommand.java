package dev.nfn4j.cli;

import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.io.StateDicts;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.train.TicketMasks;
import dev.nfn4j.train.TicketPredictor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "mask", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Predict a winning-ticket mask for an initialisation with a mask predictor (train --task ticket).",
                "INIT is a PyTorch state_dict saved as safetensors (0.weight, 0.bias, 2.weight, ...); the masks (float32, 1 keeps, 0 prunes) are",
                "written under the same weight names and shapes, for torch.nn.utils.prune.custom_from_mask. Biases are never pruned."})
final class MaskCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CHECKPOINT", description = "best.safetensors of train --task ticket.")
    Path checkpoint;

    @Parameters(index = "1", paramLabel = "INIT", description = "The initialisation: a state_dict .safetensors of the network the predictor was trained on.")
    Path init;

    @Option(names = "--sparsity", paramLabel = "D", description = "Fraction of each layer's weights kept, in (0, 1) (default: the density the predictor was trained on).")
    Double sparsity;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output .safetensors of masks.")
    Path out;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "" + TicketMasks.DEFAULT_TEMPERATURE,
            description = "The mask is drawn from the keep probabilities sigmoid(logit / T) (default: ${DEFAULT-VALUE}); 0 keeps the top-k logits per layer.")
    double temperature;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "The draw's seed (default: ${DEFAULT-VALUE}); unused at --temperature 0.")
    long seed;

    @Override
    public Integer call() throws Exception {
        TicketPredictor p = TicketPredictor.load(checkpoint, Backends.get());
        double d = sparsity == null ? p.density() : sparsity;
        double[] ld = p.layerDensity(d); // checks the range before anything is read or written
        TicketMasks.checkTemperature(temperature);
        SafetensorsFile f = Safetensors.read(init);
        HostWeights w = StateDicts.read(f, p.spec());
        float[] mask = p.mask(w.data(), d, temperature, seed);
        List<String> names = new ArrayList<>(f.names());
        names.sort(StateDicts.NATURAL); // the order StateDicts read the layers in
        HostWeights m = new HostWeights(w.layout(), mask);
        Map<String, HostTensor> t = new LinkedHashMap<>();
        for (int i = 0; i < p.spec().numLayers(); i++)
            t.put(names.get(2 * i), HostTensor.f32(p.spec().weightShape(i), m.torchWeight(i)));
        Map<String, String> md = new LinkedHashMap<>();
        md.put("density", Double.toString(d));
        md.put("layer_density", Arrays.toString(ld));
        md.put("checkpoint", checkpoint.getFileName().toString());
        md.put("temperature", Double.toString(temperature));
        if (temperature > 0) md.put("seed", Long.toString(seed));
        Safetensors.write(out, t, md);
        StringBuilder kept = new StringBuilder();
        for (int i = 0; i < p.spec().numLayers(); i++) {
            float[] mw = m.torchWeight(i);
            int k = 0;
            for (float v : mw) if (v != 0) k++;
            kept.append(i > 0 ? ", " : "").append(names.get(2 * i)).append(' ').append(k).append('/').append(mw.length);
        }
        System.out.printf(Locale.ROOT, "mask     %s: density %s, kept %s%n", out, d, kept);
        return 0;
    }
}
