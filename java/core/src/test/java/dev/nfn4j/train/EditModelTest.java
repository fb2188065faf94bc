package dev.nfn4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.nn.Tensor;
import dev.nfn4j.space.Value;
import dev.nfn4j.nn.WeightRows;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.Permutation;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.testing.TestBackends;
import dev.nfn4j.zoo.EditTargets;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.ImageStyle;
import dev.nfn4j.zoo.SirenZoo;
import dev.nfn4j.zoo.Sirens;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * INR editing's model and loss: the delta's equivariance under hidden-neuron permutations of the
 * SIREN, the loss's gradient through the SIREN op against finite differences (with respect to the
 * delta, and to the transfer net's parameters through LearnedScale), and the MLP's flattening.
 */
class EditModelTest {
    static final int ROWS = 5, COLS = 6;

    @TempDir
    Path tmp;

    /** n SIRENs (freshly initialised, each its own image) on random 5 x 6 images: train, then one val and one test. */
    static SirenZoo zoo(Path dir, int n) {
        float[] w = new float[n * Sirens.PARAMS];
        String[] split = new String[n], source = new String[n];
        int[] image = new int[n], label = new int[n], copy = new int[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(Sirens.init(100 + i), 0, w, i * Sirens.PARAMS, Sirens.PARAMS);
            split[i] = i == n - 1 ? "test" : i == n - 2 ? "val" : "train";
            source[i] = "train";
            image[i] = i;
            label[i] = i % 10;
        }
        return new SirenZoo(dir, w, split, source, image, label, copy, new float[n]);
    }

    static ImageData.Split images(int n) {
        Random r = new Random(3);
        byte[] px = new byte[n * ROWS * COLS], labels = new byte[n];
        r.nextBytes(px);
        for (int i = 0; i < n; i++) labels[i] = (byte) (i % 10);
        ImageData d = new ImageData(n, ROWS, COLS, px, labels);
        return new ImageData.Split(d, d);
    }

    @Test
    void deltaIsEquivariantUnderHiddenNeuronPermutations() {
        Ops ops = TestBackends.reference();
        WsLayout one = new WsLayout(Sirens.SPEC, 1, 1);
        Random r = new Random(9);
        for (String kind : List.of("HNP", "NP")) {
            EditModel m = new EditModel(ops, new EditNet(kind, new int[]{6, 5}, 4, 3, 1.0), ImageStyle.DILATE, ROWS, COLS, 4);
            for (int trial = 0; trial < 3; trial++) {
                float[] w = Sirens.init(trial);
                Permutation p = Permutation.randomHidden(Sirens.SPEC, r);
                float[] permuted = p.apply(new HostWeights(one, w)).data();
                float[] editedThenPermuted = p.apply(new HostWeights(one, m.edit(w))).data(), editedPermuted = m.edit(permuted);
                float[] delta = new float[w.length];
                for (int q = 0; q < w.length; q++) delta[q] = editedPermuted[q] - permuted[q];
                assertTrue(maxAbs(delta) > 1e-3, kind + ": the delta is not trivially zero");
                for (int q = 0; q < w.length; q++)
                    assertEquals(editedThenPermuted[q], editedPermuted[q], 2e-5, kind + " trial " + trial + " parameter " + q);
            }
        }
    }

    @Test
    void lossGradientWithRespectToTheDeltaMatchesFiniteDifferences() {
        Ops ops = TestBackends.reference();
        int B = 2;
        EditLoss loss = new EditLoss(ops, ROWS, COLS);
        WsLayout lay = new WsLayout(Sirens.SPEC, B, 1);
        int n = (int) lay.size();
        float[] w = new float[n], delta = new float[n], target = new float[B * ROWS * COLS];
        lay.gather(zoo(tmp, 2).weights(), new int[]{0, 1}, w);
        Random r = new Random(1);
        for (int q = 0; q < n; q++) delta[q] = (float) (0.01 * r.nextGaussian());
        for (int q = 0; q < target.length; q++) target[q] = (float) (2 * r.nextDouble() - 1);
        Ptr pw = upload(ops, w), pd = upload(ops, delta), pt = upload(ops, target), grad = ops.alloc(n).at(0);
        loss.compute(B, pw, pd, pt, grad);
        float[] g = new float[n];
        ops.download(grad, g, 0, n);
        double maxG = maxAbs(g);
        int checked = 0;
        for (int q = 0; q < n; q += 7) {
            double h = 1e-3;
            float[] plus = delta.clone(), minus = delta.clone();
            plus[q] += (float) h;
            minus[q] -= (float) h;
            double step = (double) plus[q] - minus[q];
            double fd = (mean(loss.compute(B, pw, upload(ops, plus), pt, null)) - mean(loss.compute(B, pw, upload(ops, minus), pt, null))) / step;
            assertEquals(g[q], fd, 2e-2 * Math.abs(g[q]) + 2e-3 * maxG, "delta entry " + q);
            checked++;
        }
        assertTrue(checked > 100);
        double noEdit = mean(loss.compute(B, pw, null, pt, null)), zeroDelta = mean(loss.compute(B, pw, upload(ops, new float[n]), pt, null));
        assertEquals(noEdit, zeroDelta, 1e-12, "no edit is a zero delta");
    }

    /**
     * The transfer net's parameter gradient (MSE, SIREN op, LearnedScale, the net) against finite
     * differences of the loss along whole directions in parameter space: the gradient's own and
     * random ones. A single coordinate moves the loss by less than float32's rendering noise, and
     * sin(30 x) curves fast, so whole directions with a small step are the sharp test.
     */
    @Test
    void parameterGradientsFlowThroughTheSirenOpAndLearnedScale() throws IOException {
        Ops ops = TestBackends.reference();
        int n = 4;
        SirenZoo z = zoo(tmp, n);
        EditTargets t = new EditTargets(z, images(n), ImageStyle.SHARPEN);
        for (EditNet net : List.of(new EditNet("HNP", new int[]{3}, 2, 1, 0.5), new EditNet("NP", new int[]{3}, 0, 1, 0.5),
                new EditNet("MLP", new int[]{7}, 0, 1, 0.5))) {
            EditModel m = new EditModel(ops, net, ImageStyle.SHARPEN, ROWS, COLS, 2);
            int[] ids = {0, 1};
            m.params().zeroGrad();
            m.forwardBackward(z, t, ids);
            float[] theta = m.hostParams(), g = new float[theta.length];
            ops.download(m.params().gradBuffer().at(0), g, 0, g.length);
            Random r = new Random(7);
            for (int dir = 0; dir < 4; dir++) {
                double[] u = new double[theta.length];
                double norm = 0, expected = 0;
                for (int q = 0; q < u.length; q++) {
                    u[q] = dir == 0 ? g[q] : r.nextGaussian();
                    norm += u[q] * u[q];
                }
                norm = Math.sqrt(norm);
                for (int q = 0; q < u.length; q++) expected += g[q] * (u[q] /= norm);
                double h = 1e-4;
                double fd = (lossAt(m, z, t, ids, theta, u, h) - lossAt(m, z, t, ids, theta, u, -h)) / (2 * h);
                assertEquals(expected, fd, 2e-2 * Math.abs(expected) + 1e-3 * maxAbs(g), net.kind() + " direction " + dir);
            }
            m.restore(theta);
        }
    }

    private static double lossAt(EditModel m, SirenZoo z, EditTargets t, int[] ids, float[] theta, double[] u, double h) {
        float[] v = new float[theta.length];
        for (int q = 0; q < v.length; q++) v[q] = (float) (theta[q] + h * u[q]);
        m.restore(v);
        return m.meanMse(z, t, ids, true);
    }

    @Test
    void flattenedWeightsAreEachSamplesOneSampleFormAndBack() {
        Ops ops = TestBackends.reference();
        int B = 3;
        WsLayout lay = new WsLayout(Sirens.SPEC, B, 1);
        float[] rows = zoo(tmp, B).weights(), batch = new float[(int) lay.size()];
        lay.gather(rows, new int[]{0, 1, 2}, batch);
        WeightRows flat = WeightRows.flatten(ops, Sirens.SPEC), unflat = WeightRows.unflatten(ops, Sirens.SPEC);
        Value asRows = flat.forward(new WeightSpace(lay, upload(ops, batch)));
        assertArrayEquals(rows, download(ops, asRows.data(), rows.length));
        Value back = unflat.forward(asRows);
        assertArrayEquals(batch, download(ops, back.data(), batch.length));
        // each direction's backward is the other's forward
        assertArrayEquals(batch, download(ops, flat.backward(new Tensor(new int[]{B, Sirens.PARAMS}, upload(ops, rows))).data(), batch.length));
        assertArrayEquals(rows, download(ops, unflat.backward(new WeightSpace(lay, upload(ops, batch))).data(), rows.length));
    }

    private static Ptr upload(Ops ops, float[] v) {
        Ptr p = ops.alloc(v.length).at(0);
        ops.upload(v, 0, p, v.length);
        return p;
    }

    private static float[] download(Ops ops, Ptr p, int n) {
        float[] v = new float[n];
        ops.download(p, v, 0, n);
        return v;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) m = Math.max(m, Math.abs(x));
        return m;
    }
}
