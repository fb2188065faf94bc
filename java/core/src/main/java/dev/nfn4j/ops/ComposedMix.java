package dev.nfn4j.ops;

/**
 * The fused mix ops as the separate ops they fuse: the oracle of the fused kernels, and the
 * implementation of whatever part of them a backend does not fuse. Each takes the backend's
 * own unfused kernel for the mix's linear part.
 */
public final class ComposedMix {
    private ComposedMix() {}

    /**
     * The backward of the mix's linear part on the gradient before the activation g, as
     * {@link MixGrads} describes dx, da and dbias (no terms, no pools):
     * {@code dx (+)= a^T g}, {@code da += sum g x^T}, {@code dbias += sum g}.
     */
    @FunctionalInterface
    public interface LinearBackward {
        /** Runs the linear part's backward for shape {@code s}: writes or adds dx, adds da and dbias (each may be null). */
        void run(MixShape s, Ptr x, Ptr a, Ptr g, Ptr dx, boolean overwriteDx, Ptr da, Ptr dbias);
    }

    /** What every implementation of the mix backward refuses: an activation whose derivative needs its input. */
    public static void checkBackwardThrough(MixShape s, Act act) {
        if (!act.derivativeFromOutput())
            throw new IllegalArgumentException("channelMixBackward " + s + ": " + act + "'s derivative needs its input, not its output");
    }

    /**
     * The epilogue steps after a kernel that wrote y without them: the activation over y unless
     * the kernel applied it ({@code actApplied}), then the plane means of y into the pools unless
     * the kernel took them ({@code poolsTaken}).
     */
    public static void finish(Ops ops, MixShape s, MixEpilogue e, boolean actApplied, boolean poolsTaken, Ptr y) {
        long planes = (long) s.batch() * s.cout();
        if (!actApplied && e.act() != Act.IDENTITY) ops.activation(e.act(), planes * s.plane(), y, y);
        PlanePools p = e.pools();
        if (!poolsTaken && p != null) ops.planeReduce(planes, s.rows(), s.cols(), y, p.rowMean(), p.colMean(), p.allMean(), true);
    }

    /**
     * The mix backward as its ops: g = act'(y) dy into {@code scratch} ({@code B * cout * plane}
     * floats; unused, and may be null, for IDENTITY, where g is dy), the term gradients as
     * {@link Ops#planeReduce} sums of g, the linear part on g, then the pool gradients broadcast
     * into dx ({@link Ops#planeBroadcast}).
     */
    public static void backward(Ops ops, MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, MixGrads grads, Ptr scratch,
                                LinearBackward linear) {
        checkBackwardThrough(s, act);
        long planes = (long) s.batch() * s.cout();
        Ptr g = dy;
        if (act != Act.IDENTITY) {
            ops.activationBackward(act, planes * s.plane(), y, y, dy, scratch);
            g = scratch;
        }
        if (grads.anyTerm()) ops.planeReduce(planes, s.rows(), s.cols(), g, grads.dRow(), grads.dCol(), grads.dGlob(), false);
        if (grads.anyMix()) linear.run(s, x, a, g, grads.dx(), grads.overwriteDx(), grads.da(), grads.dbias());
        PoolGrads p = grads.pools();
        if (p != null)
            ops.planeBroadcast((long) s.batch() * s.cin(), s.rows(), s.cols(), p.row(), p.sRow(), p.col(), p.sCol(), p.all(), p.sAll(), grads.dx());
    }

    /**
     * {@link #backward} with dbias taken from the term gradients' plane sums,
     * {@code dbias[o] += sum_b dGlob[b][o]} (summed over b in order by {@link Ops#copy4d}), instead
     * of a pass over g of its own in the weight gradient: the same sums, grouped by plane. It
     * applies when term gradients and dbias are both asked for (the NF-Layers' weight mixes);
     * {@code globScratch} ({@code B * cout} floats) holds the plane sums when dGlob is not asked for.
     */
    public static void backwardBiasFromPools(Ops ops, MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, MixGrads grads, Ptr scratch,
                                             Ptr globScratch, LinearBackward linear) {
        if (!grads.anyTerm() || grads.dbias() == null) {
            backward(ops, s, x, a, act, y, dy, grads, scratch, linear);
            return;
        }
        Ptr glob = grads.dGlob() != null ? grads.dGlob() : globScratch;
        backward(ops, s, x, a, act, y, dy,
                new MixGrads(grads.dx(), grads.da(), null, grads.dRow(), grads.dCol(), glob, grads.overwriteDx(), grads.pools()), scratch, linear);
        ops.copy4d(new int[]{1, 1, s.batch(), s.cout()}, glob, new long[]{0, 0, s.cout(), 1}, grads.dbias(), new long[]{0, 0, 0, 1}, true);
    }
}
