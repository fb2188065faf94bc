package dev.nfn4j.nn;

import dev.nfn4j.ops.Act;

/**
 * A layer that can apply the activation following it as it writes its own output (the channel
 * mix's store), saving a pass over that output, and differentiate it from that output in its
 * backward. Only activations whose derivative follows from their output
 * ({@link Act#derivativeFromOutput}) can be fused. {@link Activation#after} decides, and keeps a
 * pass-through module in the activation's place so module indices (and nfn's parameter names)
 * do not move.
 */
interface FusesActivation extends Layer {
    /** From now on this layer's output is {@code act} of what it computed. Call before its first forward. */
    void fuseActivation(Act act);

    /** What every {@link #fuseActivation} checks: an activation differentiable from its output, and a layer not yet run. */
    static void checkFusable(Layer layer, Act act, boolean ran) {
        if (!act.derivativeFromOutput()) throw new IllegalArgumentException(layer + " cannot fuse " + act + ": its derivative needs the input");
        if (ran) throw new IllegalStateException(layer + ": fuse the activation before the first forward");
    }
}
