package dev.nfn4j.nn;

import dev.nfn4j.ops.NormShape;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.Value;

import java.util.Arrays;

/**
 * nfn's ChannelLayerNorm on a tensor {@code [B, C, ...]}: at every position, the C channel values
 * become {@code (x - mean) / (std + eps) * gamma + beta}, std unbiased (torch.std), eps 1e-5;
 * parameters {@code gamma} (ones) and {@code beta} (zeros), {@code [C]}. {@link SimpleLayerNorm}
 * applies one to every tensor of a weight space.
 */
public final class ChannelLayerNorm implements Layer {
    /** The eps added to the standard deviation, as nfn's. */
    public static final double EPS = 1e-5;

    private final Ops ops;
    private final int channels;
    private final Param gamma, beta;
    private final Workspace ws;
    private Tensor lastIn, lastOut;

    /** A norm over {@code channels} channels, declaring {@code prefix + "gamma"} and {@code prefix + "beta"}. */
    public ChannelLayerNorm(Params params, String prefix, int channels) {
        if (channels < 1) throw new IllegalArgumentException("ChannelLayerNorm needs channels >= 1, got " + channels);
        this.ops = params.ops();
        this.channels = channels;
        this.ws = new Workspace(ops);
        this.gamma = params.declare(prefix + "gamma", new int[]{channels}, Init.constant(1));
        this.beta = params.declare(prefix + "beta", new int[]{channels}, Init.constant(0));
    }

    /** A tensor {@code [B][C][positions]} normalised over C at each position. */
    static NormShape shape(int batch, int channels, long positions) {
        return new NormShape(batch, channels, Math.toIntExact(positions), 1, NormShape.Kind.STD_PLUS_EPS, EPS);
    }

    /** y = norm(x) for {@code [batch][C][positions]} at x and y: the step SimpleLayerNorm takes per tensor. */
    static void forward(Ops ops, Param gamma, Param beta, int batch, int channels, long positions, Ptr x, Ptr y) {
        ops.layerNorm(shape(batch, channels, positions), x, gamma.value(), beta.value(), y);
    }

    static void backward(Ops ops, Param gamma, Param beta, int batch, int channels, long positions, Ptr x, Ptr dy, Ptr dx) {
        ops.layerNormBackward(shape(batch, channels, positions), x, gamma.value(), dy, dx, gamma.grad(), beta.grad());
    }

    @Override
    public Value forward(Value in) {
        if (!(in instanceof Tensor x) || x.shape().length < 2 || x.shape()[1] != channels)
            throw new IllegalArgumentException(this + " takes a tensor [B, " + channels + ", ...], got " + in);
        Ptr y = ws.get("out", x.size());
        forward(ops, gamma, beta, x.batch(), channels, x.perSample() / channels, x.data(), y);
        lastIn = x;
        lastOut = x.withData(y);
        return lastOut;
    }

    @Override
    public Value backward(Value gradOut) {
        if (lastIn == null) throw new IllegalStateException(this + ": backward without a forward");
        if (!(gradOut instanceof Tensor g) || !Arrays.equals(g.shape(), lastIn.shape()))
            throw new IllegalArgumentException(this + ": gradient must be a tensor of shape " + lastIn + ", got " + gradOut);
        Ptr dx = ws.get("dx", lastIn.size());
        backward(ops, gamma, beta, lastIn.batch(), channels, lastIn.perSample() / channels, lastIn.data(), g.data(), dx);
        return lastIn.withData(dx);
    }

    @Override
    public String toString() {
        return "ChannelLayerNorm(" + channels + ")";
    }
}
