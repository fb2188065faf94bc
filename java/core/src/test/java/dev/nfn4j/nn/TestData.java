package dev.nfn4j.nn;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.testing.Compare;

import java.util.Random;

/**
 * Shared helpers of the nn property tests: random inputs, host round trips, error measures. The
 * tests run on every backend of {@link dev.nfn4j.testing.TestBackends#all()}, as parameters.
 */
final class TestData {
    private TestData() {}

    static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    static HostWeights randomWeights(WsLayout layout, Random rnd) {
        return new HostWeights(layout, gaussian(rnd, Math.toIntExact(layout.size())));
    }

    static WeightSpace upload(Ops ops, HostWeights w) {
        return upload(ops, w.layout(), w.data());
    }

    static WeightSpace upload(Ops ops, WsLayout layout, float[] data) {
        Ptr p = ops.alloc(layout.size()).at(0);
        ops.upload(data, 0, p, data.length);
        return new WeightSpace(layout, p);
    }

    static Tensor upload(Ops ops, int[] shape, float[] data) {
        Tensor t = new Tensor(shape, ops.alloc(data.length).at(0));
        ops.upload(data, 0, t.data(), data.length);
        return t;
    }

    /** A fresh value of the same kind and shape as {@code like}, holding {@code data}. */
    static Value uploadLike(Ops ops, Value like, float[] data) {
        return switch (like) {
            case WeightSpace w -> upload(ops, w.layout(), data);
            case Tensor t -> upload(ops, t.shape(), data);
            default -> throw new IllegalArgumentException("unknown value " + like);
        };
    }

    static float[] download(Ops ops, Value v) {
        float[] a = new float[Math.toIntExact(v.size())];
        ops.download(v.data(), a, 0, a.length);
        return a;
    }

    static HostWeights downloadWeights(Ops ops, Value v) {
        if (!(v instanceof WeightSpace w)) throw new AssertionError("expected a weight space, got " + v);
        return new HostWeights(w.layout(), download(ops, w));
    }

    /** Sample b of a host batch, as a batch of one. */
    static HostWeights sample(HostWeights x, int b) {
        WsLayout lay = x.layout(), one = lay.withBatch(1);
        float[] out = new float[Math.toIntExact(one.size())];
        for (int i = 0; i < lay.numLayers(); i++) {
            int w = Math.toIntExact(lay.wPerSample(i)), bs = Math.toIntExact(lay.bPerSample(i));
            System.arraycopy(x.data(), (int) lay.wOffset(i) + b * w, out, (int) one.wOffset(i), w);
            System.arraycopy(x.data(), (int) lay.bOffset(i) + b * bs, out, (int) one.bOffset(i), bs);
        }
        return new HostWeights(one, out);
    }

    /**
     * ||actual - expected|| / ||expected|| in double. NaN entries must sit at the same places in
     * both (StatFeaturizer's variance of a single value is NaN, as torch's) and are left out.
     */
    static double relL2(float[] actual, float[] expected) {
        return Compare.relL2(actual, expected);
    }

    static NetworkSpec conv(int[] sizes, int[]... filters) {
        return new NetworkSpec(sizes, filters);
    }
}
