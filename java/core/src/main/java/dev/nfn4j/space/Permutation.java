package dev.nfn4j.space;

import java.util.Random;

/**
 * A permutation of the neurons of every layer of a network: {@code perm[m]} permutes the n_{m-1}
 * neurons of neuron layer m (m = 0 the inputs, m = L the outputs). The HNP group moves only
 * hidden neurons (m = 1..L-1); the NP group moves inputs and outputs too. Acting on a weight
 * space moves row j of W_i and entry j of b_i to perm[i+1][j], and column k of W_i to perm[i][k],
 * so the network's function is unchanged.
 */
public final class Permutation {
    private final int[][] perm;

    private Permutation(int[][] perm) {
        this.perm = perm;
    }

    /** Random permutation of hidden neurons only (identity on inputs and outputs). */
    public static Permutation randomHidden(NetworkSpec spec, Random rnd) {
        return random(spec, rnd, false);
    }

    /** Random permutation of all neurons, inputs and outputs included. */
    public static Permutation randomAll(NetworkSpec spec, Random rnd) {
        return random(spec, rnd, true);
    }

    private static Permutation random(NetworkSpec spec, Random rnd, boolean io) {
        int L = spec.numLayers();
        int[][] p = new int[L + 1][];
        for (int m = 0; m <= L; m++) {
            int n = spec.sizes()[m];
            p[m] = identity(n);
            if (io || (m > 0 && m < L)) shuffle(p[m], rnd);
        }
        return new Permutation(p);
    }

    /** A permutation that moves only the rows of W_i (not the columns of W_{i+1} nor b_i): breaks the symmetry. */
    public static int[] randomNonIdentity(int n, Random rnd) {
        if (n < 2) throw new IllegalArgumentException("cannot permute " + n + " element(s) non-trivially");
        int[] p = identity(n);
        do shuffle(p, rnd); while (isIdentity(p));
        return p;
    }

    /** The permutation of the neurons of one hidden layer. */
    public int[] of(int neuronLayer) {
        return perm[neuronLayer].clone();
    }

    /** This permutation applied to a host weight-space batch (a new batch; the input is unchanged). */
    public HostWeights apply(HostWeights x) {
        WsLayout lay = x.layout();
        NetworkSpec spec = lay.spec();
        float[] in = x.data(), out = new float[in.length];
        int B = lay.batch(), C = lay.channels();
        for (int i = 0; i < spec.numLayers(); i++) {
            int rows = spec.rows(i), cols = spec.cols(i), plane = rows * cols;
            int[] pr = perm[i + 1], pc = perm[i];
            int wo = (int) lay.wOffset(i), bo = (int) lay.bOffset(i);
            for (int q = 0; q < B * lay.wChannels(i); q++)
                for (int j = 0; j < rows; j++)
                    for (int k = 0; k < cols; k++)
                        out[wo + q * plane + pr[j] * cols + pc[k]] = in[wo + q * plane + j * cols + k];
            for (int q = 0; q < B * C; q++)
                for (int j = 0; j < rows; j++) out[bo + q * rows + pr[j]] = in[bo + q * rows + j];
        }
        return new HostWeights(lay, out);
    }

    /** Moves only the rows of W_i by {@code p}: not a symmetry of the network. */
    public static HostWeights permuteRowsOnly(HostWeights x, int i, int[] p) {
        WsLayout lay = x.layout();
        NetworkSpec spec = lay.spec();
        float[] out = x.data().clone();
        int rows = spec.rows(i), cols = spec.cols(i), plane = rows * cols, wo = (int) lay.wOffset(i);
        for (int q = 0; q < lay.batch() * lay.wChannels(i); q++)
            for (int j = 0; j < rows; j++)
                System.arraycopy(x.data(), wo + q * plane + j * cols, out, wo + q * plane + p[j] * cols, cols);
        return new HostWeights(lay, out);
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return p;
    }

    private static boolean isIdentity(int[] p) {
        for (int i = 0; i < p.length; i++) if (p[i] != i) return false;
        return true;
    }

    private static void shuffle(int[] p, Random rnd) {
        for (int i = p.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
    }
}
