package dev.nfn4j.zoo;

import java.util.Locale;

/**
 * A built-in classification task for the generated zoo, made deterministically from a seed:
 * a mixture of rotated, anisotropic Gaussian blobs, several per class, so classes are not convex
 * and a linear model falls well short of what a small MLP can reach.
 *
 * <p>Generation: for each of the {@code classes * clustersPerClass} clusters (cluster c belongs to
 * class {@code c / clustersPerClass}), a centre drawn from {@code N(0, centerSpread^2 I)}, a random
 * rotation R (Gram-Schmidt on a Gaussian matrix) and axis scales s drawn log-uniformly in
 * {@code [clusterScale / 2, clusterScale * 2)}. A point: a class uniformly, one of its clusters
 * uniformly, then {@code x = centre + R diag(s) z} with {@code z ~ N(0, I)}. Train and test sets are
 * drawn from one stream (train first). Because the generative model is known, {@link #bayesTestAccuracy()}
 * gives the best accuracy any classifier can expect on the test set.
 */
public final class SyntheticTask {
    /** Everything that defines the task; {@link #key()} is part of the zoo's cache key. */
    public record Config(long seed, int inputDim, int classes, int clustersPerClass, float centerSpread, float clusterScale,
                         int trainSize, int testSize) {
        public Config {
            if (inputDim < 1 || classes < 2 || clustersPerClass < 1)
                throw new IllegalArgumentException("need inputDim >= 1, classes >= 2, clustersPerClass >= 1; got " + inputDim + ", "
                        + classes + ", " + clustersPerClass);
            if (!(centerSpread > 0) || !(clusterScale > 0) || !Float.isFinite(centerSpread) || !Float.isFinite(clusterScale))
                throw new IllegalArgumentException("centerSpread and clusterScale must be positive and finite, got " + centerSpread
                        + ", " + clusterScale);
            if (trainSize < 1 || testSize < 1)
                throw new IllegalArgumentException("trainSize and testSize must be >= 1, got " + trainSize + ", " + testSize);
            if ((long) trainSize * inputDim > Integer.MAX_VALUE - 8 || (long) testSize * inputDim > Integer.MAX_VALUE - 8)
                throw new IllegalArgumentException("data set too large");
        }

        /** The default zoo's task: 8 inputs, 4 classes of 5 blobs each, 4,000 training and 2,000 test points. */
        public static Config defaults() {
            return new Config(0x7a5cL, 8, 4, 5, 1.0f, 0.5f, 4000, 2000);
        }

        public Config withSizes(int train, int test) {
            return new Config(seed, inputDim, classes, clustersPerClass, centerSpread, clusterScale, train, test);
        }

        /** A canonical description holding every field (floats by their exact bits as hex). */
        public String key() {
            return String.format(Locale.ROOT, "gaussian_blobs(seed=%d,inputs=%d,classes=%d,blobs_per_class=%d,center_spread=%s,blob_scale=%s,"
                            + "train=%d,test=%d)", seed, inputDim, classes, clustersPerClass, Float.toHexString(centerSpread),
                    Float.toHexString(clusterScale), trainSize, testSize);
        }
    }

    private final Config config;
    private final float[] trainX, testX; // [n, inputDim] row-major
    private final int[] trainY, testY;
    private final double bayesTestAccuracy;

    private SyntheticTask(Config config, float[] trainX, int[] trainY, float[] testX, int[] testY, double bayes) {
        this.config = config;
        this.trainX = trainX;
        this.trainY = trainY;
        this.testX = testX;
        this.testY = testY;
        this.bayesTestAccuracy = bayes;
    }

    public static SyntheticTask generate(Config c) {
        int d = c.inputDim(), nc = c.classes() * c.clustersPerClass();
        ZooRandom r = new ZooRandom(ZooRandom.seedFor(c.seed(), 0x7a5c));
        double[][] centre = new double[nc][d];
        double[][][] rot = new double[nc][][];
        double[][] scale = new double[nc][d];
        for (int m = 0; m < nc; m++) {
            for (int k = 0; k < d; k++) centre[m][k] = c.centerSpread() * r.nextGaussian();
            rot[m] = randomRotation(r, d);
            for (int k = 0; k < d; k++) scale[m][k] = r.logUniform(c.clusterScale() / 2.0, c.clusterScale() * 2.0);
        }
        float[] trainX = new float[c.trainSize() * d], testX = new float[c.testSize() * d];
        int[] trainY = new int[c.trainSize()], testY = new int[c.testSize()];
        sample(r, c, centre, rot, scale, trainX, trainY);
        sample(r, c, centre, rot, scale, testX, testY);
        int correct = 0;
        for (int i = 0; i < testY.length; i++)
            if (bayesClass(c, centre, rot, scale, testX, i) == testY[i]) correct++;
        return new SyntheticTask(c, trainX, trainY, testX, testY, (double) correct / testY.length);
    }

    private static void sample(ZooRandom r, Config c, double[][] centre, double[][][] rot, double[][] scale, float[] x, int[] y) {
        int d = c.inputDim();
        double[] z = new double[d];
        for (int i = 0; i < y.length; i++) {
            int cls = r.nextInt(c.classes());
            int m = cls * c.clustersPerClass() + r.nextInt(c.clustersPerClass());
            for (int k = 0; k < d; k++) z[k] = scale[m][k] * r.nextGaussian();
            for (int row = 0; row < d; row++) {
                double v = centre[m][row];
                for (int k = 0; k < d; k++) v += rot[m][row][k] * z[k];
                x[i * d + row] = (float) v;
            }
            y[i] = cls;
        }
    }

    /** The class with the largest posterior under the true mixture (equal weights), for point i of x. */
    private static int bayesClass(Config c, double[][] centre, double[][][] rot, double[][] scale, float[] x, int i) {
        int d = c.inputDim(), best = 0;
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
                    for (int row = 0; row < d; row++) v += rot[m][row][k] * (x[i * d + row] - centre[m][row]);
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

    public int inputDim() {
        return config.inputDim();
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

    int[] trainYView() {
        return trainY;
    }

    float[] testXView() {
        return testX;
    }

    int[] testYView() {
        return testY;
    }

    /** Training inputs, [trainSize, inputDim] row-major (a copy). */
    public float[] trainX() {
        return trainX.clone();
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

    /** Accuracy of the Bayes-optimal classifier (it knows the mixture) on the test set: the ceiling. */
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
        return String.format(Locale.ROOT, "%s: %d-D mixture of %d rotated anisotropic Gaussian blobs (%d per class, %d classes); "
                        + "Bayes test accuracy %.4f, majority class %.4f", config.key(), inputDim(),
                classes() * config.clustersPerClass(), config.clustersPerClass(), classes(), bayesTestAccuracy, majorityTestAccuracy());
    }

    @Override
    public String toString() {
        return "SyntheticTask[" + config.key() + "]";
    }
}
