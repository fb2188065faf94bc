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

import java.util.ArrayList;
import java.util.List;

/**
 * nfn's NPAttention with shared projections and no dropout (the Neural Functional Transformer's
 * attention layer): permutation equivariant to every neuron, inputs and outputs included.
 * <ol>
 *   <li>{@code to_qkv}, one Linear C -> 3C, maps every weight and bias entry to its query, key and
 *       value; channel {@code h 3ch + w} is head h's value w, queries then keys then values
 *       ({@code ch = C / heads}).</li>
 *   <li>Diagonal term: per head, the 2L tokens "mean of qkv(W_i)" and "mean of qkv(b_i)" attend to
 *       each other (dimension ch); token i's output is added to every entry of W_i, token L+i's to
 *       every entry of b_i.</li>
 *   <li>Cross terms: for each neuron set (the n_{-1} inputs, then the n_i outputs of layer i), per
 *       head, the tokens that touch it attend to each other: the columns of W_i, the bias b_i and
 *       the rows of W_{i+1} (where they exist), each token a vector of ch x n_i values. Each output
 *       token is added back where its input token came from.</li>
 * </ol>
 * Tokens are gathered with {@link Ops#copy4d} into {@code [B heads][tokens][3][ch n]} and attend in
 * one {@link Ops#attention} call per neuron set. MLP weight spaces only: nfn's shared projection
 * maps C channels, not a conv layer's C f_i.
 */
public final class NPAttention implements Layer {
    private final Ops ops;
    private final NetworkSpec spec;
    private final int channels, heads, ch;
    private final Param weight, bias;
    private final Workspace ws;
    private WeightSpace lastIn, lastQkv, lastOut;

    /** Attention over {@code channels} channels in {@code heads} heads (a divisor of channels), parameters under {@code prefix}. */
    public NPAttention(Params params, String prefix, NetworkSpec spec, int channels, int heads) {
        if (heads < 1 || channels < 1 || channels % heads != 0)
            throw new IllegalArgumentException("NPAttention: channels (" + channels + ") must be a positive multiple of num_heads (" + heads + ")");
        for (int i = 0; i < spec.numLayers(); i++)
            if (spec.isConv(i)) throw new IllegalArgumentException("NPAttention with shared projections takes MLP weight spaces only; layer " + i + " is a conv layer");
        this.ops = params.ops();
        this.spec = spec;
        this.channels = channels;
        this.heads = heads;
        this.ch = channels / heads;
        this.ws = new Workspace(ops);
        double bound = 1 / Math.sqrt(channels); // torch.nn.Linear's default init
        weight = params.declare(prefix + "to_qkv.linear.weight", new int[]{3 * channels, channels}, Init.uniform(bound));
        bias = params.declare(prefix + "to_qkv.linear.bias", new int[]{3 * channels}, Init.uniform(bound));
    }

    /** Neuron set s (0..L): the n_{s-1} values it has; set 0 is the network's inputs. */
    private int setSize(int s) {
        return spec.sizes()[s];
    }

    /** Tokens of neuron set s: columns of W_{s-1} and b_{s-1} (s > 0), rows of W_s (s < L). */
    private int tokens(int s) {
        int L = spec.numLayers();
        return (s > 0 ? spec.cols(s - 1) + 1 : 0) + (s < L ? spec.rows(s) : 0);
    }

    /**
     * One block of tokens of neuron set s and where it lives in a weight space whose heads have
     * {@code width} channels each: {@code dims} (B heads, tokens, width, n), the weight space's
     * strides for them (from tensor {@code layer}'s weight, or its bias), the token buffer's strides
     * and offset. The (batch, head) axes merge into one since channel h width + w is contiguous.
     */
    private record Piece(boolean isWeight, int layer, int[] dims, long[] wsStrides, long[] tokStrides, long tokOffset) {
        Ptr at(WeightSpace x) {
            return isWeight ? x.w(layer) : x.b(layer);
        }
    }

    private List<Piece> pieces(int s, int batch, int width) {
        int L = spec.numLayers(), n = setSize(s), T = tokens(s), bh = batch * heads;
        long tok = (long) width * n; // one token's values
        long[] tokStrides = {T * tok, tok, n, 1};
        List<Piece> out = new ArrayList<>();
        int at = 0;
        if (s > 0) {
            int i = s - 1, prev = spec.cols(i); // W_i [n][prev]: column k is token k
            out.add(new Piece(true, i, new int[]{bh, prev, width, n}, new long[]{tok * prev, 1, (long) n * prev, prev}, tokStrides, 0));
            out.add(new Piece(false, i, new int[]{bh, 1, width, n}, new long[]{tok, 0, n, 1}, new long[]{T * tok, 0, n, 1}, prev * tok));
            at = prev + 1;
        }
        if (s < L) {
            int next = spec.rows(s); // W_s [next][n]: row r is token at + r
            out.add(new Piece(true, s, new int[]{bh, next, width, n}, new long[]{tok * next, n, (long) next * n, 1}, tokStrides, at * tok));
        }
        return out;
    }

    private void gather(List<Piece> pieces, WeightSpace from, Ptr tokens) {
        for (Piece p : pieces) ops.copy4d(p.dims, p.at(from), p.wsStrides, tokens.plus(p.tokOffset), p.tokStrides, false);
    }

    private void scatterAdd(List<Piece> pieces, Ptr tokens, WeightSpace to) {
        for (Piece p : pieces) ops.copy4d(p.dims, tokens.plus(p.tokOffset), p.tokStrides, p.at(to), p.wsStrides, true);
    }

    private static float scale(int dim) {
        return (float) (1 / Math.sqrt(dim));
    }

    /** Strides of [2L][B][C'] (per-tensor plane means) viewed as (token, b, h, w) with C' = heads width. */
    private long[] meansStrides(int batch, int width) {
        long c = (long) heads * width;
        return new long[]{batch * c, c, width, 1};
    }

    /** Strides of the diagonal tokens [B][heads][2L][width] viewed as (token, b, h, w). */
    private long[] diagStrides(int width) {
        int t = 2 * spec.numLayers();
        return new long[]{width, (long) heads * t * width, (long) t * width, 1};
    }

    private MixShape weightMix(int i, int batch) {
        return new MixShape(batch, channels, 3 * channels, spec.rows(i), spec.cols(i));
    }

    private MixShape biasMix(int i, int batch) {
        return new MixShape(batch, channels, 3 * channels, 1, spec.rows(i));
    }

    @Override
    public Value forward(Value in) {
        WeightSpace x = WeightSpaces.check(this, in, spec, channels);
        int B = x.batch(), L = spec.numLayers(), C3 = 3 * channels;
        WsLayout qLay = x.layout().withChannels(C3);
        WeightSpace qkv = new WeightSpace(qLay, ws.get("qkv", qLay.size()));
        for (int i = 0; i < L; i++) {
            ops.channelMix(weightMix(i, B), x.w(i), weight.value(), MixEpilogue.bias(bias.value()), qkv.w(i));
            ops.channelMix(biasMix(i, B), x.b(i), weight.value(), MixEpilogue.bias(bias.value()), qkv.b(i));
        }
        WeightSpace out = new WeightSpace(x.layout(), ws.zeroed("out", x.size()));

        // Diagonal term: the 2L tensor means attend (dimension ch), each output broadcast over its tensor.
        long perTensor = (long) B * C3;
        Ptr means = ws.get("means", 2L * L * perTensor);
        for (int i = 0; i < L; i++) {
            ops.planeReduce(perTensor, spec.rows(i), spec.cols(i), qkv.w(i), null, null, means.plus(i * perTensor), true);
            ops.planeReduce(perTensor, 1, spec.rows(i), qkv.b(i), null, null, means.plus((L + i) * perTensor), true);
        }
        int[] diagDims = {2 * L, B, heads, 3 * ch};
        Ptr diag = ws.get("diag", (long) B * heads * 2 * L * 3 * ch), diagP = ws.get("diagP", (long) B * heads * 4 * L * L);
        Ptr diagO = ws.get("diagO", (long) B * heads * 2 * L * ch), glob = ws.get("glob", 2L * L * B * channels);
        ops.copy4d(diagDims, means, meansStrides(B, 3 * ch), diag, diagStrides(3 * ch), false);
        ops.attention((long) B * heads, 2 * L, ch, scale(ch), diag, diagP, diagO);
        ops.copy4d(new int[]{2 * L, B, heads, ch}, diagO, diagStrides(ch), glob, meansStrides(B, ch), false);
        long perOut = (long) B * channels;
        for (int i = 0; i < L; i++) {
            ops.planeBroadcast(perOut, spec.rows(i), spec.cols(i), null, 0, null, 0, glob.plus(i * perOut), 1, out.w(i));
            ops.planeBroadcast(perOut, 1, spec.rows(i), null, 0, null, 0, glob.plus((L + i) * perOut), 1, out.b(i));
        }

        // Cross terms: one attention per neuron set over the tokens that touch it.
        for (int s = 0; s <= L; s++) {
            int T = tokens(s), D = ch * setSize(s);
            long groups = (long) B * heads;
            Ptr tok = ws.get("tok" + s, groups * T * 3 * D), probs = ws.get("probs" + s, groups * T * T), o = ws.get("o" + s, groups * T * D);
            gather(pieces(s, B, 3 * ch), qkv, tok);
            ops.attention(groups, T, D, scale(D), tok, probs, o);
            scatterAdd(pieces(s, B, ch), o, out);
        }
        lastIn = x;
        lastQkv = qkv;
        lastOut = out;
        return out;
    }

    @Override
    public Value backward(Value gradOut) {
        WeightSpace g = WeightSpaces.checkGrad(this, gradOut, lastOut), x = lastIn;
        int B = x.batch(), L = spec.numLayers(), C3 = 3 * channels;
        WeightSpace dqkv = new WeightSpace(lastQkv.layout(), ws.zeroed("dqkv", lastQkv.size()));
        long groups = (long) B * heads;

        for (int s = 0; s <= L; s++) {
            int T = tokens(s), D = ch * setSize(s);
            Ptr dO = ws.get("dO" + s, groups * T * D), dTok = ws.get("dTok" + s, groups * T * 3 * D);
            gather(pieces(s, B, ch), g, dO); // the output's gradient, token by token
            ops.attentionBackward(groups, T, D, scale(D), ws.get("tok" + s, groups * T * 3 * D), ws.get("probs" + s, groups * T * T), dO, dTok);
            scatterAdd(pieces(s, B, 3 * ch), dTok, dqkv);
        }

        long perOut = (long) B * channels, perTensor = (long) B * C3;
        Ptr dGlob = ws.get("dGlob", 2L * L * perOut);
        for (int i = 0; i < L; i++) { // a broadcast's adjoint: the sum over the tensor
            ops.planeReduce(perOut, spec.rows(i), spec.cols(i), g.w(i), null, null, dGlob.plus(i * perOut), false);
            ops.planeReduce(perOut, 1, spec.rows(i), g.b(i), null, null, dGlob.plus((L + i) * perOut), false);
        }
        Ptr dDiagO = ws.get("dDiagO", (long) B * heads * 2 * L * ch), dDiag = ws.get("dDiag", (long) B * heads * 2 * L * 3 * ch);
        Ptr dMeans = ws.get("dMeans", 2L * L * perTensor);
        ops.copy4d(new int[]{2 * L, B, heads, ch}, dGlob, meansStrides(B, ch), dDiagO, diagStrides(ch), false);
        ops.attentionBackward(groups, 2 * L, ch, scale(ch), ws.get("diag", groups * 2 * L * 3 * ch), ws.get("diagP", groups * 4L * L * L), dDiagO, dDiag);
        ops.copy4d(new int[]{2 * L, B, heads, 3 * ch}, dDiag, diagStrides(3 * ch), dMeans, meansStrides(B, 3 * ch), false);
        for (int i = 0; i < L; i++) { // a mean's adjoint
            int rows = spec.rows(i), cols = spec.cols(i);
            ops.planeBroadcast(perTensor, rows, cols, null, 0, null, 0, dMeans.plus(i * perTensor), (float) (1.0 / ((long) rows * cols)), dqkv.w(i));
            ops.planeBroadcast(perTensor, 1, rows, null, 0, null, 0, dMeans.plus((L + i) * perTensor), (float) (1.0 / rows), dqkv.b(i));
        }

        WeightSpace dx = new WeightSpace(x.layout(), ws.get("dx", x.size()));
        for (int i = 0; i < L; i++) {
            ops.channelMixBackward(weightMix(i, B), x.w(i), weight.value(), Act.IDENTITY, null, dqkv.w(i), MixGrads.overwriting(dx.w(i), weight.grad(), bias.grad()));
            ops.channelMixBackward(biasMix(i, B), x.b(i), weight.value(), Act.IDENTITY, null, dqkv.b(i), MixGrads.overwriting(dx.b(i), weight.grad(), bias.grad()));
        }
        return dx;
    }

    @Override
    public String toString() {
        return "NPAttention(channels=" + channels + ", heads=" + heads + ")";
    }
}
