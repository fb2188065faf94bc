package dev.nfn4j.zoo.build;

import java.util.Arrays;

/**
 * Iterative magnitude pruning (Frankle and Carbin 2019), the pruning half: which weights survive
 * each round. Training and rewinding are the caller's ({@link TicketZooBuilder}).
 *
 * <p>Per layer and per round, the surviving weights of smallest magnitude go until the layer
 * keeps {@code round(target * size)} weights (at least one); ties go by position, the lower
 * index first, so the result depends on the weights alone. Biases are never pruned.
 *
 * <p>The schedule: the requested densities {@code d_0 > d_1 > ...} (fractions of weights kept)
 * are the targets of every layer but the last, one round each; the last layer is pruned at half
 * the rate of each round ({@code e_k = e_{k-1} * (1 - r_k / 2)} with {@code r_k = 1 - d_k / d_{k-1}}),
 * as is usual for output layers.
 */
public final class Imp {
    private Imp() {
    }

    /**
     * Checks that densities are strictly decreasing and in (0, 1).
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public static void checkDensities(double[] densities) {
        if (densities.length == 0) throw new IllegalArgumentException("need at least one density");
        for (int k = 0; k < densities.length; k++) {
            double d = densities[k];
            if (!(d > 0 && d < 1)) throw new IllegalArgumentException("density must be in (0, 1), got " + d);
            if (k > 0 && !(d < densities[k - 1]))
                throw new IllegalArgumentException("densities must be strictly decreasing, got " + Arrays.toString(densities));
        }
    }

    /**
     * The per-layer target density of each round: {@code [round][layer]}.
     *
     * @param densities the requested densities, strictly decreasing, in (0, 1)
     * @param layers    number of prunable layers (the last is pruned at half the rate)
     */
    public static double[][] schedule(double[] densities, int layers) {
        checkDensities(densities);
        if (layers < 1) throw new IllegalArgumentException("need at least one layer, got " + layers);
        double[][] t = new double[densities.length][layers];
        double prev = 1, last = 1;
        for (int k = 0; k < densities.length; k++) {
            double rate = 1 - densities[k] / prev;
            last *= 1 - rate / 2;
            for (int l = 0; l < layers; l++) t[k][l] = l == layers - 1 && layers > 1 ? last : densities[k];
            prev = densities[k];
        }
        return t;
    }

    /** Weights a layer of {@code size} keeps at {@code density}: round(density * size), at least 1. */
    public static int keepCount(double density, int size) {
        return (int) Math.max(1, Math.min(size, Math.round(density * size)));
    }

    /**
     * One round on one layer: of the weights {@code w[i]} with {@code keep[i]}, the
     * {@code count - target} of smallest |w| (ties: lower index first) are dropped.
     *
     * @param w      the layer's trained weights
     * @param keep   which survive so far (not changed)
     * @param target how many survive this round (at most the current count)
     * @return the new survivors
     */
    public static boolean[] prune(float[] w, boolean[] keep, int target) {
        if (w.length != keep.length) throw new IllegalArgumentException("weights and mask differ in length: " + w.length + " vs " + keep.length);
        int alive = 0;
        for (boolean k : keep) if (k) alive++;
        if (target < 0 || target > alive) throw new IllegalArgumentException("cannot keep " + target + " of " + alive + " surviving weights");
        Integer[] idx = new Integer[alive];
        for (int i = 0, n = 0; i < w.length; i++) if (keep[i]) idx[n++] = i;
        // |w| then index: a total order (NaN sorts last, so a non-finite weight is kept rather than arbitrarily dropped).
        Arrays.sort(idx, (a, b) -> {
            int c = Float.compare(Math.abs(w[a]), Math.abs(w[b]));
            return c != 0 ? c : Integer.compare(a, b);
        });
        boolean[] out = keep.clone();
        for (int n = 0; n < alive - target; n++) out[idx[n]] = false;
        return out;
    }
}
