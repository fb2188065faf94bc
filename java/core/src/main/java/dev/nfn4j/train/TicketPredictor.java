package dev.nfn4j.train;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Sequential;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.SpecJson;
import dev.nfn4j.space.WsLayout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * A trained mask predictor ({@code best.safetensors} of {@code train --task ticket}): the
 * equivariant NFN or the MLP baseline ({@link TicketModel}), the network spec it was trained on, and the density and per-layer densities
 * of its target masks. {@link #mask} gives an initialisation's predicted mask at a density.
 */
public final class TicketPredictor {
    private final Ops ops;
    private final TicketModel model;
    private final NetworkSpec spec;
    private final Sequential net;
    private final double density;
    private final double[] layerDensity;

    private TicketPredictor(Ops ops, TicketModel model, NetworkSpec spec, Sequential net, double density, double[] layerDensity) {
        this.ops = ops;
        this.model = model;
        this.spec = spec;
        this.net = net;
        this.density = density;
        this.layerDensity = layerDensity;
    }

    /** Loads a checkpoint; a file that is not a mask predictor is refused naming what it lacks. */
    public static TicketPredictor load(Path checkpoint, Ops ops) throws IOException {
        SafetensorsFile f = Safetensors.read(checkpoint);
        Map<String, String> md = f.metadata();
        if (!TicketTrainer.TASK.equals(md.get("task")))
            throw new NfnFormatException(checkpoint, "not a mask predictor (metadata task is " + md.get("task") + "; train one with: nfn4j train --task ticket)");
        TicketModel model;
        NetworkSpec spec;
        double density;
        double[] ld;
        try {
            model = TicketModel.fromMetadata(md);
            spec = SpecJson.read(md.get("network_spec"));
            density = Double.parseDouble(md.get("density"));
            ld = Arrays.stream(md.get("layer_density").split(",")).mapToDouble(Double::parseDouble).toArray();
        } catch (RuntimeException e) {
            throw new NfnFormatException(checkpoint, "bad mask-predictor metadata: " + e.getMessage());
        }
        if (ld.length != spec.numLayers())
            throw new NfnFormatException(checkpoint, "layer_density has " + ld.length + " values for " + spec.numLayers() + " layers");
        Params params = new Params(ops);
        Sequential net = model.build(params, spec);
        params.allocate(0);
        Checkpoints.loadParams(f, "", params, true);
        return new TicketPredictor(ops, model, spec, net, density, ld);
    }

    /** The network spec the model was trained on. */
    public NetworkSpec spec() {
        return spec;
    }

    /** The model's architecture. */
    public TicketModel model() {
        return model;
    }

    /** The density the predictor was trained on. */
    public double density() {
        return density;
    }

    /**
     * Per-layer densities for a requested density: the trained ones (IMP's schedule) at the
     * trained density; otherwise every layer at {@code sparsity} but the last, which keeps
     * {@code (1 + sparsity) / 2} (one IMP round from dense at half the rate).
     *
     * @throws IllegalArgumentException when sparsity is outside (0, 1)
     */
    public double[] layerDensity(double sparsity) {
        if (!(sparsity > 0 && sparsity < 1)) throw new IllegalArgumentException("--sparsity (the fraction of weights kept) must be in (0, 1), got " + sparsity);
        if ((float) sparsity == (float) density) return layerDensity.clone();
        double[] d = new double[spec.numLayers()];
        Arrays.fill(d, sparsity);
        if (d.length > 1) d[d.length - 1] = (1 + sparsity) / 2;
        return d;
    }

    /** One logit per parameter of an initialisation (canonical one-network layout). */
    public float[] logits(float[] init) {
        long size = new WsLayout(spec, 1, 1).size();
        if (init.length != size) throw new IllegalArgumentException("an initialisation of " + init.length + " floats for a network of " + size + " (" + spec + ")");
        return TicketTrainer.logits(ops, model.flat(), net, spec, init);
    }

    /**
     * The predicted mask (1 keeps, 0 prunes; canonical layout; biases kept) at a density: drawn at
     * {@link TicketMasks#DEFAULT_TEMPERATURE} with seed 0, as {@code nfn4j mask} writes it.
     */
    public float[] mask(float[] init, double sparsity) {
        return mask(init, sparsity, TicketMasks.DEFAULT_TEMPERATURE, 0);
    }

    /**
     * A mask drawn from the predicted keep probabilities at {@code temperature}
     * ({@link TicketMasks#sample}; 0: the top-k logits, and the seed is not used).
     */
    public float[] mask(float[] init, double sparsity, double temperature, long seed) {
        double[] ld = layerDensity(sparsity);
        return TicketMasks.sample(spec, logits(init), init, ld, temperature, seed);
    }
}
