package dev.nfn4j.nn;

import dev.nfn4j.space.NetworkSpec;

/** nfn's Pointwise: a 1x1 channel mix of every weight and bias entry on its own (no pooling). */
public final class Pointwise extends GraphLayer {
    private final String prefix;

    /** A pointwise layer from {@code cin} to {@code cout} channels, parameters under {@code prefix}. */
    public Pointwise(Params params, String prefix, NetworkSpec spec, int cin, int cout) {
        super(params, spec, cin, cout);
        this.prefix = prefix;
        int L = spec.numLayers();
        // PyTorch's default init for each map: U(+-1/sqrt(fan_in)).
        for (int i = 0; i < L; i++) {
            int fi = f(i);
            params.declare(prefix + "weight_maps." + i + ".weight", new int[]{fi * cout, fi * cin, 1, 1}, Init.uniform(Math.sqrt(1.0 / (fi * cin))));
            params.declare(prefix + "weight_maps." + i + ".bias", new int[]{fi * cout}, Init.uniform(Math.sqrt(1.0 / (fi * cin))));
        }
        for (int i = 0; i < L; i++) {
            params.declare(prefix + "bias_maps." + i + ".weight", new int[]{cout, cin, 1}, Init.uniform(Math.sqrt(1.0 / cin)));
            params.declare(prefix + "bias_maps." + i + ".bias", new int[]{cout}, Init.uniform(Math.sqrt(1.0 / cin)));
        }
    }

    @Override
    void wire(MixGraph g) {
        for (int i = 0; i < spec.numLayers(); i++) {
            g.mixWeight(params.get(prefix + "weight_maps." + i + ".weight"), params.get(prefix + "weight_maps." + i + ".bias"), i, null, null, null);
            g.mixBiasInput(params.get(prefix + "bias_maps." + i + ".weight"), params.get(prefix + "bias_maps." + i + ".bias"), i);
        }
    }

    @Override
    public String toString() {
        return "Pointwise(" + cin + " -> " + cout + ")";
    }
}
