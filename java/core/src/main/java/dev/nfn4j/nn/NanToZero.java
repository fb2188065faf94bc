package dev.nfn4j.nn;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.Value;

/**
 * torch.nan_to_num(x, nan=0) on a tensor: StatNN's variance of a one-entry tensor (a SIREN's
 * output bias) is NaN, as torch.var's; zeroing it lets the head read the other statistics. The
 * gradient passes through except at the zeroed entries, whose output did not depend on the input.
 * Runs on the host: it sits on the small feature tensor, not on weight spaces.
 */
public final class NanToZero implements Layer {
    private final Ops ops;
    private final Workspace ws;
    private Tensor lastIn;
    private boolean[] zeroed;

    /** A layer zeroing the NaN entries of tensors held by the given backend. */
    public NanToZero(Ops ops) {
        this.ops = ops;
        this.ws = new Workspace(ops);
    }

    @Override
    public Value forward(Value in) {
        if (!(in instanceof Tensor x)) throw new IllegalArgumentException(this + " takes a tensor, got " + in);
        lastIn = x;
        int n = Math.toIntExact(x.size());
        float[] v = new float[n];
        ops.download(x.data(), v, 0, n);
        zeroed = new boolean[n];
        for (int i = 0; i < n; i++)
            if (Float.isNaN(v[i])) {
                v[i] = 0;
                zeroed[i] = true;
            }
        Ptr y = ws.get("out", n);
        ops.upload(v, 0, y, n);
        return x.withData(y);
    }

    @Override
    public Value backward(Value gradOut) {
        if (lastIn == null) throw new IllegalStateException(this + ": backward without a forward");
        int n = Math.toIntExact(gradOut.size());
        float[] g = new float[n];
        ops.download(gradOut.data(), g, 0, n);
        for (int i = 0; i < n; i++) if (zeroed[i]) g[i] = 0;
        Ptr dx = ws.get("dx", n);
        ops.upload(g, 0, dx, n);
        return lastIn.withData(dx);
    }

    @Override
    public String toString() {
        return "NanToZero";
    }
}
