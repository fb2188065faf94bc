package dev.nfn4j.ops;

/**
 * What {@link Ops#channelMix} does to each output as it is stored, the forward's mirror of
 * {@link MixGrads}: for {@code y [B][cout][rows][cols]},
 * <pre>
 * y[b][o][j][k] = act(sum_c a[o][c] x[b][c][j][k] + bias[o] + row[b][o][k] + col[b][o][j] + glob[b][o])
 * </pre>
 * with bias {@code [cout]}, row {@code [B][cout][cols]}, col {@code [B][cout][rows]} and glob
 * {@code [B][cout]} (any may be null: no term), and, when {@code pools} is given, the plane
 * means of y written to it ({@link PlanePools}: the next NF-Layer's input pools).
 */
public record MixEpilogue(Ptr bias, Ptr row, Ptr col, Ptr glob, Act act, PlanePools pools) {
    /** No terms, no activation, no pools: the plain mix. */
    public static final MixEpilogue NONE = new MixEpilogue(null, null, null, null, Act.IDENTITY, null);

    /** Checks that an activation is given (IDENTITY for none). */
    public MixEpilogue {
        if (act == null) throw new IllegalArgumentException("a mix epilogue needs an activation (IDENTITY for none)");
    }

    /** The bias alone (a Linear layer, a 1x1 convolution). */
    public static MixEpilogue bias(Ptr bias) {
        return terms(bias, null, null, null);
    }

    /** The bias and the broadcast terms, no activation. */
    public static MixEpilogue terms(Ptr bias, Ptr row, Ptr col, Ptr glob) {
        return new MixEpilogue(bias, row, col, glob, Act.IDENTITY, null);
    }

    /** These terms with {@code act} applied to the sums. */
    public MixEpilogue then(Act act) {
        return new MixEpilogue(bias, row, col, glob, act, pools);
    }

    /** These terms with the plane means of y written to {@code pools} (null: none). */
    public MixEpilogue pooled(PlanePools pools) {
        return new MixEpilogue(bias, row, col, glob, act, pools);
    }

    /** The same sums with no activation and no pools: what a kernel that applies neither computes. */
    public MixEpilogue termsOnly() {
        return act == Act.IDENTITY && pools == null ? this : terms(bias, row, col, glob);
    }
}
