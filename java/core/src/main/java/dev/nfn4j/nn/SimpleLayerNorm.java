package dev.nfn4j.nn;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;

/**
 * nfn's SimpleLayerNorm: a {@link ChannelLayerNorm} on every tensor of a weight space, each entry
 * (and each conv filter position's entry: its C f_i channels, nfn's {@code (c h w)}) normalised over
 * its channels on its own, so the layer is permutation equivariant. Parameters
 * {@code w_norms.i.gamma/beta [C f_i]} and {@code v_norms.i.gamma/beta [C]}.
 */
public final class SimpleLayerNorm implements Layer {
    private final Ops ops;
    private final NetworkSpec spec;
    private final int channels;
    private final Param[] wGamma, wBeta, vGamma, vBeta;
    private final Workspace ws;
    private WeightSpace lastIn, lastOut;

    /** Norms of a weight space of {@code channels} channels, parameters under {@code prefix}. */
    public SimpleLayerNorm(Params params, String prefix, NetworkSpec spec, int channels) {
        if (channels < 1) throw new IllegalArgumentException("SimpleLayerNorm needs channels >= 1, got " + channels);
        this.ops = params.ops();
        this.spec = spec;
        this.channels = channels;
        this.ws = new Workspace(ops);
        int L = spec.numLayers();
        wGamma = new Param[L];
        wBeta = new Param[L];
        vGamma = new Param[L];
        vBeta = new Param[L];
        for (int i = 0; i < L; i++) {
            int fc = channels * spec.filterSize(i);
            wGamma[i] = params.declare(prefix + "w_norms." + i + ".gamma", new int[]{fc}, Init.constant(1));
            wBeta[i] = params.declare(prefix + "w_norms." + i + ".beta", new int[]{fc}, Init.constant(0));
        }
        for (int i = 0; i < L; i++) {
            vGamma[i] = params.declare(prefix + "v_norms." + i + ".gamma", new int[]{channels}, Init.constant(1));
            vBeta[i] = params.declare(prefix + "v_norms." + i + ".beta", new int[]{channels}, Init.constant(0));
        }
    }

    @Override
    public Value forward(Value in) {
        WeightSpace x = WeightSpaces.check(this, in, spec, channels);
        WsLayout lay = x.layout();
        WeightSpace y = new WeightSpace(lay, ws.get("out", lay.size()));
        for (int i = 0; i < spec.numLayers(); i++) {
            // W_i [B][C f_i][n_i n_{i-1}] over its C f_i channels; b_i [B][C][n_i] over C
            ChannelLayerNorm.forward(ops, wGamma[i], wBeta[i], x.batch(), lay.wChannels(i), (long) spec.rows(i) * spec.cols(i), x.w(i), y.w(i));
            ChannelLayerNorm.forward(ops, vGamma[i], vBeta[i], x.batch(), channels, spec.rows(i), x.b(i), y.b(i));
        }
        lastIn = x;
        lastOut = y;
        return y;
    }

    @Override
    public Value backward(Value gradOut) {
        WeightSpace g = WeightSpaces.checkGrad(this, gradOut, lastOut), x = lastIn;
        WsLayout lay = x.layout();
        WeightSpace dx = new WeightSpace(lay, ws.get("dx", lay.size()));
        for (int i = 0; i < spec.numLayers(); i++) {
            ChannelLayerNorm.backward(ops, wGamma[i], wBeta[i], x.batch(), lay.wChannels(i), (long) spec.rows(i) * spec.cols(i), x.w(i), g.w(i), dx.w(i));
            ChannelLayerNorm.backward(ops, vGamma[i], vBeta[i], x.batch(), channels, spec.rows(i), x.b(i), g.b(i), dx.b(i));
        }
        return dx;
    }

    @Override
    public String toString() {
        return "SimpleLayerNorm(" + channels + ")";
    }
}
