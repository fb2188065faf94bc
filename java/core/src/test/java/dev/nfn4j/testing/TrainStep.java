package dev.nfn4j.testing;

import dev.nfn4j.nn.Init;
import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.Param;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Sequential;
import dev.nfn4j.nn.Tensor;
import dev.nfn4j.space.Value;
import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.train.Adam;
import dev.nfn4j.train.Loss;

import java.util.List;
import java.util.Random;

/**
 * One training step of an invariant NFN on a backend, everything read back to the host: forward,
 * BCE against 0/1 labels, backward, one Adam step ({@link dev.nfn4j.train.Adam}), and a second
 * forward with the updated parameters. The same model (seeded initialization), input and labels
 * on every backend, so two runs can be compared field by field.
 */
public final class TrainStep {
    private TrainStep() {}

    /** A model and a batch: {@code hidden} NF-Layer channels, {@code head} the MLP head's width. */
    public record Model(String name, NetworkSpec spec, InvariantNfn.Mode mode, boolean ioEmbed, boolean hnpPool, Act act,
                        int batch, int cin, int[] hidden, int head, long seed) {
        @Override
        public String toString() {
            return name + " " + mode + (ioEmbed ? "+io" : "") + (hnpPool ? " HNPPool" : " NPPool") + " " + act + " " + spec
                    + " B=" + batch + " C=" + cin + " hidden " + java.util.Arrays.toString(hidden);
        }
    }

    /**
     * What a step produced: predictions, loss, input gradient, every parameter's gradient and
     * value after the Adam step (flat, in {@code params} order), predictions after the step.
     */
    public record Result(float[] out, double loss, float[] dx, float[] grads, float[] paramsAfter, float[] outAfter,
                         List<Param> params) {}

    public static Result run(Ops ops, Model m, AdamConfig cfg) {
        Params params = new Params(ops);
        Sequential model = InvariantNfn.build(params, m.spec, m.mode, m.ioEmbed, m.cin, m.hidden, m.act, m.hnpPool, m.head,
                Init.Type.PYTORCH_DEFAULT);
        params.allocate(m.seed);
        Random rnd = new Random(m.seed ^ 0x7EA1_57E9L);
        WsLayout lay = new WsLayout(m.spec, m.batch, m.cin);
        float[] x = gaussian(rnd, Math.toIntExact(lay.size()));
        float[] target = new float[m.batch];
        for (int b = 0; b < m.batch; b++) target[b] = b % 2 == 0 ? 1f : 0f;

        float[] out = download(ops, model.forward(upload(ops, lay, x)));
        float[] g = new float[out.length];
        double loss = Loss.BINARY_CROSS_ENTROPY.compute(out, target, g);
        params.zeroGrad();
        Ptr gp = ops.alloc(g.length).at(0);
        ops.upload(g, 0, gp, g.length);
        float[] dx = download(ops, model.backward(new Tensor(new int[]{m.batch, 1}, gp)));
        float[] grads = new float[Math.toIntExact(params.count())];
        ops.download(params.gradBuffer().at(0), grads, 0, grads.length);
        new Adam(params, cfg).step();
        float[] after = new float[grads.length];
        ops.download(params.valueBuffer().at(0), after, 0, after.length);
        float[] outAfter = download(ops, model.forward(upload(ops, lay, x)));
        return new Result(out, loss, dx, grads, after, outAfter, params.all());
    }

    static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    static WeightSpace upload(Ops ops, WsLayout lay, float[] data) {
        Ptr p = ops.alloc(lay.size()).at(0);
        ops.upload(data, 0, p, data.length);
        return new WeightSpace(lay, p);
    }

    static float[] download(Ops ops, Value v) {
        float[] a = new float[Math.toIntExact(v.size())];
        ops.download(v.data(), a, 0, a.length);
        return a;
    }

    /** The slice of a flat parameter array that belongs to {@code p}. */
    public static float[] slice(float[] flat, Param p) {
        return java.util.Arrays.copyOfRange(flat, Math.toIntExact(p.offset()), Math.toIntExact(p.offset() + p.numel()));
    }
}
