package dev.nfn4j.nn;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.MixEpilogue;
import dev.nfn4j.ops.MixGrads;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;

import java.util.SplittableRandom;

/**
 * nfn's GaussianFourierFeatureTransform: every weight and bias entry, a vector x of C channels,
 * becomes {@code [sin(2 pi x B), cos(2 pi x B)]} with a fixed random {@code B ~ N(0, scale^2)} of
 * shape {@code [C, m]}: 2m channels of pointwise nonlinear features, so the NF-Layers after it
 * can pool statistics of the weights' distribution, not only their means. Equivariant (it acts
 * on each entry alone); B is fixed, not trained. Built from the SPI as a channel mix whose cos
 * rows are sin rows shifted by pi/2, then a sine.
 */
public final class FourierFeatures implements Layer {
    private final Ops ops;
    private final NetworkSpec spec;
    private final int cin, m;
    private final Ptr[] weightMix, biasMix; // per layer i: [2m f_i][C f_i] block-diagonal over filter positions; biases [2m][C]
    private final Ptr[] weightShift, biasShift; // 0 for sin rows, pi/2 for cos rows
    private final Workspace ws;
    private WeightSpace lastIn;
    private Ptr lastZ;

    /** Features with a projection {@code [cin][mapping]} drawn from N(0, scale^2) with {@code seed}. */
    public FourierFeatures(Ops ops, NetworkSpec spec, int cin, int mapping, double scale, long seed) {
        this(ops, spec, draw(cin, mapping, scale, seed));
    }

    /**
     * With a given projection, nfn's buffer {@code _B} {@code [cin][mapping]} (row-major): the
     * features of a model trained by nfn.
     */
    public FourierFeatures(Ops ops, NetworkSpec spec, int cin, int mapping, float[] projection) {
        this(ops, spec, rows(cin, mapping, projection));
    }

    private static double[][] draw(int cin, int mapping, double scale, long seed) {
        if (mapping < 1 || cin < 1) throw new IllegalArgumentException("FourierFeatures needs mapping >= 1 and channels >= 1");
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] b = new double[cin][mapping];
        for (int c = 0; c < cin; c++)
            for (int k = 0; k < mapping; k++) b[c][k] = Init.gaussian(rnd) * scale;
        return b;
    }

    private static double[][] rows(int cin, int mapping, float[] projection) {
        if (mapping < 1 || cin < 1) throw new IllegalArgumentException("FourierFeatures needs mapping >= 1 and channels >= 1");
        if (projection.length != (long) cin * mapping)
            throw new IllegalArgumentException("FourierFeatures projection must be [" + cin + ", " + mapping + "], got " + projection.length + " values");
        double[][] b = new double[cin][mapping];
        for (int c = 0; c < cin; c++)
            for (int k = 0; k < mapping; k++) b[c][k] = projection[c * mapping + k];
        return b;
    }

    private FourierFeatures(Ops ops, NetworkSpec spec, double[][] b) {
        this.ops = ops;
        this.spec = spec;
        this.cin = b.length;
        this.m = b[0].length;
        this.ws = new Workspace(ops);
        int L = spec.numLayers();
        weightMix = new Ptr[L];
        biasMix = new Ptr[L];
        weightShift = new Ptr[L];
        biasShift = new Ptr[L];
        for (int i = 0; i < L; i++) {
            int f = spec.filterSize(i);
            weightMix[i] = matrix(b, f);
            weightShift[i] = shifts(f);
            biasMix[i] = matrix(b, 1);
            biasShift[i] = shifts(1);
        }
    }


    /** Output channel (k, s) = (half*m + j)*f + s reads input channel (c, s): 2 pi B[c][j], block-diagonal in s. */
    private Ptr matrix(double[][] b, int f) {
        int rows = 2 * m * f, cols = cin * f;
        float[] a = new float[rows * cols];
        for (int half = 0; half < 2; half++)
            for (int j = 0; j < m; j++)
                for (int s = 0; s < f; s++)
                    for (int c = 0; c < cin; c++)
                        a[((half * m + j) * f + s) * cols + c * f + s] = (float) (2 * Math.PI * b[c][j]);
        Ptr p = ops.alloc(a.length).at(0);
        ops.upload(a, 0, p, a.length);
        return p;
    }

    private Ptr shifts(int f) {
        float[] v = new float[2 * m * f];
        for (int k = m * f; k < v.length; k++) v[k] = (float) (Math.PI / 2); // cos(z) = sin(z + pi/2)
        Ptr p = ops.alloc(v.length).at(0);
        ops.upload(v, 0, p, v.length);
        return p;
    }

    /** Output channels, {@code 2 * mapping}. */
    public int outChannels() {
        return 2 * m;
    }

    @Override
    public Value forward(Value in) {
        if (!(in instanceof WeightSpace x) || !x.spec().equals(spec) || x.channels() != cin)
            throw new IllegalArgumentException(this + " takes a weight space of " + spec + " with " + cin + " channels, got " + in);
        WsLayout out = x.layout().withChannels(2 * m);
        Ptr z = ws.get("z", out.size()), y = ws.get("out", out.size());
        WeightSpace zs = new WeightSpace(out, z);
        for (int i = 0; i < spec.numLayers(); i++) {
            int f = spec.filterSize(i);
            ops.channelMix(new MixShape(x.batch(), cin * f, 2 * m * f, spec.rows(i), spec.cols(i)), x.w(i), weightMix[i],
                    MixEpilogue.bias(weightShift[i]), zs.w(i));
            ops.channelMix(new MixShape(x.batch(), cin, 2 * m, 1, spec.rows(i)), x.b(i), biasMix[i], MixEpilogue.bias(biasShift[i]), zs.b(i));
        }
        ops.activation(Act.SIN, out.size(), z, y);
        lastIn = x;
        lastZ = z;
        return new WeightSpace(out, y);
    }

    @Override
    public Value backward(Value gradOut) {
        if (lastIn == null) throw new IllegalStateException(this + ": backward without a forward");
        WsLayout out = lastIn.layout().withChannels(2 * m);
        if (!(gradOut instanceof WeightSpace g) || !g.layout().equals(out))
            throw new IllegalArgumentException(this + ": gradient must be a weight space of layout " + out + ", got " + gradOut);
        Ptr dz = ws.get("dz", out.size());
        ops.activationBackward(Act.SIN, out.size(), lastZ, null, g.data(), dz);
        WeightSpace dzs = new WeightSpace(out, dz), dx = new WeightSpace(lastIn.layout(), ws.zeroed("dx", lastIn.size()));
        for (int i = 0; i < spec.numLayers(); i++) {
            int f = spec.filterSize(i);
            ops.channelMixBackward(new MixShape(lastIn.batch(), cin * f, 2 * m * f, spec.rows(i), spec.cols(i)), lastIn.w(i), weightMix[i],
                    Act.IDENTITY, null, dzs.w(i), MixGrads.of(dx.w(i), null, null));
            ops.channelMixBackward(new MixShape(lastIn.batch(), cin, 2 * m, 1, spec.rows(i)), lastIn.b(i), biasMix[i], Act.IDENTITY, null, dzs.b(i),
                    MixGrads.of(dx.b(i), null, null));
        }
        return dx;
    }

    @Override
    public String toString() {
        return "FourierFeatures(" + cin + " -> " + 2 * m + ")";
    }
}
