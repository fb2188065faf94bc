package dev.nfn4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Softmax cross-entropy: its gradient against finite differences, its stability, and bad labels. */
class SoftmaxCrossEntropyTest {
    @Test
    void gradientMatchesFiniteDifferences() {
        int K = 7, B = 5;
        Random r = new Random(3);
        float[] z = new float[B * K], dz = new float[B * K];
        int[] y = new int[B];
        for (int i = 0; i < z.length; i++) z[i] = (float) (3 * r.nextGaussian());
        for (int b = 0; b < B; b++) y[b] = r.nextInt(K);
        SoftmaxCrossEntropy.mean(z, dz, K, B, y);
        float h = 1e-2f;
        for (int i = 0; i < z.length; i++) {
            float[] p = z.clone(), m = z.clone();
            p[i] += h;
            m[i] -= h;
            double fd = (SoftmaxCrossEntropy.mean(p, null, K, B, y) - SoftmaxCrossEntropy.mean(m, null, K, B, y)) / (2 * h);
            assertEquals(fd, dz[i], 2e-4, "entry " + i);
        }
    }

    @Test
    void valuesAsPyTorchAndStableForLargeLogits() {
        // F.cross_entropy(torch.tensor([[1., 2., 3.]]), torch.tensor([0])) = 2.4076059644
        assertEquals(2.4076059644, SoftmaxCrossEntropy.mean(new float[]{1, 2, 3}, null, 3, 1, new int[]{0}), 1e-9);
        // shifting every logit by 1e4 changes nothing, and the gradient stays finite
        float[] dz = new float[3];
        assertEquals(2.4076059644, SoftmaxCrossEntropy.mean(new float[]{10001, 10002, 10003}, dz, 3, 1, new int[]{0}), 1e-9);
        for (float g : dz) assertTrue(Float.isFinite(g));
        assertEquals(2e4, SoftmaxCrossEntropy.mean(new float[]{-1e4f, 1e4f}, null, 2, 1, new int[]{0}), 1e-6);
        float[] p = SoftmaxCrossEntropy.softmax(new float[]{1000, 1000, -1000}, 3, 1);
        assertEquals(0.5, p[0], 1e-7);
        assertEquals(0, p[2], 1e-30);
    }

    @Test
    void labelsOutOfRangeAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.mean(new float[]{1, 2, 3, 4}, null, 2, 2, new int[]{0, 2}));
        assertTrue(e.getMessage().contains("label 2 of row 1 is outside [0, 2)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SoftmaxCrossEntropy.mean(new float[]{1, 2}, null, 2, 1, new int[]{-1}));
    }
}
