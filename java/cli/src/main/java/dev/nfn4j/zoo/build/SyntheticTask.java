package dev.nfn4j.zoo.build;

import dev.nfn4j.zoo.MlpHyperparameters;
import dev.nfn4j.zoo.ZooRandom;
import java.util.Locale;

/**
 * A built-in classification task for the generated zoo, made deterministically from a seed: a
 * <em>signal</em> part, a mixture of rotated, anisotropic Gaussian blobs, several per class, so
 * classes are not convex and a linear model falls well short of what a small MLP can reach; and a
 * <em>shortcut</em> part, a few extra inputs that are spuriously correlated with the label in the
 * training data and independent of it at test time.
 *
 * <p>Why a shortcut: the zoo exists to test whether a model can predict a network's test accuracy
 * from its weights. If accuracy is decided only by training hyperparameters that set the scale of
 * the weights (init scale, learning rate, length), per-tensor weight statistics (StatNN) already
 * read it, and the structure of the weights, which neural functionals see, does not matter. Here
 * it does: how well a network generalises also depends on <em>which inputs</em> it learned to use.
 * Networks trained on data where the shortcut agrees with the label often (see
 * {@link MlpHyperparameters#shortcutCorrelation()}) lean on it, and lose accuracy on the test set,
 * where it carries no information (a distribution shift, as in Colored MNIST or Waterbirds). That
 * reliance is how the first layer's weight mass splits between the signal and the shortcut
 * columns: visible to an NFN that keeps input neurons apart (HNP pooling), not to statistics
 * pooled over the whole tensor.
 *
 * <p>Generation: for each of the {@code classes * clustersPerClass} clusters (cluster c belongs to
 * class {@code c / clustersPerClass}), a centre drawn from {@code N(0, centerSpread^2 I)}, a random
 * rotation R (Gram-Schmidt on a Gaussian matrix) and axis scales s drawn log-uniformly in
 * {@code [clusterScale / 2, clusterScale * 2)}; then per class a shortcut mean {@code mu_k} drawn
 * from {@code N(0, shortcutSeparation^2 I)}. A point: a class y uniformly, one of its clusters
 * uniformly, signal {@code x = centre + R diag(s) z} with {@code z ~ N(0, I)}, shortcut noise
 * {@code e ~ N(0, I)} and an independent class {@code k} uniformly. Inputs are the signal followed
 * by the shortcut. Training points store both shortcut versions, aligned {@code mu_y + e} and
 * independent {@code mu_k + e}; a network picks per example (see {@link MlpTrainer}). Test points
 * have the independent one. Train and test sets are drawn from one stream (train first). Because
 * the generative model is known, {@link #bayesTestAccuracy()} gives the best accuracy any
 * classifier can expect on the test set (from the signal: the shortcut is noise there).
 */
public final class SyntheticTask {
    /**
     * Everything that defines the task; {@link #key()} is part of the zoo's cache key.
     *
     * @param signalDim          inputs of the blob mixture (the real signal)
     * @param shortcutDim        shortcut inputs after them (0: none)
     * @param shortcutSeparation std of the entries of the per-class shortcut means (the noise has std 1)
     */
    public record Config(long seed, int signalDim, int shortcutDim, int classes, int clustersPerClass, float centerSpread,
                         float clusterScale, float shortcutSeparation, int trainSize, int testSize) {
        public Config {
            if (signalDim < 1 || shortcutDim < 0 || classes < 2 || clustersPerClass < 1)
                throw new IllegalArgumentException("need signalDim >= 1, shortcutDim >= 0, classes >= 2, clustersPerClass >= 1; got "
                        + signalDim + ", " + shortcutDim + ", " + classes + ", " + clustersPerClass);
            if (!(centerSpread > 0) || !(clusterScale > 0) || !Float.isFinite(centerSpread) || !Float.isFinite(clusterScale))
                throw new IllegalArgumentException("centerSpread and clusterScale must be positive and finite, got " + centerSpread
                        + ", " + clusterScale);
            if (!(shortcutSeparation >= 0) || !Float.isFinite(shortcutSeparation))
                throw new IllegalArgumentException("shortcutSeparation must be >= 0 and finite, got " + shortcutSeparation);
            if (trainSize < 1 || testSize < 1)
                throw new IllegalArgumentException("trainSize and testSize must be >= 1, got " + trainSize + ", " + testSize);
            if ((long) trainSize * (signalDim + shortcutDim) > Integer.MAX_VALUE - 8
                    || (long) testSize * (signalDim + shortcutDim) > Integer.MAX_VALUE - 8)
                throw new IllegalArgumentException("data set too large");
        }

        /**
         * The default zoo's task: 8 signal inputs (4 classes of 5 blobs each) and 4 shortcut
         * inputs, 4,000 training and 2,000 test points. The shortcut's class means (entries of std
         * 2.5 against unit noise) make it linearly separable to about 89% (nearest class mean):
         * far easier to learn than the blobs, which is what makes a spurious feature a shortcut. Chosen by measurement (BENCHMARKS.md):
         * separation 1 and 1.5 left too little of the accuracy spread to the shortcut, 4 pushed most
         * networks to chance.
         */
        public static Config defaults() {
            return new Config(0x7a5cL, 8, 4, 4, 5, 1.0f, 0.5f, 2.5f, 4000, 2000);
        }

        /** The network's input width: signal then shortcut. */
        public int inputDim() {
            return signalDim + shortcutDim;
        }

        public Config withSizes(int train, int test) {
            return new Config(seed, signalDim, shortcutDim, classes, clustersPerClass, centerSpread, clusterScale, shortcutSeparation,
                    train, test);
        }

        public Config withShortcut(int dim, float separation) {
            return new Config(seed, signalDim, dim, classes, clustersPerClass, centerSpread, clusterScale, separation, trainSize,
                    testSize);
        }

        /** A canonical description holding every field (floats by their exact bits as hex). */
        public String key() {
            return String.format(Locale.ROOT, "gaussian_blobs(seed=%d,inputs=%d,classes=%d,blobs_per_class=%d,center_spread=%s,blob_scale=%s,"
                            + "train=%d,test=%d)+shortcut(inputs=%d,separation=%s)", seed, signalDim, classes, clustersPerClass,
                    Float.toHexString(centerSpread), Float.toHexString(clusterScale), trainSize, testSize, shortcutDim,
                    Float.toHexString(shortcutSeparation));
        }
    }

    private final Config config;
    private final float[] trainX, testX; // [n, inputDim] row-major; trainX with the aligned shortcut, testX with the independent one
    private final float[] trainShortcutIndependent; // [trainSize, shortcutDim]
    private final int[] trainY, testY;
    private final double bayesTestAccuracy;

    private SyntheticTask(Config config, float[] trainX, float[] trainShortcutIndependent, int[] trainY, float[] testX, int[] testY,
                          double bayes) {
        this.config = config;
        this.trainX = trainX;
        this.trainShortcutIndependent = trainShortcutIndependent;
        this.trainY = trainY;
        this.testX = testX;
        this.testY = testY;
        this.bayesTestAccuracy = bayes;
    }

    public static SyntheticTask generate(Config c) {
        int d = c.signalDim(), nc = c.classes() * c.clustersPerClass();
        ZooRandom r = new ZooRandom(ZooRandom.seedFor(c.seed(), 0x7a5c));
        double[][] centre = new double[nc][d];
        double[][][] rot = new double[nc][][];
        double[][] scale = new double[nc][d];
        for (int m = 0; m < nc; m++) {
            for (int k = 0; k < d; k++) centre[m][k] = c.centerSpread() * r.nextGaussian();
            rot[m] = randomRotation(r, d);
            for (int k = 0; k < d; k++) scale[m][k] = r.logUniform(c.clusterScale() / 2.0, c.clusterScale() * 2.0);
        }
        double[][] shortcutMean = new double[c.classes()][c.shortcutDim()];
        for (double[] mu : shortcutMean)
            for (int k = 0; k < mu.length; k++) mu[k] = c.shortcutSeparation() * r.nextGaussian();
        Blobs blobs = new Blobs(c, centre, rot, scale, shortcutMean);
        float[] trainX = new float[c.trainSize() * c.inputDim()], testX = new float[c.testSize() * c.inputDim()];
        float[] trainIndependent = new float[c.trainSize() * c.shortcutDim()];
        int[] trainY = new int[c.trainSize()], testY = new int[c.testSize()];
        blobs.sample(r, trainX, trainIndependent, trainY);
        blobs.sample(r, testX, null, testY);
        int correct = 0;
        for (int i = 0; i < testY.length; i++)
            if (blobs.bayesClass(testX, i) == testY[i]) correct++;
        return new SyntheticTask(c, trainX, trainIndependent, trainY, testX, testY, (double) correct / testY.length);
    }

    /** The generative model's parameters. */
    private record Blobs(Config c, double[][] centre, double[][][] rot, double[][] scale, double[][] shortcutMean) {
        /**
         * Fills y and the rows of x [n, inputDim]: signal, then the shortcut, aligned with y when
         * {@code independent} is not null (which then gets the independent shortcut [n, shortcutDim]),
         * else independent.
         */
        void sample(ZooRandom r, float[] x, float[] independent, int[] y) {
            int d = c.signalDim(), sd = c.shortcutDim(), D = c.inputDim();
            double[] z = new double[d];
            for (int i = 0; i < y.length; i++) {
                int cls = r.nextInt(c.classes());
                int m = cls * c.clustersPerClass() + r.nextInt(c.clustersPerClass());
                for (int k = 0; k < d; k++) z[k] = scale[m][k] * r.nextGaussian();
                for (int row = 0; row < d; row++) {
                    double v = centre[m][row];
                    for (int k = 0; k < d; k++) v += rot[m][row][k] * z[k];
                    x[i * D + row] = (float) v;
                }
                if (sd == 0) {
                    y[i] = cls;
                    continue;
                }
                int other = r.nextInt(c.classes());
                for (int k = 0; k < sd; k++) {
                    double e = r.nextGaussian();
                    float otherValue = (float) (shortcutMean[other][k] + e);
                    if (independent != null) {
                        x[i * D + d + k] = (float) (shortcutMean[cls][k] + e);
                        independent[i * sd + k] = otherValue;
                    } else {
                        x[i * D + d + k] = otherValue;
                    }
                }
                y[i] = cls;
            }
        }

        /** The class with the largest posterior under the true mixture (equal weights) given the signal of point i of x. */
        int bayesClass(float[] x, int i) {
            int d = c.signalDim(), D = c.inputDim(), best = 0;
            double bestLog = Double.NEGATIVE_INFINITY;
            for (int cls = 0; cls < c.classes(); cls++) {
                // log sum_m exp(logDensity_m), accumulated stably
                double max = Double.NEGATIVE_INFINITY;
                double[] ld = new double[c.clustersPerClass()];
                for (int q = 0; q < ld.length; q++) {
                    int m = cls * c.clustersPerClass() + q;
                    double quad = 0, logDet = 0;
                    for (int k = 0; k < d; k++) { // z_k = (R^T (x - centre))_k / s_k
                        double v = 0;
                        for (int row = 0; row < d; row++) v += rot[m][row][k] * (x[i * D + row] - centre[m][row]);
                        v /= scale[m][k];
                        quad += v * v;
                        logDet += StrictMath.log(scale[m][k]);
                    }
                    ld[q] = -0.5 * quad - logDet;
                    max = Math.max(max, ld[q]);
                }
                double s = 0;
                for (double v : ld) s += StrictMath.exp(v - max);
                double logP = max + StrictMath.log(s);
                if (logP > bestLog) {
                    bestLog = logP;
                    best = cls;
                }
            }
            return best;
        }
    }

    /** A uniformly random orthogonal matrix (Gram-Schmidt on a Gaussian matrix, columns). */
    private static double[][] randomRotation(ZooRandom r, int d) {
        double[][] q = new double[d][d]; // q[row][col]
        for (int col = 0; col < d; col++) {
            double[] v = new double[d];
            double norm;
            do {
                for (int k = 0; k < d; k++) v[k] = r.nextGaussian();
                for (int p = 0; p < col; p++) {
                    double dot = 0;
                    for (int k = 0; k < d; k++) dot += q[k][p] * v[k];
                    for (int k = 0; k < d; k++) v[k] -= dot * q[k][p];
                }
                double ss = 0;
                for (int k = 0; k < d; k++) ss += v[k] * v[k];
                norm = StrictMath.sqrt(ss);
            } while (norm < 1e-6);
            for (int k = 0; k < d; k++) q[k][col] = v[k] / norm;
        }
        return q;
    }

    public Config config() {
        return config;
    }

    /** The network's input width: {@link #signalDim()} signal inputs, then {@link #shortcutDim()} shortcut inputs. */
    public int inputDim() {
        return config.inputDim();
    }

    public int signalDim() {
        return config.signalDim();
    }

    public int shortcutDim() {
        return config.shortcutDim();
    }

    public int classes() {
        return config.classes();
    }

    public int trainSize() {
        return trainY.length;
    }

    public int testSize() {
        return testY.length;
    }

    // Package-private views (not copies) for the trainer, which only reads them.
    float[] trainXView() {
        return trainX;
    }

    float[] trainShortcutIndependentView() {
        return trainShortcutIndependent;
    }

    int[] trainYView() {
        return trainY;
    }

    float[] testXView() {
        return testX;
    }

    int[] testYView() {
        return testY;
    }

    /** Training inputs with the aligned shortcut, [trainSize, inputDim] row-major (a copy). */
    public float[] trainX() {
        return trainX.clone();
    }

    /** The independent shortcut of every training point, [trainSize, shortcutDim] row-major (a copy). */
    public float[] trainShortcutIndependent() {
        return trainShortcutIndependent.clone();
    }

    public int[] trainY() {
        return trainY.clone();
    }

    public float[] testX() {
        return testX.clone();
    }

    public int[] testY() {
        return testY.clone();
    }

    /** Accuracy of the Bayes-optimal classifier (it knows the mixture) on the test set: the ceiling (the shortcut is no help there). */
    public double bayesTestAccuracy() {
        return bayesTestAccuracy;
    }

    /** The accuracy of always guessing the most frequent test class. */
    public double majorityTestAccuracy() {
        int[] count = new int[classes()];
        for (int y : testY) count[y]++;
        int max = 0;
        for (int n : count) max = Math.max(max, n);
        return (double) max / testY.length;
    }

    /** A human-readable description, also written into the zoo file's metadata. */
    public String describe() {
        return String.format(Locale.ROOT, "%s: %d-D mixture of %d rotated anisotropic Gaussian blobs (%d per class, %d classes), then "
                        + "%d shortcut inputs (per-class means, spuriously aligned with the label in training data only); "
                        + "Bayes test accuracy %.4f, majority class %.4f", config.key(), signalDim(),
                classes() * config.clustersPerClass(), config.clustersPerClass(), classes(), shortcutDim(), bayesTestAccuracy,
                majorityTestAccuracy());
    }

    @Override
    public String toString() {
        return "SyntheticTask[" + config.key() + "]";
    }
}
