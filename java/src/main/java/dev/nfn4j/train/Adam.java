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
        step++;
        params.ops().adamStep(params.count(), params.valueBuffer().at(0), params.gradBuffer().at(0), m.at(0), v.at(0), cfg, step);
    }

    public long steps() {
        return step;
    }

    public AdamConfig config() {
        return cfg;
    }
}
