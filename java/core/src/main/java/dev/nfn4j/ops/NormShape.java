package dev.nfn4j.ops;

/**
 * Sizes of one {@link Ops#layerNorm}: x {@code [outer][a][groups][inner]}, normalised over
 * {@code (a, inner)} for each {@code (outer, group)}, with gamma and beta {@code [a][inner]}.
 * nfn's norms all fit: SimpleLayerNorm is {@code [B][C][positions][1]}; ParamLayerNorm's first
 * weight is {@code [B][C][n_0][n_in]} (over channels and inputs for each row).
 */
public record NormShape(int outer, int a, int groups, int inner, Kind kind, double eps) {
    /** How the spread of a group becomes the scale {@code r} of {@code y = (x - mean) r gamma + beta}. */
    public enum Kind {
        /** nfn's ChannelLayerNorm: {@code r = 1 / (std + eps)}, std unbiased (torch.std). */
        STD_PLUS_EPS,
        /** torch.nn.LayerNorm: {@code r = 1 / sqrt(var + eps)}, var biased. */
        SQRT_VAR_PLUS_EPS
    }

    /** Checks the sizes, kind and eps, and that a group's values fit an int. */
    public NormShape {
        if (outer < 1 || a < 1 || groups < 1 || inner < 1 || kind == null || !(eps >= 0))
            throw new IllegalArgumentException("bad layer-norm shape " + this);
        if ((long) a * inner > Integer.MAX_VALUE) throw new IllegalArgumentException("layer-norm groups of " + (long) a * inner + " values");
    }

    /** Values normalised together. */
    public int n() {
        return a * inner;
    }

    /** Floats of x (and y), {@code outer * a * groups * inner}. */
    public long size() {
        return (long) outer * a * groups * inner;
    }

    /** The scale r from a group's sum of squared deviations {@code ss} (in double, as every backend computes it). */
    public double scale(double ss) {
        int n = n();
        return kind == Kind.STD_PLUS_EPS ? 1 / (Math.sqrt(ss / (n - 1)) + eps) : 1 / Math.sqrt(ss / n + eps);
    }

    /**
     * The coefficient c of the backward {@code dx = r (g - mean g) + c (x - mean)}, with
     * {@code g = dy gamma} and {@code sgd = sum g (x - mean)}: the derivative of r through the spread.
     */
    public double spreadCoefficient(double r, double ss, double sgd) {
        int n = n();
        if (kind == Kind.SQRT_VAR_PLUS_EPS) return -r * r * r * sgd / n;
        double std = Math.sqrt(ss / (n - 1));
        return -r * r * sgd / (std * (n - 1));
    }
}
