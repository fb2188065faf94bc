package dev.nfn4j.ops;

/** Hyperparameters of {@link Ops#adamStep}; defaults are PyTorch's. */
public record AdamConfig(double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
    /** Adam (PyTorch defaults: betas 0.9, 0.999, eps 1e-8) with learning rate {@code lr} and no weight decay. */
    public static AdamConfig adam(double lr) {
        return new AdamConfig(lr, 0.9, 0.999, 1e-8, 0, false);
    }

    /** AdamW: Adam with decoupled weight decay {@code weightDecay}. */
    public static AdamConfig adamW(double lr, double weightDecay) {
        return new AdamConfig(lr, 0.9, 0.999, 1e-8, weightDecay, true);
    }
}
