package dev.nfn4j.ops;

/**
 * Where {@link Ops#channelMixBackward} puts a mix's gradients; any may be null (not wanted).
 * Shapes as the forward's:
 * <ul>
 *   <li>{@code dx [B][cin][rows][cols]}, {@code da [cout][cin]}, {@code dbias [cout]}: accumulated (+=),
 *       like every parameter and input gradient; dx is overwritten instead with {@code overwriteDx}
 *       (its first writer: the caller need not zero it, and the GEMM need not read it);</li>
 *   <li>{@code dRow [B][cout][cols]}, {@code dCol [B][cout][rows]}, {@code dGlob [B][cout]}: the
 *       gradients of the forward's row, column and global terms, the plane sums of the gradient
 *       before the activation; overwritten, as {@link Ops#planeReduce}'s sums are;</li>
 *   <li>{@code pools}: the gradients of the input's pools, added to dx ({@link PoolGrads}), so an
 *       NF-Layer's input gradient is written in one op.</li>
 * </ul>
 */
public record MixGrads(Ptr dx, Ptr da, Ptr dbias, Ptr dRow, Ptr dCol, Ptr dGlob, boolean overwriteDx, PoolGrads pools) {
    /** Checks that pool gradients come with an input gradient to add them to. */
    public MixGrads {
        if (pools != null && dx == null) throw new IllegalArgumentException("pool gradients without an input gradient to add them to");
    }

    /** No pool gradients. */
    public MixGrads(Ptr dx, Ptr da, Ptr dbias, Ptr dRow, Ptr dCol, Ptr dGlob, boolean overwriteDx) {
        this(dx, da, dbias, dRow, dCol, dGlob, overwriteDx, null);
    }

    /** Accumulating into dx. */
    public MixGrads(Ptr dx, Ptr da, Ptr dbias, Ptr dRow, Ptr dCol, Ptr dGlob) {
        this(dx, da, dbias, dRow, dCol, dGlob, false);
    }

    /** dx, da and dbias only, accumulated: no broadcast terms. */
    public static MixGrads of(Ptr dx, Ptr da, Ptr dbias) {
        return new MixGrads(dx, da, dbias, null, null, null);
    }

    /** dx overwritten, da and dbias accumulated: no broadcast terms. */
    public static MixGrads overwriting(Ptr dx, Ptr da, Ptr dbias) {
        return new MixGrads(dx, da, dbias, null, null, null, true);
    }

    /** dx alone, overwritten, with the input's pool gradients added: an NF-Layer's input gradient. */
    public static MixGrads inputWithPools(Ptr dx, PoolGrads pools) {
        return new MixGrads(dx, null, null, null, null, null, true, pools);
    }

    /** These gradients without the pool gradients. */
    public MixGrads withoutPools() {
        return pools == null ? this : new MixGrads(dx, da, dbias, dRow, dCol, dGlob, overwriteDx);
    }

    /** Whether any of the row, column or global term gradients is asked for. */
    public boolean anyTerm() {
        return dRow != null || dCol != null || dGlob != null;
    }

    /** Whether any of dx, da or dbias is asked for. */
    public boolean anyMix() {
        return dx != null || da != null || dbias != null;
    }
}
