package dev.nfn4j.ops;

/**
 * The float32 scalars of one {@link Ops#adamStep}, rounded as PyTorch 1.13's CPU Adam rounds them:
 * each is a double there (the hyperparameters, {@code 1 - beta1}, {@code lr / (1 - beta1^step)},
 * {@code sqrt(1 - beta2^step)}, AdamW's {@code 1 - lr wd}) that the float kernels cast to float.
 *
 * @param l2      weight decay added to the gradient (Adam), else 0
 * @param decay   factor applied to the parameter first (AdamW: {@code 1 - lr wd}), else 1
 * @param negStep {@code -lr / (1 - beta1^step)}
 * @param bc2Sqrt {@code sqrt(1 - beta2^step)}
 */
public record AdamScalars(float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2, float l2, float decay,
                          float negStep, float bc2Sqrt, float eps) {

    /** The scalars of step {@code step} (counting from 1) under {@code cfg}. */
    public static AdamScalars of(AdamConfig cfg, long step) {
        if (step < 1) throw new IllegalArgumentException("Adam steps count from 1, got " + step);
        double wd = cfg.weightDecay();
        double stepSize = cfg.lr() / (1 - Math.pow(cfg.beta1(), step)), bc2Sqrt = Math.sqrt(1 - Math.pow(cfg.beta2(), step));
        return new AdamScalars((float) cfg.beta1(), (float) (1 - cfg.beta1()), (float) cfg.beta2(), (float) (1 - cfg.beta2()),
                wd != 0 && !cfg.decoupled() ? (float) wd : 0f, wd != 0 && cfg.decoupled() ? (float) (1 - cfg.lr() * wd) : 1f,
                (float) -stepSize, (float) bc2Sqrt, (float) cfg.eps());
    }
}
