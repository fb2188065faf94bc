package dev.nfn4j.zoo.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.SmallCnn;
import dev.nfn4j.zoo.TfLayout;
import dev.nfn4j.zoo.TinyImages;
import dev.nfn4j.zoo.ZooRandom;
import dev.nfn4j.zoo.build.CnnHyperparameters.Activation;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CnnTrainerTest {
    @TempDir
    Path tmp;

    private static ImageData images(int n, int rows, int cols, long seed) {
        Random r = new Random(seed);
        return new ImageData(n, rows, cols, TinyImages.pixels(n, rows, cols, r), TinyImages.labels(n, r));
    }

    private static void randomParams(CnnTrainer t, double std, long seed) {
        Random r = new Random(seed);
        for (int q = 0; q < t.numParams(); q++) t.p[q] = (float) (std * r.nextGaussian());
    }

    /** The architecture's parameter count: 4,970 for one input channel (as the Small CNN Zoo's layout). */
    @Test
    void parameterCountMatchesTheSmallCnnZoo() {
        assertEquals(4970, CnnTrainer.numParams(1, 10));
        assertEquals(4970, new CnnTrainer(28, 28, 1, 10, Activation.RELU, 0, 2).numParams());
        assertEquals(4970, SmallCnn.tensors(1, 10).getLast().end());
    }

    /** Central differences of the loss (cross-entropy plus L2) against backward, every activation, on uneven images. */
    @ParameterizedTest
    @EnumSource(Activation.class)
    void gradientsMatchFiniteDifferences(Activation act) {
        ImageData d = images(3, 9, 7, 5);
        int[] idx = {0, 1, 2};
        CnnTrainer t = new CnnTrainer(9, 7, 1, 10, act, 0, 3);
        randomParams(t, 0.4, 7);
        float l2 = 1e-3f;
        t.lossAndGradient(d, idx, l2);
        float[] analytic = t.g.clone();
        double num = 0, den = 0;
        float eps = 1e-2f;
        for (int q = 0; q < t.numParams(); q += 3) { // a third of the coordinates, spread over every tensor
            float v = t.p[q];
            t.p[q] = v + eps;
            double up = t.lossAndGradient(d, idx, l2);
            t.p[q] = v - eps;
            double down = t.lossAndGradient(d, idx, l2);
            t.p[q] = v;
            double fd = (up - down) / (2 * eps);
            num += (fd - analytic[q]) * (fd - analytic[q]);
            den += fd * fd;
        }
        double rel = Math.sqrt(num / den);
        assertTrue(rel < 2e-2, act + ": relative gradient error " + rel);
    }

    /**
     * A hand-computed case of the layout: a 5x5 image 1..25, one kernel tap set. TensorFlow "same"
     * padding with stride 2 gives 3x3 outputs and pads one pixel before (total padding 2), so tap
     * (ky, kx) of output (oy, ox) reads pixel (2 oy - 1 + ky, 2 ox - 1 + kx).
     */
    @Test
    void convLayoutIsTensorFlowsOnAHandComputedCase() {
        byte[] px = new byte[25];
        for (int i = 0; i < 25; i++) px[i] = (byte) (i + 1);
        ImageData d = new ImageData(1, 5, 5, px, new byte[]{0});
        CnnTrainer t = new CnnTrainer(5, 5, 1, 10, Activation.RELU, 0, 1);
        // kernel (kh, kw, in, out) = (3, 3, 1, 16): tap (ky=2, kx=1) of filter 3 is column (2 * 3 + 1) * 16 + 3
        t.p[(2 * 3 + 1) * 16 + 3] = CnnTrainer.PIXEL_STD * 255f;
        t.p[144 + 3] = CnnTrainer.PIXEL_MEAN * 255f; // bias 3 undoes the standardisation where the tap reads a pixel
        float[] out = t.convOutput(d, new int[]{0}, 0); // [1][3][3][16]
        float[][] expected = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
        for (int oy = 0; oy < 3; oy++)
            for (int ox = 0; ox < 3; ox++) {
                int iy = 2 * oy - 1 + 2, ix = 2 * ox - 1 + 1;
                expected[oy][ox] = iy < 5 && ix < 5 ? 5 * iy + ix + 1 : CnnTrainer.PIXEL_MEAN * 255f; // outside: zero input, bias only
            }
        assertEquals(18f, expected[1][1]); // output (1, 1), tap (2, 1) reads pixel (3, 2), which holds 3 * 5 + 2 + 1
        for (int oy = 0; oy < 3; oy++)
            for (int ox = 0; ox < 3; ox++) {
                assertEquals(expected[oy][ox], out[(oy * 3 + ox) * 16 + 3], 1e-3f, "output (" + oy + ", " + ox + ")");
                assertEquals(0f, out[(oy * 3 + ox) * 16 + 2]);
            }
    }

    /**
     * The layout as the reader sees it: the TensorFlow row, converted by {@link TfLayout} to
     * PyTorch's {@code (out, in, kh, kw)}, computes the same first conv layer as the trainer when
     * evaluated by the textbook definition (cross-correlation, stride 2, one pixel of padding after).
     */
    @Test
    void readersPyTorchLayoutComputesTheTrainersConvolution() throws Exception {
        ImageData d = images(1, 8, 6, 3);
        CnnTrainer t = new CnnTrainer(8, 6, 1, 10, Activation.TANH, 0, 1);
        randomParams(t, 0.5, 11);
        float[] out = t.convOutput(d, new int[]{0}, 0); // [4][3][16]
        Path dir = tmp.resolve("layout");
        java.nio.file.Files.createDirectories(dir);
        CnnZooBuilder.writeLayout(dir.resolve("layout.csv"));
        TfLayout layout = TfLayout.read(dir.resolve("layout.csv"), t.numParams());
        float[] canonical = new float[t.numParams()];
        layout.toCanonical(t.p, 0, canonical, 0);
        HostWeights net = new HostWeights(new WsLayout(layout.spec(), 1, 1), canonical);
        float[] w = net.torchWeight(0), b = net.torchBias(0); // [16][1][3][3], [16]
        // 8 -> 4 rows: total padding max(3 * 2 + 3 - 8, 0) = 1, before 0; 6 -> 3 cols: padding 1, before 0
        for (int o = 0; o < 16; o++)
            for (int oy = 0; oy < 4; oy++)
                for (int ox = 0; ox < 3; ox++) {
                    double s = b[o];
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++) {
                            int iy = 2 * oy + ky, ix = 2 * ox + kx;
                            if (iy < 8 && ix < 6) s += w[(o * 3 + ky) * 3 + kx] * ((d.pixel(0, iy * 6 + ix) - CnnTrainer.PIXEL_MEAN) / CnnTrainer.PIXEL_STD);
                        }
                    assertEquals(Math.tanh(s), out[(oy * 3 + ox) * 16 + o], 1e-4, "filter " + o + " at (" + oy + ", " + ox + ")");
                }
    }

    /** The Vector API activations give the scalar oracle's bits, on ordinary and special inputs and any tail length. */
    @Test
    void vectorActivationsAreBitIdenticalToTheScalarOnes() {
        org.junit.jupiter.api.Assumptions.assumeTrue(CnnActivations.VECTOR, "the vector module is not readable");
        java.util.Random r = new java.util.Random(3);
        float[] specials = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 7.9053111f, -7.9053111f, 8f, -8f,
                1e-30f, -1e-30f, Float.MIN_VALUE, -Float.MAX_VALUE, 0.5f, -0.5f, 40f, -40f};
        for (CnnHyperparameters.Activation act : CnnHyperparameters.Activation.values())
            for (int len : new int[]{1, 7, 8, 13, 1000, 4099}) {
                float[] z = new float[len];
                for (int i = 0; i < len; i++) z[i] = i < specials.length ? specials[i] : (float) (r.nextGaussian() * (i % 3 == 0 ? 10 : 1));
                float[] vec = z.clone(), ref = z.clone();
                CnnActivations.apply(act, vec, len, true);
                CnnActivations.apply(act, ref, len, false);
                for (int i = 0; i < len; i++)
                    assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(vec[i]),
                            act + " of " + z[i] + " (element " + i + " of " + len + "): " + vec[i] + " vs " + ref[i]);
            }
    }

    @Test
    void tanhIsWithinAFewUlpOfStrictMath() {
        double worst = 0;
        for (float x = -12f; x <= 12f; x += 1e-3f) worst = Math.max(worst, Math.abs(CnnActivations.tanh(x) - StrictMath.tanh(x)));
        assertTrue(worst < 1e-6, "worst error " + worst);
        assertEquals(0f, CnnActivations.tanh(0f));
    }

    @Test
    void orthogonalInitHasOrthonormalColumnsTimesTheGain() {
        for (int[] s : new int[][]{{144, 16}, {9, 16}, {16, 10}}) {
            int rows = s[0], cols = s[1];
            float[] w = new float[rows * cols];
            CnnTrainer.orthogonal(rows, cols, 2f, new ZooRandom(1), w, 0);
            boolean byCols = rows >= cols;
            int n = byCols ? cols : rows, len = byCols ? rows : cols;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    double dot = 0;
                    for (int q = 0; q < len; q++) dot += byCols ? w[q * cols + i] * w[q * cols + j] : w[i * cols + q] * w[j * cols + q];
                    assertEquals(i == j ? 4 : 0, dot, 1e-4, rows + "x" + cols + " vectors " + i + ", " + j);
                }
        }
    }

    /** Same seed, same network, bit for bit; a trained network beats chance on learnable data. */
    @Test
    void trainingIsDeterministicAndLearns() {
        // Learnable: the label is the brightest of 10 horizontal bands of a 10x6 image.
        int n = 400;
        Random r = new Random(9);
        byte[] px = new byte[n * 60], labels = new byte[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (byte) r.nextInt(10);
            for (int q = 0; q < 60; q++) px[i * 60 + q] = (byte) (q / 6 == labels[i] ? 200 + r.nextInt(55) : r.nextInt(100));
        }
        ImageData all = new ImageData(n, 10, 6, px, labels);
        ImageData.Split data = new ImageData.Split(all, all);
        CnnHyperparameters hp = new CnnHyperparameters(CnnHyperparameters.Optimizer.ADAM, 0.01f, Activation.RELU,
                CnnHyperparameters.Init.RANDOM_NORMAL, 0.2f, 1e-5f, 0.1f, 1f);
        CnnTrainer.Result a = CnnTrainer.train(data, hp, 16, new int[]{0, 50, 150}, 200, 42);
        CnnTrainer.Result b = CnnTrainer.train(data, hp, 16, new int[]{0, 50, 150}, 200, 42);
        for (int k = 0; k < 3; k++) assertArrayEquals(a.params()[k], b.params()[k]);
        assertArrayEquals(a.testAccuracy(), b.testAccuracy());
        assertEquals(-1, a.divergedAt());
        assertTrue(a.testAccuracy()[2] > 0.5, "accuracy " + a.testAccuracy()[2]);
        assertTrue(a.testAccuracy()[2] > a.testAccuracy()[0]);
        assertTrue(a.trainLoss()[2] < a.trainLoss()[0]);
    }

    /** On the real Fashion-MNIST with the zoo's default budget, a reasonable network learns well above chance. */
    @Test
    void learnsFashionMnistWithTheDefaultBudget() throws java.io.IOException {
        ImageData.Split data = ImageData.load(TinyImages.realFashionMnist());
        CnnHyperparameters hp = new CnnHyperparameters(CnnHyperparameters.Optimizer.ADAM, 0.01f, Activation.RELU,
                CnnHyperparameters.Init.RANDOM_NORMAL, 0.1f, 1e-6f, 0.05f, 1f);
        CnnTrainer.Result r = CnnTrainer.train(data, hp, CnnZooBuilder.DEFAULT_BATCH, new int[]{20, 86}, CnnZooBuilder.DEFAULT_TEST_IMAGES, 1);
        assertTrue(r.testAccuracy()[1] > 0.5, "test accuracy " + r.testAccuracy()[1]);
        assertTrue(r.testAccuracy()[1] > r.testAccuracy()[0], java.util.Arrays.toString(r.testAccuracy()));
    }
}
