package dev.nfn4j.train;

import dev.nfn4j.ops.LossFn;
import dev.nfn4j.ops.Ops;

/**
 * Losses on host predictions (a batch of scalars is a few floats; no kernel is worth it):
 * each returns the mean loss and writes d(loss)/d(prediction) into {@code grad}.
 */
public enum Loss {
    /** torch.nn.functional.binary_cross_entropy, mean reduction, logs clamped at -100 as PyTorch does. */
    BINARY_CROSS_ENTROPY {
        @Override
        public double compute(float[] pred, float[] target, float[] grad) {
            check(pred, target, grad);
            double sum = 0;
            int n = pred.length;
            for (int i = 0; i < n; i++) {
                double p = pred[i], t = target[i];
                if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("binary cross-entropy needs predictions in [0, 1], got " + p + " at " + i);
                double logP = Math.max(Math.log(p), -100), log1mP = Math.max(Math.log1p(-p), -100);
                sum -= t * logP + (1 - t) * log1mP;
                grad[i] = fn().gradient(p, t, n); // PyTorch's backward: (p - t) / max((1 - p) p, 1e-12) / n
            }
            return sum / n;
        }
    },
    /** Mean squared error. */
    MSE {
        @Override
        public double compute(float[] pred, float[] target, float[] grad) {
            check(pred, target, grad);
            double sum = 0;
            int n = pred.length;
            for (int i = 0; i < n; i++) {
                double d = (double) pred[i] - target[i];
                sum += d * d;
                grad[i] = fn().gradient(pred[i], target[i], n);
            }
            return sum / n;
        }
    };

    /** The mean loss over the entries; writes its gradient with respect to {@code pred} into {@code grad}. */
    public abstract double compute(float[] pred, float[] target, float[] grad);

    /** The same gradient as an {@link Ops} op ({@link Ops#lossGradient}), for losses taken on the device. */
    public LossFn fn() {
        return this == MSE ? LossFn.MSE : LossFn.BINARY_CROSS_ENTROPY;
    }

    /** The loss of a command-line name ({@code bce}, {@code mse}). */
    public static Loss parse(String s) {
        return switch (s.toLowerCase()) {
            case "bce", "binary_cross_entropy" -> BINARY_CROSS_ENTROPY;
            case "mse" -> MSE;
            default -> throw new IllegalArgumentException("unknown loss '" + s + "' (expected bce or mse)");
        };
    }

    private static void check(float[] pred, float[] target, float[] grad) {
        if (pred.length != target.length || grad.length != pred.length)
            throw new IllegalArgumentException("loss: " + pred.length + " predictions, " + target.length + " targets, " + grad.length + " gradient slots");
        if (pred.length == 0) throw new IllegalArgumentException("loss of an empty batch");
    }
}
