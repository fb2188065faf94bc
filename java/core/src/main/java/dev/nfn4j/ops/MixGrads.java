package dev.nfn4j.ops;

/**
 * Where {@link Ops#channelMixBackward(MixShape, Ptr, Ptr, Act, Ptr, Ptr, MixGrads)} puts a mix's
 * gradients; any may be null (not wanted). Shapes as the forward's:
 * <ul>
 *   <li>{@code dx [B][cin][rows][cols]}, {@code da [cout][cin]}, {@code dbias [cout]}: accumulated (+=),
 *       like every parameter and input gradient; dx is overwritten instead with {@code overwriteDx}
 *       (its first writer: the caller need not zero it, and the GEMM need not read it);</li>
 *   <li>{@code dRow [B][cout][cols]}, {@code dCol [B][cout][rows]}, {@code dGlob [B][cout]}: the
 *       gradients of the forward's row, column and global terms, the plane sums of the gradient
 *       before the activation; overwritten, as {@link Ops#planeReduce}'s sums are.</li>
 * </ul>
 */
public record MixGrads(Ptr dx, Ptr da, Ptr dbias, Ptr dRow, Ptr dCol, Ptr dGlob, boolean overwriteDx) {
    /** Accumulating into dx. */
    public MixGrads(Ptr dx, Ptr da, Ptr dbias, Ptr dRow, Ptr dCol, Ptr dGlob) {
        this(dx, da, dbias, dRow, dCol, dGlob, false);
    }

    /** dx, da and dbias only: no broadcast terms. */
    public static MixGrads of(Ptr dx, Ptr da, Ptr dbias) {
        return new MixGrads(dx, da, dbias, null, null, null);
    }

    public boolean anyTerm() {
        return dRow != null || dCol != null || dGlob != null;
    }

    public boolean anyMix() {
        return dx != null || da != null || dbias != null;
    }
}
