package dev.nfn4j.ops;

/**
 * The device-resident training-step ops done on the host, through a download and an upload:
 * exact, and what backends without a kernel for them run (the {@link Ops} defaults).
 */
public final class HostSteps {
    private HostSteps() {}

    /** {@link Ops#adamStep(long, Ptr, Ptr, Ptr, Ptr, AdamConfig, int, Ptr)} with the counter read and written back. */
    public static void adamStep(Ops ops, long n, Ptr param, Ptr grad, Ptr m, Ptr v, AdamConfig cfg, int warmupSteps, Ptr counter) {
        float[] c = new float[1];
        ops.download(counter, c, 0, 1);
        long t = (long) c[0];
        if (t != c[0] || t < 0 || t >= 1 << 24)
            throw new IllegalStateException("Adam step counter holds " + c[0] + ", not a step count below 2^24");
        double lr = warmupSteps > 0 ? cfg.lr() * Math.min(1.0, (t + 1.0) / warmupSteps) : cfg.lr();
        AdamConfig at = lr == cfg.lr() ? cfg : new AdamConfig(lr, cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay(), cfg.decoupled());
        ops.adamStep(n, param, grad, m, v, at, t + 1);
        ops.upload(new float[]{t + 1}, 0, counter, 1);
    }

    /** {@link Ops#lossGradient} on host copies of the predictions and targets. */
    public static void lossGradient(Ops ops, LossFn fn, int n, Ptr pred, Ptr target, Ptr grad) {
        float[] p = new float[n], t = new float[n], g = new float[n];
        ops.download(pred, p, 0, n);
        ops.download(target, t, 0, n);
        for (int i = 0; i < n; i++) g[i] = fn.gradient(p[i], t[i], n);
        ops.upload(g, 0, grad, n);
    }
}
