package dev.nfn4j.train;

/**
 * Weighted binary cross-entropy on logits, the loss of the mask predictor: for logits z,
 * targets t in {0, 1} and weights w >= 0, {@code sum_i w_i (softplus(z_i) - t_i z_i) / sum_i w_i}
 * (the stable form of {@code -t log sigmoid(z) - (1 - t) log(1 - sigmoid(z))}); its gradient is
 * {@code w_i (sigmoid(z_i) - t_i) / sum_i w_i}.
 */
public final class MaskLoss {
    private MaskLoss() {
    }

    /** The loss; writes d(loss)/d(z) into {@code grad} (may be null). */
    public static double compute(float[] z, float[] t, float[] w, float[] grad) {
        int n = z.length;
        if (t.length != n || w.length != n || (grad != null && grad.length != n))
            throw new IllegalArgumentException("mask loss: " + n + " logits, " + t.length + " targets, " + w.length + " weights"
                    + (grad == null ? "" : ", " + grad.length + " gradient slots"));
        double sumW = 0, sum = 0;
        for (int i = 0; i < n; i++) sumW += w[i];
        if (!(sumW > 0)) throw new IllegalArgumentException("mask loss: the weights sum to " + sumW);
        for (int i = 0; i < n; i++) {
            double x = z[i];
            double softplus = Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
            sum += w[i] * (softplus - t[i] * x);
            if (grad != null) {
                double s = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
                grad[i] = (float) (w[i] * (s - t[i]) / sumW);
            }
        }
        return sum / sumW;
    }
}
