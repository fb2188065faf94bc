package dev.nfn4j.train;

import dev.nfn4j.nn.Params;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Buf;
import dev.nfn4j.ops.Ops;

/** Adam / AdamW over the whole flat parameter buffer in one {@link Ops#adamStep} call. */
public final class Adam {
    private final Params params;
    private final AdamConfig cfg;
    private final Buf m, v;
    private long step;

    public Adam(Params params, AdamConfig cfg) {
        this.params = params;
        this.cfg = cfg;
        Ops ops = params.ops();
        this.m = ops.alloc(Math.max(1, params.count()));
        this.v = ops.alloc(Math.max(1, params.count()));
    }

    /** Applies one update from the accumulated gradients. */
    public void step() {
        step(cfg.lr());
    }

    /** One update with this step's learning rate (warm-up and schedules). */
    public void step(double lr) {
        step++;
        AdamConfig c = lr == cfg.lr() ? cfg : new AdamConfig(lr, cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay(), cfg.decoupled());
        params.ops().adamStep(params.count(), params.valueBuffer().at(0), params.gradBuffer().at(0), m.at(0), v.at(0), c, step);
    }

    /** The moments, for a checkpoint: {m, v}, host copies. */
    public float[][] moments() {
        int n = Math.toIntExact(params.count());
        float[] hm = new float[n], hv = new float[n];
        params.ops().download(m.at(0), hm, 0, n);
        params.ops().download(v.at(0), hv, 0, n);
        return new float[][]{hm, hv};
    }

    /** Restores a checkpointed state. */
    public void restore(float[] hm, float[] hv, long steps) {
        if (hm.length != params.count() || hv.length != params.count())
            throw new IllegalArgumentException("optimizer state has " + hm.length + "/" + hv.length + " values, the model " + params.count());
        params.ops().upload(hm, 0, m.at(0), hm.length);
        params.ops().upload(hv, 0, v.at(0), hv.length);
        this.step = steps;
    }

    public long steps() {
        return step;
    }

    public AdamConfig config() {
        return cfg;
    }
}
