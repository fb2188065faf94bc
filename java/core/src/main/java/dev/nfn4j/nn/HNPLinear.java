package dev.nfn4j.nn;

import dev.nfn4j.space.NetworkSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * nfn's HNPLinear: an NF-Layer equivariant to permutations of hidden neurons only, so the input
 * columns of W_0 and the output rows of W_{L-1} keep their identity (DESIGN.md section 4).
 * Defined for L >= 2.
 */
public final class HNPLinear extends GraphLayer {
    private final String prefix;

    /** An HNPLinear from {@code cin} to {@code cout} channels, declaring its parameters under {@code prefix}. */
    public HNPLinear(Params params, String prefix, NetworkSpec spec, int cin, int cout, Init.Type init) {
        super(params, spec, cin, cout);
        this.prefix = prefix;
        int L = spec.numLayers();
        if (L < 2)
            throw new IllegalArgumentException("HNPLinear needs at least 2 layers (a 1-layer network has no hidden neurons); got " + spec
                    + ". Use NPLinear with io_embed, or Pointwise.");
        int nIn = spec.nIn(), nOut = spec.nOut();
        long nRc = (long) nIn * f(0) + (long) nOut * f(L - 1) + L + nOut;
        for (int i = 0; i < L; i++) nRc += f(i);
        nRc *= cin;
        for (int i = 0; i < L; i++) {
            int fi = f(i);
            if (i == 0) {
                int rptIn = (fi * nIn + f(1) + 1 + (L == 2 ? nOut * f(1) : 0)) * cin;
                int o = nIn * fi * cout;
                // nfn leaves w0_rpt and w0_rbdcst at PyTorch's default init (each its own fan-in).
                declare("w0_rpt", new int[]{o, rptIn, 1}, init, rptIn);
                declare("w0_rbdcst", new int[]{o, (int) nRc}, init, nRc);
                declare("bias_0", new int[]{cout, rptIn, 1}, init, rptIn + nRc);
                declare("bias_0_rc", new int[]{cout, (int) nRc}, init, rptIn + nRc);
            } else if (i == L - 1) {
                int cptIn = (fi * nOut + f(i - 1) + (i - 1 == 0 ? nIn * f(0) : 0)) * cin;
                int o = nOut * fi * cout;
                declare("wfin_cpt", new int[]{o, cptIn, 1}, init, cptIn + nRc);
                declare("wfin_cbdcst", new int[]{o, (int) nRc}, init, cptIn + nRc);
                declare("bias_fin_rc", new int[]{nOut * cout, (int) nRc}, init, nRc);
            } else {
                int rowIn = (f(i - 1) + fi + 1) * cin + (i == 1 ? nIn * f(0) * cin : 0);
                int colIn = (f(i + 1) + fi + 1) * cin + (i == L - 2 ? nOut * f(L - 1) * cin : 0);
                long fan = (long) fi * cin + nRc + rowIn + colIn;
                declare("layer_" + i, new int[]{fi * cout, fi * cin, 1, 1}, init, fan);
                declare("layer_" + i + "_rc", new int[]{fi * cout, (int) nRc}, init, fan);
                declare("layer_" + i + "_r", new int[]{fi * cout, rowIn, 1}, init, fan);
                declare("layer_" + i + "_c", new int[]{fi * cout, colIn, 1}, init, fan);
                declare("bias_" + i, new int[]{cout, colIn, 1}, init, colIn + nRc);
                declare("bias_" + i + "_rc", new int[]{cout, (int) nRc}, init, colIn + nRc);
            }
        }
    }

    private void declare(String name, int[] shape, Init.Type init, long fanIn) {
        declare(prefix, name, shape, init.weight(fanIn), init.bias(fanIn));
    }

    private Param w(String name) {
        return params.get(prefix + name + ".weight");
    }

    private Param b(String name) {
        return params.get(prefix + name + ".bias");
    }

    @Override
    boolean poolsRawInput() {
        return true;
    }

    @Override
    void wire(MixGraph g) {
        int L = spec.numLayers(), nIn = spec.nIn(), nOut = spec.nOut();
        List<MixGraph.Pooled> pooled = poolAll(g, L);
        // g = cat(rc means, bias means, flat(rowmean_0), flat(colmean_{L-1}), flat(b_{L-1}))
        List<MixGraph.Src> gSrc = globalSources(pooled);
        gSrc.add(pooled.get(0).rowMean().flat());
        gSrc.add(pooled.get(L - 1).colMean().flat());
        gSrc.add(g.inB(L - 1).flat());
        MixGraph.Concat gvec = g.concat(1, gSrc);

        for (int i = 0; i < L; i++) {
            if (i == 0) {
                // each hidden neuron j of layer 0: rpt_j = (W_0[:, j, :] as (c, k), rowmean_1[:, j], b_0[:, j], [W_{L-1}[:, :, j] if L == 2])
                List<MixGraph.Src> rpt = new ArrayList<>(List.of(g.inWT(0), pooled.get(1).rowMean(), g.inB(0)));
                if (L == 2) rpt.add(g.inW(1));
                MixGraph.Concat x = g.concat(spec.rows(0), rpt);
                int o = nIn * f(0) * cout;
                MixGraph.Mix bc = g.mix(w("w0_rbdcst"), b("w0_rbdcst"), gvec, o);
                MixGraph.Mix staged = g.mixToStage(w("w0_rpt"), b("w0_rpt"), x, o, bc);
                g.placeTransposed(staged, 0, nIn); // b (c' k) j -> b c' j k
                MixGraph.Mix brc = g.mix(w("bias_0_rc"), b("bias_0_rc"), gvec, cout);
                g.mixBias(w("bias_0"), b("bias_0"), 0, x, brc);
            } else if (i == L - 1) {
                // each column k of W_{L-1}: cpt_k = (W_{L-1}[:, :, k] as (c, o), colmean_{L-2}[:, k], [W_0[:, k, :] if L == 2])
                List<MixGraph.Src> cpt = new ArrayList<>(List.of(g.inW(i), pooled.get(i - 1).colMean()));
                if (L == 2) cpt.add(g.inWT(0));
                MixGraph.Concat x = g.concat(spec.cols(i), cpt);
                int o = nOut * f(i) * cout;
                MixGraph.Mix bc = g.mix(w("wfin_cbdcst"), b("wfin_cbdcst"), gvec, o);
                g.mixToWeight(w("wfin_cpt"), b("wfin_cpt"), i, x, bc); // b (c' o) k is W'_{L-1}'s own layout
                g.mixGlobalToBias(w("bias_fin_rc"), b("bias_fin_rc"), i, gvec);
            } else {
                List<MixGraph.Src> row = new ArrayList<>(List.of(pooled.get(i).rowMean(), pooled.get(i - 1).colMean(), g.inB(i - 1)));
                if (i == 1) row.add(g.inWT(0));
                List<MixGraph.Src> col = new ArrayList<>(List.of(pooled.get(i).colMean(), g.inB(i), pooled.get(i + 1).rowMean()));
                if (i == L - 2) col.add(g.inW(L - 1));
                wireNpLayer(g, prefix, i, row, col, gvec);
            }
        }
    }

    @Override
    public String toString() {
        return "HNPLinear(" + cin + " -> " + cout + ", n_in=" + spec.nIn() + ", n_out=" + spec.nOut() + ", L=" + spec.numLayers() + ")";
    }
}
