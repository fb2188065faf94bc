package dev.nfn4j.zoo.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.zoo.ZooRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SyntheticTaskTest {
    @Test
    void defaultTaskIsDeterministicBalancedAndHardButLearnable() {
        SyntheticTask a = SyntheticTask.generate(SyntheticTask.Config.defaults());
        SyntheticTask b = SyntheticTask.generate(SyntheticTask.Config.defaults());
        assertArrayEquals(a.trainX(), b.trainX());
        assertArrayEquals(a.testY(), b.testY());
        assertEquals(12, a.inputDim());
        assertEquals(8, a.signalDim());
        assertEquals(4, a.shortcutDim());
        assertEquals(4, a.classes());
        assertEquals(4000, a.trainSize());
        assertEquals(2000, a.testSize());
        int[] count = new int[4];
        for (int y : a.trainY()) count[y]++;
        for (int c : count) assertTrue(c > 850 && c < 1150, "class counts " + Arrays.toString(count));
        // The Bayes classifier is good but not perfect: noise makes the ceiling visible.
        assertTrue(a.bayesTestAccuracy() > 0.93 && a.bayesTestAccuracy() < 0.99, "Bayes " + a.bayesTestAccuracy());
        assertTrue(a.majorityTestAccuracy() < 0.3);
        for (float v : a.trainX()) assertTrue(Float.isFinite(v) && Math.abs(v) < 20);
        assertTrue(a.describe().contains("Bayes test accuracy"), a.describe());
    }

    @Test
    void theShortcutPredictsTheLabelInAlignedTrainingDataAndNothingOnTheTestSet() {
        SyntheticTask t = SyntheticTask.generate(SyntheticTask.Config.defaults());
        int d = t.signalDim(), sd = t.shortcutDim(), D = t.inputDim(), K = t.classes();
        // class means of the aligned training shortcut, then a nearest-mean classifier on the shortcut alone
        double[][] mean = new double[K][sd];
        int[] count = new int[K];
        float[] x = t.trainX(), ind = t.trainShortcutIndependent(), tx = t.testX();
        int[] y = t.trainY();
        for (int i = 0; i < y.length; i++) {
            count[y[i]]++;
            for (int k = 0; k < sd; k++) mean[y[i]][k] += x[i * D + d + k];
        }
        for (int c = 0; c < K; c++) for (int k = 0; k < sd; k++) mean[c][k] /= count[c];
        double aligned = nearestMeanAccuracy(mean, x, D, d, y), independent = nearestMeanAccuracy(mean, ind, sd, 0, y);
        double test = nearestMeanAccuracy(mean, tx, D, d, t.testY());
        assertTrue(aligned > 0.85, "aligned shortcut accuracy " + aligned); // 0.89 by nearest class mean
        assertTrue(Math.abs(independent - 0.25) < 0.05, "independent shortcut accuracy " + independent);
        assertTrue(Math.abs(test - 0.25) < 0.05, "test shortcut accuracy " + test);
        // without a shortcut: the signal inputs only, and another cache key
        SyntheticTask none = SyntheticTask.generate(SyntheticTask.Config.defaults().withShortcut(0, 0f));
        assertEquals(8, none.inputDim());
        assertTrue(none.bayesTestAccuracy() > 0.93, "Bayes " + none.bayesTestAccuracy());
        assertNotEquals(none.config().key(), t.config().key());
    }

    private static double nearestMeanAccuracy(double[][] mean, float[] x, int stride, int offset, int[] y) {
        int correct = 0;
        for (int i = 0; i < y.length; i++) {
            int best = 0;
            double bestD = Double.MAX_VALUE;
            for (int c = 0; c < mean.length; c++) {
                double dist = 0;
                for (int k = 0; k < mean[c].length; k++) dist += Math.pow(x[i * stride + offset + k] - mean[c][k], 2);
                if (dist < bestD) {
                    bestD = dist;
                    best = c;
                }
            }
            if (best == y[i]) correct++;
        }
        return (double) correct / y.length;
    }

    @Test
    void seedAndSizesChangeTheKeyAndTheData() {
        SyntheticTask.Config c = SyntheticTask.Config.defaults().withSizes(300, 200);
        SyntheticTask.Config d = new SyntheticTask.Config(c.seed() + 1, 8, 4, 4, 5, 1f, 0.5f, 1f, 300, 200);
        assertNotEquals(c.key(), d.key());
        assertNotEquals(c.key(), SyntheticTask.Config.defaults().key());
        assertFalse(Arrays.equals(SyntheticTask.generate(c).trainX(), SyntheticTask.generate(d).trainX()));
        // train points come first in the stream: a larger test set leaves the training set alone
        assertArrayEquals(SyntheticTask.generate(c).trainX(), SyntheticTask.generate(c.withSizes(300, 500)).trainX());
    }

    @Test
    void randomStreamsArePinned() {
        // SplitMix64 reference values (seed 0): if these change, every zoo changes, so bump
        // ZooGenerator.GENERATOR_VERSION.
        ZooRandom r = new ZooRandom(0);
        assertEquals(0xe220a8397b1dcdafL, r.nextLong());
        assertEquals(0x6e789e6aa1b965f4L, r.nextLong());
        ZooRandom q = new ZooRandom(5);
        int[] hist = new int[7];
        for (int i = 0; i < 70_000; i++) hist[q.nextInt(7)]++;
        for (int h : hist) assertTrue(h > 9_500 && h < 10_500, Arrays.toString(hist));
        assertNotEquals(ZooRandom.seedFor(1, 2, 3), ZooRandom.seedFor(1, 3, 2));
        assertNotEquals(ZooRandom.seedFor(1, 0), ZooRandom.seedFor(1, 0, 0));
    }
}
