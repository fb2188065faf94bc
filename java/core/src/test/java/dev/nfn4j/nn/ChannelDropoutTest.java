package dev.nfn4j.nn;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.testing.TestBackends;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChannelDropoutTest {
    static final NetworkSpec SPEC = new NetworkSpec(new int[]{3, 4, 2}, new int[][]{{2, 3}, null});

    private static float[] run(Ops ops, ChannelDropout d, WsLayout lay, float[] x) {
        Value y = d.forward(new WeightSpace(lay, upload(ops, x)));
        float[] out = new float[x.length];
        ops.download(y.data(), out, 0, out.length);
        return out;
    }

    private static dev.nfn4j.ops.Ptr upload(Ops ops, float[] x) {
        var p = ops.alloc(x.length).at(0);
        ops.upload(x, 0, p, x.length);
        return p;
    }

    @TestFactory
    List<DynamicTest> dropoutDropsWholePlanesInTrainingOnly() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Ops ops : TestBackends.all())
            tests.add(DynamicTest.dynamicTest(ops.name(), () -> {
                WsLayout lay = new WsLayout(SPEC, 16, 3);
                float[] x = new float[Math.toIntExact(lay.size())];
                Random rnd = new Random(1);
                for (int i = 0; i < x.length; i++) x[i] = 1 + rnd.nextFloat(); // never 0
                ChannelDropout d = new ChannelDropout(ops, 0.25, 7);
                assertArrayEquals(x, run(ops, d, lay, x), "inference mode is the identity");

                d.setTraining(true, 5);
                float[] y = run(ops, d, lay, x);
                assertArrayEquals(y, run(ops, d, lay, x), "the same step draws the same mask");
                int planes = 0, dropped = 0;
                for (int i = 0; i < SPEC.numLayers(); i++) {
                    int plane = SPEC.rows(i) * SPEC.cols(i), w0 = (int) lay.wOffset(i);
                    for (int q = 0; q < lay.batch() * lay.wChannels(i); q++) {
                        boolean zero = y[w0 + q * plane] == 0;
                        for (int k = 0; k < plane; k++) {
                            float want = zero ? 0 : x[w0 + q * plane + k] / 0.75f;
                            assertEquals(want, y[w0 + q * plane + k], 1e-6, "a plane is dropped or kept whole");
                        }
                        planes++;
                        if (zero) dropped++;
                    }
                }
                double frac = dropped / (double) planes;
                assertTrue(frac > 0.1 && frac < 0.4, "dropped fraction " + frac + " for p = 0.25");
                d.setTraining(true, 6);
                assertTrue(!java.util.Arrays.equals(y, run(ops, d, lay, x)), "another step draws another mask");
            }));
        return tests;
    }

    @TestFactory
    List<DynamicTest> backwardAppliesTheSameMask() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Ops ops : TestBackends.all())
            tests.add(DynamicTest.dynamicTest(ops.name(), () -> {
                WsLayout lay = new WsLayout(SPEC, 4, 2);
                ChannelDropout d = new ChannelDropout(ops, 0.5, 3);
                d.setTraining(true, 1);
                float[] ones = new float[Math.toIntExact(lay.size())];
                java.util.Arrays.fill(ones, 1f);
                float[] mask = run(ops, d, lay, ones); // y = mask * 1
                Random rnd = new Random(2);
                float[] g = new float[ones.length];
                for (int i = 0; i < g.length; i++) g[i] = (float) rnd.nextGaussian();
                Value dx = d.backward(new WeightSpace(lay, upload(ops, g)));
                float[] got = new float[g.length];
                ops.download(dx.data(), got, 0, got.length);
                for (int i = 0; i < g.length; i++) assertEquals(g[i] * mask[i], got[i], 1e-6);
            }));
        return tests;
    }

    /** On a tensor every entry is its own channel (torch.nn.Dropout); the backward applies the same mask. */
    @org.junit.jupiter.api.Test
    void onATensorEachEntryIsDroppedAlone() {
        Ops ops = dev.nfn4j.ops.Backends.byName("reference");
        int n = 4000;
        float[] x = new float[n];
        java.util.Arrays.fill(x, 1f);
        dev.nfn4j.ops.Ptr buf = ops.alloc(n).at(0);
        ops.upload(x, 0, buf, n);
        ChannelDropout d = new ChannelDropout(ops, 0.5, 3);
        d.setTraining(true, 7);
        float[] y = new float[n], g = new float[n];
        ops.download(d.forward(new Tensor(new int[]{40, 100}, buf)).data(), y, 0, n);
        ops.download(d.backward(new Tensor(new int[]{40, 100}, buf)).data(), g, 0, n);
        int zeros = 0;
        for (int k = 0; k < n; k++) {
            assertTrue(y[k] == 0f || y[k] == 2f, "entry " + k + " " + y[k]);
            assertEquals(y[k], g[k]);
            if (y[k] == 0) zeros++;
        }
        assertTrue(zeros > 1800 && zeros < 2200, zeros + " of " + n + " dropped at p = 0.5");
        d.setTraining(false, 8);
        assertEquals(buf, d.forward(new Tensor(new int[]{40, 100}, buf)).data());
    }
}
