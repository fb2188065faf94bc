package dev.nfn4j.zoo.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.zoo.MlpHyperparameters;
import dev.nfn4j.zoo.MlpHyperparameters.Activation;
import dev.nfn4j.zoo.MlpHyperparameters.InitDistribution;
import dev.nfn4j.zoo.MlpHyperparameters.Optimizer;
import dev.nfn4j.zoo.ZooRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MlpTrainerTest {
    private static final SyntheticTask TASK = SyntheticTask.generate(SyntheticTask.Config.defaults());
    private static final int[] HIDDEN = {32, 32};

    private static MlpHyperparameters hp(Optimizer opt, float lr, Activation act, int steps, float noise) {
        return new MlpHyperparameters(opt, lr, act, InitDistribution.NORMAL, 0.3f, 1e-5f, steps, 32, noise, 1f, 0f);
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void aWellTunedNetworkLearnsFarBeyondChance(Activation act) {
        MlpTrainer.Result adam = MlpTrainer.train(TASK, HIDDEN, hp(Optimizer.ADAM, 5e-3f, act, 600, 0), 1);
        MlpTrainer.Result sgd = MlpTrainer.train(TASK, HIDDEN, hp(Optimizer.SGD, 3e-2f, act, 600, 0), 1);
        double chance = TASK.majorityTestAccuracy();
        assertTrue(adam.testAccuracy() > 0.85, "adam " + act + ": test accuracy " + adam.testAccuracy() + " (chance " + chance + ")");
        assertTrue(sgd.testAccuracy() > 0.75, "sgd " + act + ": test accuracy " + sgd.testAccuracy() + " (chance " + chance + ")");
        assertTrue(adam.testAccuracy() <= TASK.bayesTestAccuracy() + 0.02, "cannot beat the Bayes classifier by much");
        assertTrue(adam.trainLoss() < 0.5, "train loss " + adam.trainLoss());
        assertFalse(adam.diverged());
    }

    @Test
    void aShortcutThatAgreesWithTheLabelInTrainingIsLearnedAndCostsTestAccuracy() {
        // Same network and data order; only how often the shortcut inputs agree with the label.
        MlpHyperparameters clean = hp(Optimizer.ADAM, 5e-3f, Activation.RELU, 600, 0);
        MlpHyperparameters spurious = new MlpHyperparameters(clean.optimizer(), clean.learningRate(), clean.activation(), clean.init(),
                clean.initStd(), clean.l2(), clean.steps(), clean.batchSize(), clean.labelNoise(), clean.trainFraction(), 1f);
        MlpTrainer.Result a = MlpTrainer.train(TASK, HIDDEN, clean, 4), b = MlpTrainer.train(TASK, HIDDEN, spurious, 4);
        assertTrue(b.trainAccuracy() > 0.95, "the shortcut makes training easy: " + b.trainAccuracy());
        assertTrue(b.testAccuracy() < a.testAccuracy() - 0.2, "test accuracy " + b.testAccuracy() + " with the shortcut, " + a.testAccuracy()
                + " without");
        // and the reliance is visible in where the first layer's weight mass goes
        assertTrue(shortcutMassShare(b) > 2 * shortcutMassShare(a), shortcutMassShare(b) + " vs " + shortcutMassShare(a));
    }

    /** Share of sum W_0^2 on the shortcut input columns. */
    private static double shortcutMassShare(MlpTrainer.Result r) {
        int in = TASK.inputDim();
        double all = 0, shortcut = 0;
        float[] w = r.weights()[0];
        for (int q = 0; q < w.length; q++) {
            all += w[q] * w[q];
            if (q % in >= TASK.signalDim()) shortcut += w[q] * w[q];
        }
        return shortcut / all;
    }

    @Test
    void untrainedAndBadlyTrainedNetworksStayNearChance() {
        // zero steps: the initialisation only; all labels replaced by noise: nothing to learn
        MlpTrainer.Result init = MlpTrainer.train(TASK, HIDDEN, hp(Optimizer.ADAM, 1e-3f, Activation.RELU, 0, 0), 3);
        MlpTrainer.Result noise = MlpTrainer.train(TASK, HIDDEN, hp(Optimizer.ADAM, 5e-3f, Activation.RELU, 300, 1f), 3);
        assertTrue(init.testAccuracy() < 0.45, "untrained: " + init.testAccuracy());
        assertTrue(noise.testAccuracy() < 0.45, "pure label noise: " + noise.testAccuracy());
    }

    @Test
    void anOverflowingStepIsUndoneAndReportedAsDivergence() {
        MlpHyperparameters blowUp = new MlpHyperparameters(Optimizer.SGD, 1e38f, Activation.RELU, InitDistribution.NORMAL, 0.3f, 0f, 50, 16, 0f,
                1f, 0f);
        MlpTrainer.Result r = MlpTrainer.train(TASK, HIDDEN, blowUp, 9);
        assertTrue(r.diverged());
        for (int l = 0; l < 3; l++) {
            for (float w : r.weights()[l]) assertTrue(Float.isFinite(w));
            for (float b : r.biases()[l]) assertTrue(Float.isFinite(b));
        }
        assertTrue(Float.isFinite(r.trainLoss()));
        assertTrue(r.testAccuracy() >= 0 && r.testAccuracy() <= 1);
    }

    @Test
    void sameSeedSameNetworkBitForBitAndOtherSeedsDiffer() {
        MlpHyperparameters h = new MlpHyperparameters(Optimizer.SGD, 0.05f, Activation.TANH, InitDistribution.TRUNCATED_NORMAL, 0.2f, 1e-3f,
                50, 16, 0.2f, 0.3f, 0.6f);
        MlpTrainer.Result a = MlpTrainer.train(TASK, HIDDEN, h, 42), b = MlpTrainer.train(TASK, HIDDEN, h, 42);
        MlpTrainer.Result c = MlpTrainer.train(TASK, HIDDEN, h, 43);
        for (int l = 0; l < 3; l++) {
            assertArrayEquals(a.weights()[l], b.weights()[l]);
            assertArrayEquals(a.biases()[l], b.biases()[l]);
        }
        assertEquals(a.testAccuracy(), b.testAccuracy());
        assertFalse(Arrays.equals(a.weights()[1], c.weights()[1]));
        // PyTorch shapes: W_0 [32, 12] (8 signal + 4 shortcut inputs), W_1 [32, 32], W_2 [4, 32]
        assertEquals(32 * 12, a.weights()[0].length);
        assertEquals(4 * 32, a.weights()[2].length);
        assertEquals(4, a.biases()[2].length);
    }

    @Test
    void initialisationHasTheRequestedStandardDeviation() {
        for (InitDistribution d : InitDistribution.values()) {
            MlpHyperparameters h = new MlpHyperparameters(Optimizer.SGD, 0.1f, Activation.RELU, d, 0.25f, 0f, 0, 16, 0f, 1f, 0f);
            MlpTrainer.Result r = MlpTrainer.train(TASK, new int[]{64, 64}, h, 5);
            float[] w = r.weights()[1]; // 4096 values
            double sq = 0, max = 0;
            for (float v : w) {
                sq += v * v;
                max = Math.max(max, Math.abs(v));
            }
            double std = Math.sqrt(sq / w.length);
            assertEquals(0.25, std, 0.02, d + " std");
            if (d == InitDistribution.UNIFORM) assertTrue(max <= 0.25 * Math.sqrt(3) + 1e-6, d + " max " + max);
            if (d == InitDistribution.TRUNCATED_NORMAL) assertTrue(max <= 2 * 0.25 / 0.8796 + 1e-6, d + " max " + max);
            for (float v : r.biases()[1]) assertEquals(0f, v);
        }
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void backwardMatchesFiniteDifferences(Activation act) {
        int[] sizes = {5, 7, 6, 3};
        int P = MlpTrainer.numParams(sizes), B = 4;
        ZooRandom r = new ZooRandom(11);
        float[] p = new float[P], x = new float[B * sizes[0]];
        for (int i = 0; i < P; i++) p[i] = (float) (0.5 * r.nextGaussian());
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        int[] y = {0, 2, 1, 2};
        float[] g = new float[P], scratch = new float[P];
        MlpTrainer.lossAndGradient(sizes, act, p, x, y, g);
        float eps = 1e-2f;
        int bad = 0;
        for (int i = 0; i < P; i++) {
            float keep = p[i];
            p[i] = keep + eps;
            double up = MlpTrainer.lossAndGradient(sizes, act, p, x, y, scratch);
            p[i] = keep - eps;
            double down = MlpTrainer.lossAndGradient(sizes, act, p, x, y, scratch);
            p[i] = keep;
            double fd = (up - down) / (2 * eps);
            if (Math.abs(fd - g[i]) > 2e-3 + 0.03 * Math.abs(fd)) bad++;
        }
        // ReLU kinks inside +-eps may spoil a rare entry; tanh is smooth
        assertTrue(bad <= (act == Activation.RELU ? 2 : 0), act + ": " + bad + " of " + P + " gradient entries off");
    }

    @Test
    void fastTanhIsAccurateOddAndSaturates() {
        double max = 0;
        for (int i = -200_000; i <= 200_000; i++) {
            float x = i * 6e-5f;
            max = Math.max(max, Math.abs(MlpTrainer.FastTanh.tanh(x) - Math.tanh(x)));
            assertEquals(-MlpTrainer.FastTanh.tanh(x), MlpTrainer.FastTanh.tanh(-x));
        }
        for (float x : new float[]{8.99f, 9f, 9.5f, 50f, 1e30f, Float.POSITIVE_INFINITY, Float.MIN_VALUE, 1e-20f})
            max = Math.max(max, Math.abs(MlpTrainer.FastTanh.tanh(x) - Math.tanh(x)));
        assertTrue(max < 3e-7, "max error " + max);
        assertEquals(1f, MlpTrainer.FastTanh.tanh(Float.POSITIVE_INFINITY));
        assertEquals(-1f, MlpTrainer.FastTanh.tanh(-100f));
        assertTrue(Float.isNaN(MlpTrainer.FastTanh.tanh(Float.NaN)));
    }

    @Test
    void hyperparametersRoundTripThroughFloats() {
        MlpHyperparameters h = new MlpHyperparameters(Optimizer.ADAM, 3.7e-4f, Activation.TANH, InitDistribution.UNIFORM, 0.05f, 2e-6f, 1234,
                64, 0.31f, 0.77f, 0.42f);
        assertEquals(h, MlpHyperparameters.fromFloats(h.toFloats()));
        assertEquals("0=sgd,1=adam", MlpHyperparameters.codes("optimizer"));
        assertEquals("0=normal,1=uniform,2=truncated_normal", MlpHyperparameters.codes("init"));
        float[] bad = h.toFloats();
        bad[2] = 2; // no third activation
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MlpHyperparameters.fromFloats(bad));
    }
}
