package dev.nfn4j.nn;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;

/** Checks and copies shared by the layers that act on a weight space tensor by tensor. */
final class WeightSpaces {
    private WeightSpaces() {}

    /** The input as a weight space of {@code spec} with {@code channels} channels (any count when negative), or a named error. */
    static WeightSpace check(Layer layer, Value in, NetworkSpec spec, int channels) {
        if (!(in instanceof WeightSpace x))
            throw new IllegalArgumentException(layer + " takes a weight space, got " + in);
        if (!x.spec().equals(spec))
            throw new IllegalArgumentException(layer + " was built for " + spec + " but got a weight space of " + x.spec());
        if (channels >= 0 && x.channels() != channels)
            throw new IllegalArgumentException(layer + " expects " + channels + " input channels, got " + x.channels());
        return x;
    }

    /** The gradient of a layer's last output, which must be a weight space of exactly that layout. */
    static WeightSpace checkGrad(Layer layer, Value gradOut, WeightSpace lastOut) {
        if (lastOut == null) throw new IllegalStateException(layer + ": backward without a forward");
        if (!(gradOut instanceof WeightSpace g) || !g.layout().equals(lastOut.layout()))
            throw new IllegalArgumentException(layer + ": gradient must be a weight space of layout " + lastOut.layout() + ", got " + gradOut);
        return g;
    }

    /** {@code dst[0..n) = src[0..n)}, or {@code +=} when accumulating. */
    static void copy(Ops ops, Ptr src, Ptr dst, long n, boolean accumulate) {
        ops.copy4d(new int[]{1, 1, 1, Math.toIntExact(n)}, src, new long[]{0, 0, 0, 1}, dst, new long[]{0, 0, 0, 1}, accumulate);
    }
}
