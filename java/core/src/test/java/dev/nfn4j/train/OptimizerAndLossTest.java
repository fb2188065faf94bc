package dev.nfn4j.train;

import dev.nfn4j.nn.Init;
import dev.nfn4j.nn.Param;
import dev.nfn4j.nn.Params;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.testing.TestBackends;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Adam/AdamW against PyTorch's update rule written out in double; BCE and MSE against hand-computed values. */
class OptimizerAndLossTest {

    /** torch.optim.Adam / AdamW, one parameter, in double. */
    private static double[] torchAdam(double p, double[] grads, double lr, double wd, boolean decoupled) {
        double m = 0, v = 0;
        double[] out = new double[grads.length];
        for (int t = 1; t <= grads.length; t++) {
            double g = grads[t - 1];
            if (decoupled) p *= 1 - lr * wd;
            else g += wd * p;
            m = 0.9 * m + 0.1 * g;
            v = 0.999 * v + 0.001 * g * g;
            double mHat = m / (1 - Math.pow(0.9, t)), vHat = v / (1 - Math.pow(0.999, t));
            p -= lr * mHat / (Math.sqrt(vHat) + 1e-8);
            out[t - 1] = p;
        }
        return out;
    }

    @TestFactory
    List<DynamicTest> adamAndAdamWFollowPytorch() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Ops ops : TestBackends.all())
            for (boolean decoupled : new boolean[]{false, true})
                tests.add(DynamicTest.dynamicTest(ops.name() + (decoupled ? " AdamW" : " Adam"), () -> {
                    Params params = new Params(ops);
                    Param w = params.declare("w", new int[]{3}, Init.zero());
                    params.allocate(0);
                    float[] p0 = {0.5f, -1.25f, 2f};
                    params.write(w, p0);
                    Adam adam = new Adam(params, new AdamConfig(0.01, 0.9, 0.999, 1e-8, 0.1, decoupled));
                    double[][] grads = {{0.3, -0.2, 0.05, 0.7}, {1e-3, 1e-3, -1e-3, 0}, {-2, 4, -1, 0.5}};
                    for (int t = 0; t < 4; t++) {
                        float[] g = {(float) grads[0][t], (float) grads[1][t], (float) grads[2][t]};
                        ops.upload(g, 0, w.grad(), 3);
                        adam.step();
                        float[] got = params.read(w);
                        for (int i = 0; i < 3; i++) {
                            double want = torchAdam(p0[i], grads[i], 0.01, 0.1, decoupled)[t];
                            assertEquals(want, got[i], 1e-6, "param " + i + " after step " + (t + 1));
                        }
                    }
                }));
        return tests;
    }

    @Test
    void binaryCrossEntropyAndItsGradient() {
        float[] p = {0.25f, 0.9f}, t = {0f, 1f}, g = new float[2];
        double loss = Loss.BINARY_CROSS_ENTROPY.compute(p, t, g);
        assertEquals(-(Math.log(0.75) + Math.log(0.9)) / 2, loss, 1e-7);
        assertEquals((0.25 - 0) / (0.25 * 0.75) / 2, g[0], 1e-6);
        assertEquals((0.9 - 1) / (0.9 * 0.1) / 2, g[1], 1e-6);
        // PyTorch clamps log at -100: a confident wrong prediction has a finite loss
        assertEquals(100, Loss.BINARY_CROSS_ENTROPY.compute(new float[]{0f}, new float[]{1f}, new float[1]), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> Loss.BINARY_CROSS_ENTROPY.compute(new float[]{1.5f}, new float[]{1f}, new float[1]));
    }

    @Test
    void meanSquaredErrorAndItsGradient() {
        float[] g = new float[2];
        assertEquals((1 + 4) / 2.0, Loss.MSE.compute(new float[]{1, 3}, new float[]{0, 1}, g), 1e-9);
        assertEquals(1, g[0], 1e-7);
        assertEquals(2, g[1], 1e-7);
        assertThrows(IllegalArgumentException.class, () -> Loss.MSE.compute(new float[2], new float[3], new float[2]));
    }
}
