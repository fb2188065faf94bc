package dev.nfn4j.nn;

import dev.nfn4j.nn.EquivarianceTest.Case;

import static dev.nfn4j.nn.TestData.download;
import static dev.nfn4j.nn.TestData.gaussian;
import static dev.nfn4j.nn.TestData.upload;
import static dev.nfn4j.nn.TestData.uploadLike;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.testing.Compare;
import dev.nfn4j.testing.TestBackends;
import dev.nfn4j.testing.TrainStep;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whole layers and a whole training step on every fast backend against the reference: outputs,
 * input gradients, every parameter's gradient and (for the model) the parameters after an Adam
 * step. Specs with L = 1, 2, 3, 5, dense, conv (filters 1x1, 2x3, 3x3) and mixed, sizes 1-17,
 * channels 1, 3, 16, batch 1-3, plus one layer with a 70x65 plane (several mix and
 * weight-gradient tiles). The op-level tails are {@code BackendEquivalenceTest}'s job; this one
 * checks that the layers wire the ops the same way whichever backend runs them.
 *
 * <p>Tolerances (relative L2): a layer's output is pools (means over a plane), small mixes and a
 * fused mix: {@link #OUT} 1e-5, as for a forward op. Input and parameter gradients are sums over
 * the batch and whole planes: {@link #GRAD} 1e-4, as for a reduction op. A model chains up to
 * 12 layers and two sigmoid/BCE steps whose rounding differences compound, so its outputs,
 * gradients and updated parameters are held to {@link #MODEL} 1e-4 (measured: below 1e-5).
 */
class LayerEquivalenceTest {
    static final double OUT = 1e-5;
    static final double GRAD = 1e-4;
    static final double MODEL = 1e-4;

    static final int[] SIZES = {1, 3, 7, 13, 17};
    static final int[][] FILTERS = {{1, 1}, {2, 3}, {3, 3}};
    static final int[] CHANNELS = {1, 3, 16};

    /** L in {1, 2, 3, 5} x {dense, conv, mixed}, seeded draws of sizes, filters, channels and batch; then fixed corners. */
    static List<Case> cases() {
        Random rnd = new Random(0x1A7E4L);
        List<Case> out = new ArrayList<>();
        for (int L : new int[]{1, 2, 3, 5})
            for (String mode : new String[]{"dense", "conv", "mixed"}) {
                int[] sizes = new int[L + 1];
                for (int m = 0; m <= L; m++) sizes[m] = SIZES[rnd.nextInt(SIZES.length)];
                int[][] filters = new int[L][];
                for (int i = 0; i < L; i++)
                    filters[i] = switch (mode) {
                        case "dense" -> null;
                        case "conv" -> FILTERS[rnd.nextInt(FILTERS.length)];
                        default -> i % 2 == 0 ? FILTERS[rnd.nextInt(FILTERS.length)] : null;
                    };
                out.add(new Case("L" + L + "-" + mode, new NetworkSpec(sizes, filters), 1 + rnd.nextInt(3),
                        CHANNELS[rnd.nextInt(3)], CHANNELS[rnd.nextInt(3)], rnd.nextLong()));
            }
        out.add(new Case("all-ones", new NetworkSpec(new int[]{1, 1, 1}, new int[][]{{3, 3}, null}), 2, 3, 1, 1));
        out.add(new Case("conv-16", new NetworkSpec(new int[]{3, 7, 5}, new int[][]{{3, 3}, {2, 3}}), 2, 16, 16, 2));
        // W_1 is a 70x65 plane (4550 positions): several 1024-position mix tiles and two 4096-position dA tiles.
        out.add(new Case("wide", NetworkSpec.mlp(3, 65, 70, 2), 2, 3, 16, 3));
        return out;
    }

    /** The layers under test; HNP layers need L >= 2. */
    enum Kind {
        NP, NP_IO, HNP, POINTWISE, NP_POOL, HNP_POOL, STAT;

        Layer build(Params params, Ops ops, Case c) {
            return switch (this) {
                case NP -> new NPLinear(params, "", c.spec(), c.cin(), c.cout(), false, Init.Type.PYTORCH_DEFAULT);
                case NP_IO -> new NPLinear(params, "", c.spec(), c.cin(), c.cout(), true, Init.Type.PYTORCH_DEFAULT);
                case HNP -> new HNPLinear(params, "", c.spec(), c.cin(), c.cout(), Init.Type.PYTORCH_DEFAULT);
                case POINTWISE -> new Pointwise(params, "", c.spec(), c.cin(), c.cout());
                case NP_POOL -> WeightPool.np(ops, c.spec());
                case HNP_POOL -> WeightPool.hnp(ops, c.spec());
                case STAT -> new StatFeaturizer(ops);
            };
        }
    }

    /** Every layer kind on every case, on every fast backend (a missing one: reported as skipped, see TestBackends). */
    static Stream<Arguments> layers() {
        List<Object[]> out = new ArrayList<>();
        for (Kind k : Kind.values())
            for (Case c : cases())
                if (k != Kind.HNP || c.spec().numLayers() >= 2) out.add(new Object[]{k, c});
        return TestBackends.onFast(out);
    }

    /** One forward and one backward of a layer; everything read back at once (layer buffers are reused). */
    record Run(float[] out, float[] dx, List<Param> params, List<float[]> grads) {}

    static Run run(Ops ops, Kind kind, Case c) {
        Params params = new Params(ops);
        Layer layer = kind.build(params, ops, c);
        params.allocate(c.seed());
        Random rnd = new Random(c.seed());
        float[] x = gaussian(rnd, Math.toIntExact(c.layout().size()));
        Value y = layer.forward(upload(ops, c.layout(), x));
        float[] out = download(ops, y);
        params.zeroGrad();
        float[] dx = download(ops, layer.backward(uploadLike(ops, y, gaussian(rnd, out.length))));
        List<float[]> grads = new ArrayList<>();
        for (Param p : params.all()) grads.add(params.readGrad(p));
        return new Run(out, dx, params.all(), grads);
    }

    @ParameterizedTest(name = "{0}: {1} {2}")
    @MethodSource("layers")
    void layerMatchesTheReference(Ops fast, Kind kind, Case c) {
        Run want = run(TestBackends.reference(), kind, c), got = run(fast, kind, c);
        String at = fast.describe() + ", " + kind + " " + c;
        Compare.assertClose(got.out, want.out, OUT, at + ": output");
        Compare.assertClose(got.dx, want.dx, GRAD, at + ": input gradient");
        assertEquals(want.params.size(), got.params.size());
        double total = 0, count = 0;
        for (float[] g : want.grads) {
            total += Math.pow(Compare.norm(g), 2);
            count += g.length;
        }
        for (int p = 0; p < want.params.size(); p++) {
            float[] g = want.grads.get(p);
            Compare.assertClose(got.grads.get(p), g, GRAD, gradFloor(total, count, g.length), at + ": gradient of " + want.params.get(p));
        }
    }

    /**
     * The norm a parameter's gradient of n entries would have at the RMS of all of the layer's
     * gradients (sum of squares {@code total} over {@code count} entries): a gradient that cancels
     * to far below that is compared on that scale (see {@link Compare#assertClose(float[], float[], double, double, String)}).
     */
    static double gradFloor(double total, double count, int n) {
        return Math.sqrt(total / count * n);
    }

    // ---- a whole training step ------------------------------------------------------------------

    /** Per case: an HNP model (L >= 2), an io-embedded NP model with HNPPool, a plain NP model with NPPool, a Pointwise one. */
    static Stream<Arguments> models() {
        List<TrainStep.Model> models = new ArrayList<>();
        Act[] acts = {Act.RELU, Act.TANH, Act.GELU, Act.SIGMOID};
        int k = 0;
        for (Case c : cases()) {
            int[] hidden = {c.cout(), 3};
            if (c.spec().numLayers() >= 2)
                models.add(new TrainStep.Model(c.name(), c.spec(), InvariantNfn.Mode.HNP, false, true, acts[k++ % 4], c.batch(), c.cin(), hidden, 16, c.seed()));
            models.add(new TrainStep.Model(c.name(), c.spec(), InvariantNfn.Mode.NP, true, true, acts[k++ % 4], c.batch(), c.cin(), hidden, 16, c.seed() + 1));
            models.add(new TrainStep.Model(c.name(), c.spec(), InvariantNfn.Mode.NP, false, false, acts[k++ % 4], c.batch(), c.cin(), hidden, 16, c.seed() + 2));
            models.add(new TrainStep.Model(c.name(), c.spec(), InvariantNfn.Mode.POINTWISE, false, true, acts[k++ % 4], c.batch(), c.cin(), hidden, 16, c.seed() + 3));
        }
        return TestBackends.onFast(models);
    }

    /**
     * Forward, BCE, backward, one Adam step: predictions, loss, input gradient, every parameter's
     * gradient and new value, and the predictions of the updated model. The learning rate is
     * small next to the parameters (1e-3 vs ~0.1-1), so an update's rounding stays within MODEL.
     */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("models")
    void trainingStepMatchesTheReference(Ops fast, TrainStep.Model m) {
        AdamConfig cfg = AdamConfig.adam(1e-3);
        TrainStep.Result want = TrainStep.run(TestBackends.reference(), m, cfg), got = TrainStep.run(fast, m, cfg);
        String at = fast.describe() + ", " + m;
        Compare.assertClose(got.out(), want.out(), MODEL, at + ": predictions");
        Compare.assertClose(new float[]{(float) got.loss()}, new float[]{(float) want.loss()}, MODEL, at + ": loss");
        Compare.assertClose(got.dx(), want.dx(), MODEL, at + ": input gradient");
        double total = Math.pow(Compare.norm(want.grads()), 2);
        for (Param p : want.params()) {
            Compare.assertClose(TrainStep.slice(got.grads(), p), TrainStep.slice(want.grads(), p), MODEL,
                    gradFloor(total, want.grads().length, Math.toIntExact(p.numel())), at + ": gradient of " + p);
            Compare.assertClose(TrainStep.slice(got.paramsAfter(), p), TrainStep.slice(want.paramsAfter(), p), MODEL,
                    at + ": " + p + " after the Adam step");
        }
        Compare.assertClose(got.outAfter(), want.outAfter(), MODEL, at + ": predictions after the step");
    }
}
