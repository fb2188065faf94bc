package dev.nfn4j.ops;

import dev.nfn4j.testing.Compare;
import dev.nfn4j.testing.TestBackends;
import dev.nfn4j.train.Loss;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SPI ops that keep a training step on the device ({@link Ops#lossGradient}, the
 * device-counter {@link Ops#adamStep(long, Ptr, Ptr, Ptr, Ptr, AdamConfig, int, Ptr)}) and the
 * graph and timing hooks, on every backend. Host backends must reproduce the host-side path bit
 * for bit (the trainer's results may not move); a device backend computes the loss gradient in
 * the same double operations (bit-identical too) and Adam's bias corrections with the device's
 * pow (within {@link BackendEquivalenceTest#FWD}).
 */
class DeviceStepOpsTest {
    static Stream<Arguments> backends() {
        return TestBackends.allNamed().stream().map(Arguments::of);
    }

    private static float[] read(Ops ops, Ptr p, int n) {
        float[] out = new float[n];
        ops.download(p, out, 0, n);
        return out;
    }

    private static Ptr put(Ops ops, float[] v) {
        Ptr p = ops.alloc(v.length + 3).at(3);
        ops.upload(v, 0, p, v.length);
        return p;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void lossGradientIsTheHostLossGradientBitForBit(Ops ops) {
        Random r = new Random(5);
        for (Loss loss : Loss.values())
            for (int n : new int[]{1, 7, 300}) {
                float[] pred = new float[n], target = new float[n];
                for (int i = 0; i < n; i++) {
                    pred[i] = i % 11 == 0 ? (i % 2 == 0 ? 0f : 1f) : r.nextFloat(); // the clamp at p(1-p) = 0 too
                    target[i] = r.nextFloat();
                }
                float[] want = new float[n];
                loss.compute(pred, target, want);
                Ptr g = ops.alloc(n).at(0);
                ops.fill(g, n, Float.NaN);
                ops.lossGradient(loss.fn(), n, put(ops, pred), put(ops, target), g);
                Compare.assertBitIdentical(read(ops, g, n), want, ops.describe() + ": " + loss + " gradient, n=" + n);
            }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void adamWithADeviceCounterIsTheHostStepsAdam(Ops ops) {
        Ops ref = TestBackends.reference();
        int n = 1000, warmup = 3;
        for (AdamConfig cfg : List.of(AdamConfig.adam(1e-3), AdamConfig.adamW(1e-2, 0.1), new AdamConfig(3e-2, 0.8, 0.95, 1e-4, 0.05, false))) {
            Random r = new Random(9);
            float[] p0 = new float[n];
            for (int i = 0; i < n; i++) p0[i] = (float) r.nextGaussian();
            Ptr p = put(ops, p0), m = ops.alloc(n).at(0), v = ops.alloc(n).at(0), counter = put(ops, new float[]{2}); // resume after 2 steps
            Ptr rp = put(ref, p0), rm = ref.alloc(n).at(0), rv = ref.alloc(n).at(0);
            for (int t = 2; t < 7; t++) {
                float[] g = new float[n];
                for (int i = 0; i < n; i++) g[i] = i % 5 == t % 5 ? 0f : (float) r.nextGaussian() * 0.1f;
                ops.adamStep(n, p, put(ops, g), m, v, cfg, warmup, counter);
                // the trainer's host-side path: step t + 1 at the warmed-up learning rate
                double lr = cfg.lr() * Math.min(1.0, (t + 1.0) / warmup);
                ref.adamStep(n, rp, put(ref, g), rm, rv, new AdamConfig(lr, cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay(), cfg.decoupled()), t + 1);
            }
            assertEquals(7f, read(ops, counter, 1)[0], "the counter counts the steps");
            double tol = ops.name().equals("cuda") ? BackendEquivalenceTest.FWD : 0;
            Compare.assertClose(read(ops, p, n), read(ref, rp, n), tol, ops.describe() + " " + cfg + ": parameters");
            Compare.assertClose(read(ops, m, n), read(ref, rm, n), tol, ops.describe() + " " + cfg + ": m");
            Compare.assertClose(read(ops, v, n), read(ref, rv, n), tol, ops.describe() + " " + cfg + ": v");
        }
    }

    /** runGraph runs the body's effects every call (a device backend: eager, then captured, then replayed). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aGraphDoesTheBodysWorkOnEveryCall(Ops ops) {
        int n = 5000;
        Ptr x = ops.alloc(n).at(0), y = ops.alloc(n).at(0), sum = ops.alloc(1).at(0);
        AtomicInteger bodyRuns = new AtomicInteger();
        Runnable body = () -> {
            bodyRuns.incrementAndGet();
            ops.activation(Act.TANH, n, x, y);
            ops.planeReduce(1, 1, n, y, null, null, sum, false);
        };
        Ops ref = TestBackends.reference();
        for (int call = 0; call < 4; call++) {
            float[] in = new float[n];
            for (int i = 0; i < n; i++) in[i] = (float) Math.sin(i * 0.01 + call);
            ops.upload(in, 0, x, n); // staged before the call, as runGraph asks
            ops.runGraph("tanh-sum", body);
            Ptr rx = put(ref, in), ry = ref.alloc(n).at(0), rs = ref.alloc(1).at(0);
            ref.activation(Act.TANH, n, rx, ry);
            ref.planeReduce(1, 1, n, ry, null, null, rs, false);
            Compare.assertClose(read(ops, sum, 1), read(ref, rs, 1), BackendEquivalenceTest.RED, ops.describe() + ": call " + call);
        }
        assertTrue(bodyRuns.get() >= 2, "the body runs at least on the first call and when captured");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void timingGivesOneNonNegativeFigurePerRep(Ops ops) {
        Ptr x = ops.alloc(1 << 16).at(0);
        AtomicInteger runs = new AtomicInteger();
        float[] ms = ops.timeMillis(() -> {
            runs.incrementAndGet();
            ops.activation(Act.SIGMOID, 1 << 16, x, x);
        }, 2, 5);
        assertEquals(5, ms.length);
        assertEquals(7, runs.get(), "warm-up reps, then timed reps");
        for (float t : ms) assertTrue(t >= 0 && Float.isFinite(t), ops.describe() + ": " + t + " ms");
        ops.synchronize();
    }
}
