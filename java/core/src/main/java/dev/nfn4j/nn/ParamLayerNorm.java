package dev.nfn4j.nn;

import dev.nfn4j.ops.NormShape;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;

/**
 * nfn's ParamLayerNorm (MLP weight spaces; nfn has no conv form): a torch {@code nn.LayerNorm}
 * (biased variance, eps 1e-5 inside the square root, weight ones, bias zeros) per tensor, over the
 * axes that are not permuted freely, so the layer is equivariant to hidden-neuron permutations:
 * <ul>
 *   <li>W_0 {@code [C, n_0, n_in]}: over (channels, inputs) for each row; {@code norm0_w} {@code [C, n_in]}.
 *       b_0: over channels; {@code norm0_v [C]}.</li>
 *   <li>W_{L-1} {@code [C, n_out, n_{L-2}]}: over (outputs, channels) for each column; {@code norm{L-1}_w [n_out, C]}.
 *       b_{L-1}: over (channels, outputs); {@code norm{L-1}_v [C, n_out]}.</li>
 *   <li>Middle layers: over channels for each entry; {@code norm{i}_w}, {@code norm{i}_v} {@code [C]}.</li>
 * </ul>
 * (A one-layer network takes the first layer's form.) The last weight's parameters are stored
 * {@code [n_out, C]} as nfn's; the norm reads them transposed to the tensor's {@code (c, j)} order.
 */
public final class ParamLayerNorm implements Layer {
    /** The eps inside the square root, as torch.nn.LayerNorm's default. */
    public static final double EPS = 1e-5;

    private final Ops ops;
    private final NetworkSpec spec;
    private final int channels;
    private final Param[] wWeight, wBias, vWeight, vBias;
    private final Workspace ws;
    private WeightSpace lastIn, lastOut;

    /** A norm of a weight space of {@code channels} channels, parameters under {@code prefix}. */
    public ParamLayerNorm(Params params, String prefix, NetworkSpec spec, int channels) {
        if (channels < 1) throw new IllegalArgumentException("ParamLayerNorm needs channels >= 1, got " + channels);
        for (int i = 0; i < spec.numLayers(); i++)
            if (spec.isConv(i)) throw new IllegalArgumentException("ParamLayerNorm takes MLP weight spaces only (as nfn's); layer " + i + " is a conv layer");
        this.ops = params.ops();
        this.spec = spec;
        this.channels = channels;
        this.ws = new Workspace(ops);
        int L = spec.numLayers();
        wWeight = new Param[L];
        wBias = new Param[L];
        vWeight = new Param[L];
        vBias = new Param[L];
        for (int i = 0; i < L; i++) {
            int[] w = i == 0 ? new int[]{channels, spec.nIn()} : i == L - 1 ? new int[]{spec.nOut(), channels} : new int[]{channels};
            int[] v = i == 0 || i < L - 1 ? new int[]{channels} : new int[]{channels, spec.nOut()};
            wWeight[i] = params.declare(prefix + "norm" + i + "_w.weight", w, Init.constant(1));
            wBias[i] = params.declare(prefix + "norm" + i + "_w.bias", w, Init.constant(0));
            vWeight[i] = params.declare(prefix + "norm" + i + "_v.weight", v, Init.constant(1));
            vBias[i] = params.declare(prefix + "norm" + i + "_v.bias", v, Init.constant(0));
        }
    }

    private boolean lastForm(int i) {
        return i > 0 && i == spec.numLayers() - 1;
    }

    private NormShape weightShape(int i, int batch) {
        int rows = spec.rows(i), cols = spec.cols(i);
        if (i == 0) return norm(batch, channels, rows, cols); // [B][C][n_0][n_in]: over (c, k) per row j
        if (lastForm(i)) return norm(batch, channels * rows, cols, 1); // [B][(C n_out)][n_prev]: over (c, j) per column k
        return norm(batch, channels, rows * cols, 1); // over c per entry
    }

    private NormShape biasShape(int i, int batch) {
        return lastForm(i) ? norm(batch, channels * spec.rows(i), 1, 1) : norm(batch, channels, spec.rows(i), 1);
    }

    private static NormShape norm(int outer, int a, int groups, int inner) {
        return new NormShape(outer, a, groups, inner, NormShape.Kind.SQRT_VAR_PLUS_EPS, EPS);
    }

    /** The last weight's [n_out][C] parameter as [C][n_out] (to), or its [C][n_out] gradient added back (from). */
    private void transposeLast(Ptr from, long[] fromStrides, Ptr to, long[] toStrides, boolean accumulate) {
        ops.copy4d(new int[]{1, 1, channels, spec.nOut()}, from, fromStrides, to, toStrides, accumulate);
    }

    private long[] paramStrides() {
        return new long[]{0, 0, 1, channels}; // [j][c] read at (c, j)
    }

    private long[] tensorStrides() {
        return new long[]{0, 0, spec.nOut(), 1};
    }

    @Override
    public Value forward(Value in) {
        WeightSpace x = WeightSpaces.check(this, in, spec, channels);
        WsLayout lay = x.layout();
        WeightSpace y = new WeightSpace(lay, ws.get("out", lay.size()));
        int B = x.batch();
        for (int i = 0; i < spec.numLayers(); i++) {
            Ptr gamma = wWeight[i].value(), beta = wBias[i].value();
            if (lastForm(i)) {
                int n = channels * spec.nOut();
                gamma = ws.get("gammaT", n);
                beta = ws.get("betaT", n);
                transposeLast(wWeight[i].value(), paramStrides(), gamma, tensorStrides(), false);
                transposeLast(wBias[i].value(), paramStrides(), beta, tensorStrides(), false);
            }
            ops.layerNorm(weightShape(i, B), x.w(i), gamma, beta, y.w(i));
            ops.layerNorm(biasShape(i, B), x.b(i), vWeight[i].value(), vBias[i].value(), y.b(i));
        }
        lastIn = x;
        lastOut = y;
        return y;
    }

    @Override
    public Value backward(Value gradOut) {
        WeightSpace g = WeightSpaces.checkGrad(this, gradOut, lastOut), x = lastIn;
        WeightSpace dx = new WeightSpace(x.layout(), ws.get("dx", x.size()));
        int B = x.batch();
        for (int i = 0; i < spec.numLayers(); i++) {
            if (lastForm(i)) {
                int n = channels * spec.nOut();
                Ptr dGamma = ws.zeroed("dGammaT", n), dBeta = ws.zeroed("dBetaT", n);
                // gammaT still holds this forward's transposed weight (set by the last forward)
                ops.layerNormBackward(weightShape(i, B), x.w(i), ws.get("gammaT", n), g.w(i), dx.w(i), dGamma, dBeta);
                transposeLast(dGamma, tensorStrides(), wWeight[i].grad(), paramStrides(), true);
                transposeLast(dBeta, tensorStrides(), wBias[i].grad(), paramStrides(), true);
            } else {
                ops.layerNormBackward(weightShape(i, B), x.w(i), wWeight[i].value(), g.w(i), dx.w(i), wWeight[i].grad(), wBias[i].grad());
            }
            ops.layerNormBackward(biasShape(i, B), x.b(i), vWeight[i].value(), g.b(i), dx.b(i), vWeight[i].grad(), vBias[i].grad());
        }
        return dx;
    }

    @Override
    public String toString() {
        return "ParamLayerNorm(" + channels + ")";
    }
}
