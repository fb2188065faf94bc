package dev.nfn4j.nn;

import dev.nfn4j.space.NetworkSpec;

/** Builds an equivariant NF-Layer by mode name: NP, NP_IO (NPLinear with io_embed), HNP, POINTWISE. */
public final class GraphLayers {
    private GraphLayers() {}

    /** The NF-Layer of the given mode (NP, NP_IO, HNP or POINTWISE, any case) from {@code cin} to {@code cout} channels. */
    public static Layer create(String mode, Params params, NetworkSpec spec, int cin, int cout, Init.Type init) {
        return switch (mode.trim().toUpperCase()) {
            case "NP" -> new NPLinear(params, "", spec, cin, cout, false, init);
            case "NP_IO" -> new NPLinear(params, "", spec, cin, cout, true, init);
            case "HNP" -> new HNPLinear(params, "", spec, cin, cout, init);
            case "POINTWISE" -> new Pointwise(params, "", spec, cin, cout);
            default -> throw new IllegalArgumentException("unknown layer mode '" + mode + "' (expected NP, NP_IO, HNP or POINTWISE)");
        };
    }
}
