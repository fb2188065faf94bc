package dev.nfn4j.ops;

/**
 * The gradient of a mean loss over n predictions, as {@link Ops#lossGradient} computes it on a
 * backend's buffers (so a captured training step keeps its loss gradient on the device) and
 * {@code dev.nfn4j.train.Loss} on host arrays: one formula for both, in double.
 */
public enum LossFn {
    /** torch.nn.functional.binary_cross_entropy's backward: (p - t) / max((1 - p) p, 1e-12) / n. */
    BINARY_CROSS_ENTROPY {
        @Override
        public float gradient(double p, double t, int n) {
            return (float) ((p - t) / Math.max((1 - p) * p, 1e-12) / n);
        }
    },
    /** Mean squared error: 2 (p - t) / n. */
    MSE {
        @Override
        public float gradient(double p, double t, int n) {
            return (float) (2 * (p - t) / n);
        }
    };

    /** d(mean loss)/d(prediction) of one prediction p with target t, in a batch of n. */
    public abstract float gradient(double p, double t, int n);
}
