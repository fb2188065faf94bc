package dev.nfn4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.space.NetworkSpec;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Masks, the mask loss and the predictor's input, on cases worked out by hand. */
class TicketMasksTest {
    /** 2 -> 2 -> 1: W_0 [2][2] (4), b_0 (2), W_1 [1][2] (2), b_1 (1): 9 parameters. */
    static final NetworkSpec TINY = NetworkSpec.mlp(2, 2, 1);

    @Test
    void topKKeepsTheLargestPerLayerAndEveryBias() {
        float[] s = {0.3f, -1f, 0.3f, 2f, /* b_0 */ -9f, -9f, /* W_1 */ 0.5f, 0.4f, /* b_1 */ -9f};
        // Layer 0 keeps round(0.5 * 4) = 2: 2 (#3) then the tie 0.3 at #0 and #2 goes to #0. Layer 1 keeps 1 of 2: #6.
        assertArrayEquals(new float[]{1, 0, 0, 1, 1, 1, 1, 0, 1}, TicketMasks.topK(TINY, s, new double[]{0.5, 0.5}));
        // Magnitude: |-1| (#1) and 2 (#3).
        assertArrayEquals(new float[]{0, 1, 0, 1, 1, 1, 1, 0, 1}, TicketMasks.magnitude(TINY, s, new double[]{0.5, 0.5}));
        // At least one weight per layer; density 1 keeps all.
        assertArrayEquals(new float[]{0, 0, 0, 1, 1, 1, 1, 1, 1}, TicketMasks.topK(TINY, s, new double[]{0.01, 1}));
        float[] r = TicketMasks.random(TINY, new double[]{0.5, 0.5}, 3);
        assertEquals(2, r[0] + r[1] + r[2] + r[3]);
        assertEquals(1, r[6] + r[7]);
        assertThrows(IllegalArgumentException.class, () -> TicketMasks.topK(TINY, new float[8], new double[]{0.5, 0.5}));
        assertThrows(IllegalArgumentException.class, () -> TicketMasks.topK(TINY, s, new double[]{0.5}));
        assertThrows(IllegalArgumentException.class, () -> TicketMasks.topK(TINY, s, new double[]{0, 0.5}));
    }

    @Test
    void sampledMasksKeepImpsCountsAndFollowTheLogits() {
        float[] logits = {4f, -4f, 0f, 1f, /* b_0 */ -9f, -9f, /* W_1 */ 0.5f, 0.4f, /* b_1 */ -9f};
        float[] init = {0.1f, -0.2f, 0.3f, -0.4f, 0, 0, 0.5f, -0.6f, 0};
        double[] d = {0.5, 0.5};
        // Temperature 0 is the top-k; a seed gives one mask; every draw keeps IMP's counts and the biases.
        assertArrayEquals(TicketMasks.topK(TINY, logits, d), TicketMasks.sample(TINY, logits, init, d, 0, 5));
        assertArrayEquals(TicketMasks.sample(TINY, logits, init, d, 1, 5), TicketMasks.sample(TINY, logits, init, d, 1, 5));
        int[] keptFirst = new int[4];
        int draws = 4000;
        for (int seed = 0; seed < draws; seed++) {
            float[] m = TicketMasks.sample(TINY, logits, init, d, 1, seed);
            assertEquals(2, m[0] + m[1] + m[2] + m[3]);
            assertEquals(1, m[6] + m[7]);
            assertEquals(3, m[4] + m[5] + m[8]);
            for (int q = 0; q < 4; q++) keptFirst[q] += (int) m[q];
        }
        // Logit 4 is kept almost always, logit -4 almost never, 1 more often than 0.
        assertTrue(keptFirst[0] > 0.9 * draws && keptFirst[1] < 0.1 * draws && keptFirst[3] > keptFirst[2], java.util.Arrays.toString(keptFirst));
        // A high temperature flattens the preference towards a uniform draw (each weight kept half the time).
        int hot = 0;
        for (int seed = 0; seed < draws; seed++) hot += (int) TicketMasks.sample(TINY, logits, init, d, 1e6, seed)[1];
        assertEquals(0.5, hot / (double) draws, 0.05);
        // The noise follows a weight's initial value, not its position: moving a weight (its logit and
        // initial value together) moves its place in the mask.
        float[] l2 = logits.clone(), i2 = init.clone();
        l2[0] = logits[2];
        l2[2] = logits[0];
        i2[0] = init[2];
        i2[2] = init[0];
        for (int seed = 0; seed < 50; seed++) {
            float[] m = TicketMasks.sample(TINY, logits, init, d, 1, seed), m2 = TicketMasks.sample(TINY, l2, i2, d, 1, seed);
            assertEquals(m[0], m2[2]);
            assertEquals(m[2], m2[0]);
        }
        for (double bad : new double[]{-1, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TicketMasks.sample(TINY, logits, init, d, bad, 0));
            assertTrue(e.getMessage().contains("--temperature"), e.getMessage());
        }
    }

    @Test
    void iouCountsWeightsOnly() {
        float[] a = {1, 1, 0, 0, 1, 1, 1, 0, 1}, b = {1, 0, 1, 0, 0, 0, 1, 1, 0};
        // kept weights a: {0, 1, 6}, b: {0, 2, 6, 7}: intersection 2, union 5.
        assertEquals(0.4, TicketMasks.iou(TINY, a, b), 1e-12);
        assertEquals(1.0, TicketMasks.iou(TINY, a, a), 1e-12);
    }

    @Test
    void lossWeightsBalanceEachLayerAndSkipBiases() {
        float[] mask = {1, 0, 0, 0, 1, 1, 1, 0, 1};
        float[] w = TicketMasks.lossWeights(TINY, mask, new double[]{0.25, 0.5});
        // Layer 0: 1 kept (0.5 / 1), 3 pruned (0.5 / 3 each); layer 1: 0.5 each; biases 0.
        assertArrayEquals(new float[]{0.5f, 1 / 6f, 1 / 6f, 1 / 6f, 0, 0, 0.5f, 0.5f, 0}, w, 1e-7f);
    }

    @Test
    void normaliseDividesEachLayerByItsRms() {
        float[] x = {3, -4, 0, 0, 7, 7, 1, -1, 5};
        // W_0 rms = sqrt(25 / 4) = 2.5; W_1 rms = 1; biases unchanged.
        assertArrayEquals(new float[]{1.2f, -1.6f, 0, 0, 7, 7, 1, -1, 5}, TicketMasks.normalise(TINY, x), 1e-6f);
    }

    @Test
    void maskLossIsWeightedBceOnLogitsWithItsGradient() {
        // z = 0: loss log 2 whatever the target.
        assertEquals(Math.log(2), MaskLoss.compute(new float[]{0}, new float[]{1}, new float[]{3}, null), 1e-12);
        // Two entries, weights 1 and 3: (1 * softplus(2) + 3 * (softplus(-1) - 0)) / 4, targets 0 and 0.
        double want = (Math.log1p(Math.exp(2)) + 3 * Math.log1p(Math.exp(-1))) / 4;
        assertEquals(want, MaskLoss.compute(new float[]{2, -1}, new float[]{0, 0}, new float[]{1, 3}, null), 1e-12);
        // Gradient against central differences; a zero weight contributes nothing.
        Random r = new Random(1);
        int n = 7;
        float[] z = new float[n], t = new float[n], w = new float[n], g = new float[n];
        for (int i = 0; i < n; i++) {
            z[i] = (float) (r.nextGaussian() * 3);
            t[i] = r.nextBoolean() ? 1 : 0;
            w[i] = i == 2 ? 0 : r.nextFloat();
        }
        MaskLoss.compute(z, t, w, g);
        assertEquals(0f, g[2]);
        for (int i = 0; i < n; i++) {
            float[] zp = z.clone(), zm = z.clone();
            float h = 1e-2f;
            zp[i] += h;
            zm[i] -= h;
            double fd = (MaskLoss.compute(zp, t, w, null) - MaskLoss.compute(zm, t, w, null)) / (zp[i] - zm[i]);
            assertEquals(fd, g[i], 1e-4, "entry " + i);
        }
        // Large logits stay finite.
        assertTrue(Double.isFinite(MaskLoss.compute(new float[]{1e4f, -1e4f}, new float[]{0, 1}, new float[]{1, 1}, new float[2])));
        assertThrows(IllegalArgumentException.class, () -> MaskLoss.compute(new float[2], new float[2], new float[2], null));
    }
}
