package dev.nfn4j.nn;

import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WeightSpace;

import java.util.ArrayList;
import java.util.List;

/**
 * nfn's NPLinear: an NF-Layer equivariant to permutations of every neuron, inputs and outputs
 * included (DESIGN.md section 4). With {@code ioEmbed}, learned embeddings added to W_0, W_{L-1}
 * and b_{L-1} break the input/output symmetry first.
 */
public final class NPLinear extends GraphLayer {
    private final String prefix;
    private final boolean ioEmbed;
    private Param inEmbed, outEmbed, outBiasEmbed;

    /** An NPLinear from {@code cin} to {@code cout} channels, parameters under {@code prefix}; {@code ioEmbed} adds the input/output embeddings. */
    public NPLinear(Params params, String prefix, NetworkSpec spec, int cin, int cout, boolean ioEmbed, Init.Type init) {
        super(params, spec, cin, cout);
        this.prefix = prefix;
        this.ioEmbed = ioEmbed;
        int L = spec.numLayers();
        long nRc = (long) (L + sumFilters()) * cin;
        for (int i = 0; i < L; i++) {
            int fi = f(i);
            int rowIn = fi * cin + (i > 0 ? (f(i - 1) + 1) * cin : 0);
            int colIn = (fi + 1) * cin + (i < L - 1 ? f(i + 1) * cin : 0);
            long fan = (long) fi * cin + nRc + rowIn + colIn;
            declareGroup(fan, init, new Object[][]{
                    {"layer_" + i, new int[]{fi * cout, fi * cin, 1, 1}},
                    {"layer_" + i + "_rc", new int[]{fi * cout, (int) nRc}},
                    {"layer_" + i + "_r", new int[]{fi * cout, rowIn, 1}},
                    {"layer_" + i + "_c", new int[]{fi * cout, colIn, 1}}});
            declareGroup(colIn + nRc, init, new Object[][]{
                    {"bias_" + i, new int[]{cout, colIn, 1}},
                    {"bias_" + i + "_rc", new int[]{cout, (int) nRc}}});
        }
        if (ioEmbed) {
            inEmbed = params.declare(prefix + "in_embed", new int[]{1, f(0) * cin, 1, spec.nIn()}, Init.normal(1));
            outEmbed = params.declare(prefix + "out_embed", new int[]{1, f(L - 1) * cin, spec.nOut(), 1}, Init.normal(1));
            outBiasEmbed = params.declare(prefix + "out_bias_embed", new int[]{1, cin, spec.nOut()}, Init.normal(1));
        }
    }

    private int sumFilters() {
        int s = 0;
        for (int i = 0; i < spec.numLayers(); i++) s += f(i);
        return s;
    }

    /** Declares {@code name.weight} and {@code name.bias} of each layer in a set_init_ group. */
    private void declareGroup(long fanIn, Init.Type init, Object[][] layers) {
        for (Object[] l : layers) declare(prefix, (String) l[0], (int[]) l[1], init.weight(fanIn), init.bias(fanIn));
    }

    @Override
    boolean poolsRawInput() {
        return !ioEmbed; // with io_embed, stage 1 pools the embedded copy
    }

    @Override
    void wire(MixGraph g) {
        int L = spec.numLayers();
        List<MixGraph.Pooled> pooled = poolAll(g, L);
        MixGraph.Concat gvec = g.concat(1, globalSources(pooled)); // g = cat(rc means, bias means)
        for (int i = 0; i < L; i++) {
            List<MixGraph.Src> row = new ArrayList<>(List.of(pooled.get(i).rowMean()));
            if (i > 0) {
                row.add(pooled.get(i - 1).colMean());
                row.add(g.inB(i - 1));
            }
            List<MixGraph.Src> col = new ArrayList<>(List.of(pooled.get(i).colMean(), g.inB(i)));
            if (i < L - 1) col.add(pooled.get(i + 1).rowMean());
            wireNpLayer(g, prefix, i, row, col, gvec);
        }
    }

    @Override
    WeightSpace prepareInput(WeightSpace x) {
        if (!ioEmbed) return x;
        WeightSpace xe = new WeightSpace(x.layout(), ws.get("embedded", x.size()));
        ops.copy4d(new int[]{1, 1, 1, (int) x.size()}, x.data(), new long[]{0, 0, 0, 1}, xe.data(), new long[]{0, 0, 0, 1}, false);
        for (Embedding e : embeddings(xe)) ops.copy4d(e.dims, e.param.value(), e.paramStrides, e.target, e.targetStrides, true);
        return xe;
    }

    @Override
    WeightSpace finishGradInput(WeightSpace d) {
        // x + embed: the input gradient passes through; each embedding collects the sum over the batch (and over the rows it was broadcast to).
        if (ioEmbed)
            for (Embedding e : embeddings(d)) ops.copy4d(e.dims, e.target, e.targetStrides, e.param.grad(), e.paramStrides, true);
        return d;
    }

    /** An embedding broadcast-added to a region of a weight space: dims, the parameter's strides (zeros broadcast) and the target's. */
    private record Embedding(Param param, int[] dims, long[] paramStrides, dev.nfn4j.ops.Ptr target, long[] targetStrides) {}

    private List<Embedding> embeddings(WeightSpace x) {
        int L = spec.numLayers(), B = x.batch();
        int fc0 = x.layout().wChannels(0), n0 = spec.rows(0), nIn = spec.nIn();
        int fcL = x.layout().wChannels(L - 1), nOut = spec.nOut(), nPrev = spec.cols(L - 1), c = cin;
        return List.of(
                // in_embed [1, f0 C, 1, n_in] onto W_0 [B][f0 C][n_0][n_in]
                new Embedding(inEmbed, new int[]{B, fc0, n0, nIn}, new long[]{0, nIn, 0, 1},
                        x.w(0), new long[]{(long) fc0 * n0 * nIn, (long) n0 * nIn, nIn, 1}),
                // out_embed [1, f C, n_out, 1] onto W_{L-1} [B][f C][n_out][n_{L-2}]
                new Embedding(outEmbed, new int[]{B, fcL, nOut, nPrev}, new long[]{0, nOut, 1, 0},
                        x.w(L - 1), new long[]{(long) fcL * nOut * nPrev, (long) nOut * nPrev, nPrev, 1}),
                // out_bias_embed [1, C, n_out] onto b_{L-1} [B][C][n_out]
                new Embedding(outBiasEmbed, new int[]{B, c, nOut, 1}, new long[]{0, nOut, 1, 0},
                        x.b(L - 1), new long[]{(long) c * nOut, nOut, 1, 0}));
    }

    @Override
    public String toString() {
        return "NPLinear(" + cin + " -> " + cout + (ioEmbed ? ", io_embed" : "") + ")";
    }
}
