package dev.nfn4j.train;

/**
 * Softmax cross-entropy of logits {@code z [B][K]} against labels {@code y [B]} in [0, K), as
 * torch.nn.functional.cross_entropy with mean reduction: per row {@code logsumexp(z) - z[y]},
 * with the row's maximum taken out before exponentiating so large logits neither overflow nor
 * lose the label's term. Arithmetic in double from the float logits.
 */
public final class SoftmaxCrossEntropy {
    private SoftmaxCrossEntropy() {
    }

    /**
     * The mean loss over the first B rows; with {@code dz} non-null, writes d(mean loss)/dz there
     * ({@code (softmax(z) - onehot(y)) / B}).
     *
     * @throws IllegalArgumentException on a label outside [0, K), naming the row
     */
    public static double mean(float[] z, float[] dz, int K, int B, int[] y) {
        if (B < 1) throw new IllegalArgumentException("cross-entropy of an empty batch");
        return sum(z, dz, K, B, y, new double[K])[0] / B;
    }

    /**
     * As {@link #mean}, returning {sum of the rows' losses, rows whose arg max is the label}; the
     * gradient written is still that of the mean. {@code e} holds K doubles of scratch, so a
     * training loop allocates nothing per call.
     */
    public static double[] sum(float[] z, float[] dz, int K, int B, int[] y, double[] e) {
        if (z.length < (long) B * K || y.length < B || (dz != null && dz.length < (long) B * K))
            throw new IllegalArgumentException("cross-entropy: " + z.length + " logits, " + y.length + " labels for " + B + " rows of " + K);
        double loss = 0;
        int correct = 0;
        for (int b = 0; b < B; b++) {
            if (y[b] < 0 || y[b] >= K) throw new IllegalArgumentException("label " + y[b] + " of row " + b + " is outside [0, " + K + ")");
            int o = b * K, arg = 0;
            float max = z[o];
            for (int c = 1; c < K; c++)
                if (z[o + c] > max) {
                    max = z[o + c];
                    arg = c;
                }
            if (arg == y[b]) correct++;
            double s = 0;
            for (int c = 0; c < K; c++) s += (e[c] = StrictMath.exp((double) z[o + c] - max));
            loss += max + StrictMath.log(s) - z[o + y[b]];
            if (dz != null)
                for (int c = 0; c < K; c++) dz[o + c] = (float) ((e[c] / s - (c == y[b] ? 1 : 0)) / B);
        }
        return new double[]{loss, correct};
    }

    /** Softmax of each of the B rows of {@code z [B][K]}, in double, as floats. */
    public static float[] softmax(float[] z, int K, int B) {
        float[] p = new float[B * K];
        for (int b = 0; b < B; b++) {
            int o = b * K;
            double max = Double.NEGATIVE_INFINITY, s = 0;
            for (int c = 0; c < K; c++) max = Math.max(max, z[o + c]);
            for (int c = 0; c < K; c++) s += StrictMath.exp(z[o + c] - max);
            for (int c = 0; c < K; c++) p[o + c] = (float) (StrictMath.exp(z[o + c] - max) / s);
        }
        return p;
    }
}
