package dev.nfn4j.train;

import dev.nfn4j.nn.Params;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Buf;
import dev.nfn4j.ops.Ops;

/**
 * Adam / AdamW over the whole flat parameter buffer in one {@link Ops#adamStep} call. Two ways
 * to step: {@link #step(double)} with the step and learning rate from the host, or
 * {@link #stepOnDevice} with both read from a counter on the backend (for a training step
 * captured as a graph), followed by {@link #countStep} once it has run. Both give the same
 * result; {@link #syncCounter} brings the counter up to date after host steps or a restore.
 */
public final class Adam {
    private final Params params;
    private final AdamConfig cfg;
    private final Buf m, v, counter;
    private long step, deviceCount;

    /** An optimizer of every parameter in {@code params}, its moments at zero. */
    public Adam(Params params, AdamConfig cfg) {
        this.params = params;
        this.cfg = cfg;
        Ops ops = params.ops();
        this.m = ops.alloc(Math.max(1, params.count()));
        this.v = ops.alloc(Math.max(1, params.count()));
        this.counter = ops.alloc(1);
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

    /**
     * One update whose step (counter + 1) and learning rate ({@code lr * min(1, step / warmupSteps)},
     * or lr without warm-up) the backend reads from its counter: nothing about the step is fixed in
     * the calls, so they can be captured once and replayed ({@link Ops#runGraph}). Call
     * {@link #syncCounter} before and {@link #countStep} after.
     */
    public void stepOnDevice(int warmupSteps) {
        params.ops().adamStep(params.count(), params.valueBuffer().at(0), params.gradBuffer().at(0), m.at(0), v.at(0), cfg, warmupSteps, counter.at(0));
    }

    /** Records on the host that a device step has run (replays do not run Java code). */
    public void countStep() {
        step++;
        deviceCount++;
    }

    /** Uploads the host's step count to the backend's counter if they differ (after host steps or a restore); outside any graph. */
    public void syncCounter() {
        if (deviceCount == step) return;
        if (step >= 1 << 24) throw new IllegalStateException("Adam's device step counter is exact only below 2^24 steps, at " + step);
        params.ops().upload(new float[]{step}, 0, counter.at(0), 1);
        deviceCount = step;
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

    /** Steps taken so far. */
    public long steps() {
        return step;
    }

    /** The hyperparameters. */
    public AdamConfig config() {
        return cfg;
    }
}
