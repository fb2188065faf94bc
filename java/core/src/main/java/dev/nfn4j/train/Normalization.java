package dev.nfn4j.train;

import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.space.WsLayout;

/**
 * How input weights are normalized before a model reads them, with statistics of the training
 * networks: not at all, one mean and standard deviation per tensor (W_i, b_i), or one per weight
 * entry as nfn's {@code NormalizingModule} keeps them.
 */
public enum Normalization {
    /** The weights as they are. */
    NONE("none"),
    /** One mean and standard deviation per tensor. */
    PER_TENSOR("per-tensor"),
    /** One mean and standard deviation per weight entry. */
    PER_ENTRY("per-entry");

    private final String cliName;

    Normalization(String cliName) {
        this.cliName = cliName;
    }

    /** The name the command line uses: none, per-tensor or per-entry. */
    public String cliName() {
        return cliName;
    }

    /** By its command-line name (or the constant's), any case; an unknown name lists the choices. */
    public static Normalization parse(String name) {
        for (Normalization n : values())
            if (n.cliName.equalsIgnoreCase(name.strip()) || n.name().equalsIgnoreCase(name.strip())) return n;
        throw new IllegalArgumentException("unknown normalization '" + name + "' (expected none, per-tensor or per-entry)");
    }

    /**
     * What nfn's generalization-prediction configs use for a model: its NP config (NP-PosEmb)
     * normalizes per entry; its HNP and StatNN configs, and its InvariantNFN by default, do not
     * normalize. An equivariant NFN (pool NONE, weight space in and out) reads its inputs as given,
     * as nfn's weight-editing models do. One difference remains: with append_stats nfn takes the
     * statistics of the raw weights while its NF-Layers read the normalized ones; here both read
     * the normalized input (normalization happens before the model).
     */
    public static Normalization defaultFor(ModelConfig model) {
        if (model.equivariant()) return NONE;
        return switch (model.kind()) {
            case "NP", "NP_IO" -> PER_ENTRY;
            default -> NONE;
        };
    }

    /** The statistics of the given rows of a zoo (N x P canonical one-network rows), or null for NONE. */
    public InputNormalizer fit(WsLayout one, float[] rows, int[] indices) {
        return switch (this) {
            case NONE -> null;
            case PER_TENSOR -> WeightNormalizer.fit(one, rows, indices);
            case PER_ENTRY -> EntryNormalizer.fit(one, rows, indices);
        };
    }

    @Override
    public String toString() {
        return cliName;
    }
}
