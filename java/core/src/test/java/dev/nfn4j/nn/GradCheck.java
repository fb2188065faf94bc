package dev.nfn4j.nn;

import static dev.nfn4j.nn.TestData.download;
import static dev.nfn4j.nn.TestData.uploadLike;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * Central finite differences against a module's backward: the input gradient it returns and the
 * parameter gradients it accumulates. A coordinate passes when
 * <pre>
 *   |fd - analytic| <= rtol * |analytic| + atol * max|analytic over its tensor| + noise
 * </pre>
 * where {@code noise} bounds the float32 rounding of the outputs that moved (8 half-ulps of each,
 * weighted by |dLoss/dout|, over the step; of every output with {@link #fewOutputs}), so a linear
 * module can be held to a tight rtol with a step of 1 even where its gradient is tiny. The step is
 * the one actually taken in float ({@code (float)(v + h) - (float)(v - h)}), so an affine
 * function's difference quotient is exact.
 */
final class GradCheck {
    /** The scalar a check differentiates: a loss of the module's output. */
    interface Objective {
        double loss(float[] out);

        /** d(loss)/d(out) at {@code out}. */
        float[] grad(float[] out);
    }

    /** sum(out * G) in double; non-finite outputs (a 1-value plane's variance) count with weight 0. */
    static Objective weighted(float[] g) {
        return new Objective() {
            @Override
            public double loss(float[] out) {
                double s = 0;
                for (int i = 0; i < out.length; i++) if (Float.isFinite(out[i])) s += (double) out[i] * g[i];
                return s;
            }

            @Override
            public float[] grad(float[] out) {
                float[] d = g.clone();
                for (int i = 0; i < out.length; i++) if (!Float.isFinite(out[i])) d[i] = 0;
                return d;
            }
        };
    }

    /** Step and tolerances. */
    record Fd(double step, double rtol, double atol) {
        /** For modules linear in the input and in each parameter: a step of 1 is exact up to rounding. */
        static Fd linear() {
            return new Fd(1.0, 1e-5, 1e-6);
        }
    }

    private final Ops ops;
    private final Layer module;
    private final Params params; // null for a module without parameters
    private final Objective objective;
    private final Fd fd;
    /** Inputs up to this size are checked at every coordinate; parameters at up to this many each. */
    private static final int MAX_INPUT_COORDS = 400, COORDS_PER_PARAM = 20;
    private double maxSkippedFraction = 0;
    private boolean quantizedOutputs;
    private long seed = 1234;

    private final List<String> failures = new ArrayList<>();
    private int checked, skipped;

    GradCheck(Ops ops, Layer module, Params params, Objective objective, Fd fd) {
        this.ops = ops;
        this.module = module;
        this.params = params;
        this.objective = objective;
        this.fd = fd;
    }

    /** Coordinates whose step flips the sign of a ReLU input are skipped; at most this fraction may be. */
    GradCheck allowKinkSkips(double fraction) {
        this.maxSkippedFraction = fraction;
        return this;
    }

    /**
     * For a model with few outputs (a sigmoid per sample): a coordinate's effect can be below one
     * ulp of every output, so the rounding of all outputs, not only of those that moved, bounds
     * the finite difference's error.
     */
    GradCheck fewOutputs() {
        this.quantizedOutputs = true;
        return this;
    }

    GradCheck seed(long s) {
        this.seed = s;
        return this;
    }

    /** Runs the check at input {@code x} (its kind and shape taken from {@code like}) and fails with every bad coordinate. */
    void run(Value like, float[] x) {
        Random rnd = new Random(seed);
        Eval base = eval(like, x);
        float[] gOut = objective.grad(base.out);
        if (params != null) params.zeroGrad();
        Value dx = module.backward(uploadLike(ops, base.outValue, gOut));
        float[] dxHost = download(ops, dx);
        if (dxHost.length != x.length) fail(module + ": input gradient has " + dxHost.length + " values, input " + x.length);
        Map<Param, float[]> pGrad = new LinkedHashMap<>();
        if (params != null) for (Param p : params.all()) pGrad.put(p, params.readGrad(p));

        // The input: every coordinate of a small one.
        float[] xs = x.clone();
        for (int q : pick(x.length, MAX_INPUT_COORDS, rnd)) {
            float v = xs[q];
            float vp = (float) (v + fd.step), vm = (float) (v - fd.step);
            xs[q] = vp;
            Eval plus = eval(like, xs);
            xs[q] = vm;
            Eval minus = eval(like, xs);
            xs[q] = v;
            compare("input[" + q + "]", dxHost, q, plus, minus, (double) vp - vm, gOut, base);
        }
        // Every parameter tensor: a seeded sample of its coordinates, first and last included.
        if (params != null)
            for (Map.Entry<Param, float[]> e : pGrad.entrySet()) {
                Param p = e.getKey();
                float[] val = params.read(p), orig = val.clone();
                for (int q : pick(val.length, COORDS_PER_PARAM, rnd)) {
                    float v = val[q];
                    float vp = (float) (v + fd.step), vm = (float) (v - fd.step);
                    val[q] = vp;
                    params.write(p, val);
                    Eval plus = eval(like, x);
                    val[q] = vm;
                    params.write(p, val);
                    Eval minus = eval(like, x);
                    val[q] = v;
                    params.write(p, orig);
                    compare(p.name() + "[" + q + "]", e.getValue(), q, plus, minus, (double) vp - vm, gOut, base);
                }
            }
        assertTrue(checked > 0, module + ": nothing checked");
        assertTrue(skipped <= maxSkippedFraction * (checked + skipped),
                module + ": " + skipped + " of " + (checked + skipped) + " coordinates skipped at kinks (ReLU signs, quantile orders); choose another seed");
        if (!failures.isEmpty())
            fail(module + ": " + failures.size() + " of " + checked + " gradient coordinates off (step " + fd.step + ", rtol " + fd.rtol
                    + ", atol " + fd.atol + "):\n  " + String.join("\n  ", failures.subList(0, Math.min(12, failures.size()))));
    }

    private void compare(String what, float[] analyticTensor, int q, Eval plus, Eval minus, double h2, float[] gOut, Eval base) {
        if (!plus.reluSigns.equals(base.reluSigns) || !minus.reluSigns.equals(base.reluSigns)) {
            skipped++;
            return;
        }
        double numeric = (plus.loss - minus.loss) / h2;
        double analytic = analyticTensor[q];
        double scale = 0;
        for (float a : analyticTensor) scale = Math.max(scale, Math.abs(a));
        double moved = 0;
        for (int j = 0; j < plus.out.length; j++)
            if ((quantizedOutputs || Float.compare(plus.out[j], minus.out[j]) != 0) && Float.isFinite(plus.out[j]) && Float.isFinite(minus.out[j]))
                moved += (Math.abs((double) plus.out[j]) + Math.abs((double) minus.out[j])) * Math.abs(gOut[j]);
        double noise = 8 * 0x1p-24 * moved / h2;
        double allowed = fd.rtol * Math.abs(analytic) + fd.atol * scale + noise;
        double err = Math.abs(numeric - analytic);
        checked++;
        if (!(err <= allowed))
            failures.add(String.format("%s: finite difference %.9g, backward %.9g, |diff| %.3g > allowed %.3g", what, numeric, analytic, err, allowed));
    }

    /** Up to {@code max} distinct indices below n: all of them when n <= max, else 0, n-1 and a seeded sample. */
    private static List<Integer> pick(int n, int max, Random rnd) {
        if (n <= max) {
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < n; i++) all.add(i);
            return all;
        }
        TreeSet<Integer> s = new TreeSet<>(List.of(0, n - 1));
        while (s.size() < max) s.add(rnd.nextInt(n));
        return new ArrayList<>(s);
    }

    /**
     * One forward: the output, the loss and where the input of every kinked module lies (a step
     * must not cross a kink): the sign of each ReLU input, and the order of the entries of each
     * plane a StatFeaturizer sorts for its quantiles.
     */
    private record Eval(Value outValue, float[] out, double loss, List<Boolean> reluSigns) {}

    private Eval eval(Value like, float[] x) {
        List<Boolean> signs = new ArrayList<>();
        Value out = forward(module, uploadLike(ops, like, x), signs);
        float[] o = download(ops, out);
        return new Eval(out, o, objective.loss(o), signs);
    }

    /** forward, descending into Sequentials to record the sign of each ReLU input. */
    private Value forward(Layer m, Value in, List<Boolean> signs) {
        if (m instanceof Sequential s) {
            Value v = in;
            for (Layer sub : s.modules()) v = forward(sub, v, signs);
            return v;
        }
        if (m instanceof Activation && m.toString().equals("Relu"))
            for (float f : download(ops, in)) signs.add(f > 0);
        if (m instanceof StatFeaturizer && in instanceof WeightSpace x) recordOrders(x, signs);
        return m.forward(in);
    }

    /** For every (sample, channel) plane of every tensor: which of each pair of its entries is smaller. */
    private void recordOrders(WeightSpace x, List<Boolean> order) {
        float[] v = download(ops, x);
        WsLayout lay = x.layout();
        for (int i = 0; i < lay.numLayers(); i++)
            for (long[] tensor : new long[][]{{lay.wOffset(i), lay.wPerSample(i)}, {lay.bOffset(i), lay.bPerSample(i)}}) {
                int per = (int) (tensor[1] / lay.channels());
                for (int p = 0; p < lay.batch() * lay.channels(); p++) {
                    int at = (int) tensor[0] + p * per;
                    for (int a = 0; a < per; a++)
                        for (int b = a + 1; b < per; b++) order.add(v[at + a] < v[at + b]);
                }
            }
    }
}
