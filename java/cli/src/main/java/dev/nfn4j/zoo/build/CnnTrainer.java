package dev.nfn4j.zoo.build;

import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.ZooRandom;
import dev.nfn4j.zoo.build.CnnHyperparameters.Activation;
import dev.nfn4j.zoo.build.CnnHyperparameters.Optimizer;
import java.util.Arrays;

import static dev.nfn4j.zoo.SmallCnn.CONV_LAYERS;
import static dev.nfn4j.zoo.SmallCnn.FILTERS;
import static dev.nfn4j.zoo.SmallCnn.KERNEL;
import static dev.nfn4j.zoo.SmallCnn.STRIDE;

/**
 * Trains one network of the Small CNN Zoo architecture (Unterthiner et al. 2020) on a backend's
 * kernels: three 3x3 conv layers of 16 filters with stride 2 and TensorFlow "same" padding (28x28 ->
 * 14x14 -> 7x7 -> 4x4), an activation (and dropout) after each, global average pooling, and a
 * dense layer to 10 classes; softmax cross-entropy. 4,970 parameters for one input channel.
 *
 * <p>Parameters are in TensorFlow's layout, so a checkpoint is the parameter array as it is: conv
 * kernels {@code (kh, kw, in, out)}, the dense kernel {@code (in, out)}, each kernel followed by
 * its bias (the order of the Small CNN Zoo's layout.csv). Activations are {@code [c][y][x][b]},
 * the batch innermost, so that a conv layer is im2col (rows (ky, kx, c): exactly the kernel's
 * leading dims; columns (y, x, b); every tap a run of the batch) then one product of the backend
 * with the transposed kernel ({@link LayerProduct}: its channel mix on the trainer's arrays), and
 * its backward one more product and a col2im; the dense layer is a product too.
 *
 * <p>Inputs are standardised with Fashion-MNIST's pixel mean and deviation. Dropout follows
 * every conv layer's activation.
 *
 * <p>Deterministic: the result depends only on the data, the hyperparameters, the batch size,
 * the checkpoint steps, the seed and the backend the products run on
 * ({@link LayerProduct#backendName}: its kernels give the same bits for any thread count), never
 * on the thread that runs it. The
 * rest is IEEE float arithmetic in a fixed order, {@code sqrt}, {@link StrictMath} and a rational
 * tanh ({@link CnnActivations}).
 */
public final class CnnTrainer {
    static final float MOMENTUM = 0.9f, BETA1 = 0.9f, BETA2 = 0.999f, RHO = 0.9f, EPS = 1e-7f;
    /** Fashion-MNIST's pixel mean and standard deviation (on [0, 1]): inputs are standardised with them. */
    static final float PIXEL_MEAN = 0.2860f, PIXEL_STD = 0.3530f;
    /** Images per forward pass when measuring accuracy. */
    static final int EVAL_CHUNK = 250;

    /**
     * One trained network.
     *
     * @param params        per checkpoint, the parameters in TensorFlow layout-file order ({@link #numParams})
     * @param testAccuracy  per checkpoint, accuracy on the test images
     * @param testLoss      per checkpoint, mean cross-entropy on the test images
     * @param trainAccuracy per checkpoint, mean accuracy of the training batches since the previous
     *                      checkpoint (dropout on, before each update); at step 0 the first batch's
     *                      accuracy without dropout
     * @param trainLoss     likewise the mean cross-entropy (without the L2 term)
     * @param divergedAt    the step whose update made a parameter or the loss non-finite (training
     *                      stopped there, keeping the last finite parameters), or -1
     */
    public record Result(float[][] params, float[] testAccuracy, float[] testLoss, float[] trainAccuracy, float[] trainLoss, int divergedAt) {
    }

    private final int classes;
    private final Activation act;
    private final float dropout;
    private final int cap; // images per buffer
    // Geometry: level 0 is the input, level l + 1 the output of conv layer l.
    private final int[] h = new int[CONV_LAYERS + 1], w = new int[CONV_LAYERS + 1], c = new int[CONV_LAYERS + 1];
    private final int[] padTop = new int[CONV_LAYERS], padLeft = new int[CONV_LAYERS], kDim = new int[CONV_LAYERS];
    // Parameter offsets: kernels and biases of the 3 conv layers, then the dense layer (index 3).
    private final int[] kOff = new int[CONV_LAYERS + 1], bOff = new int[CONV_LAYERS + 1];
    private final int numParams;
    final float[] p, g;
    // Activations for cap images, [c][y][x][b]: x0 the input, a[l] conv layer l's output after the
    // activation, y[l] after dropout (the same array without dropout); col[l] its im2col input [K][y][x][b].
    private final float[] x0;
    private final float[][] a, y, col, mask;
    // The head, batch last: pooled [16][b], logitsT [classes][b]; logits [b][classes] for the loss.
    private final float[] pooled, logitsT, logits, dLogits, dLogitsT, dPooled, denseT;
    private final float[][] dY, kernelT; // kernelT[l]: conv l's kernel as [16][K], one filter per row
    private final float[] dCol, dKernelT;
    private final LayerProduct[] product; // conv layers 0..2, then the dense layer

    /**
     * A trainer for images of {@code rows x cols} with {@code inChannels} channels (Fashion-MNIST:
     * 28 x 28 x 1) and {@code classes} outputs, with buffers for batches of up to {@code cap}.
     */
    CnnTrainer(int rows, int cols, int inChannels, int classes, Activation act, float dropout, int cap) {
        this.classes = classes;
        this.act = act;
        this.dropout = dropout;
        this.cap = cap;
        h[0] = rows;
        w[0] = cols;
        c[0] = inChannels;
        int off = 0;
        for (int l = 0; l < CONV_LAYERS; l++) {
            h[l + 1] = (h[l] + STRIDE - 1) / STRIDE; // TensorFlow "same": ceil(in / stride)
            w[l + 1] = (w[l] + STRIDE - 1) / STRIDE;
            c[l + 1] = FILTERS;
            padTop[l] = Math.max((h[l + 1] - 1) * STRIDE + KERNEL - h[l], 0) / 2; // the odd pixel goes after
            padLeft[l] = Math.max((w[l + 1] - 1) * STRIDE + KERNEL - w[l], 0) / 2;
            kDim[l] = KERNEL * KERNEL * c[l];
            kOff[l] = off;
            off += kDim[l] * FILTERS;
            bOff[l] = off;
            off += FILTERS;
        }
        kOff[CONV_LAYERS] = off;
        off += FILTERS * classes;
        bOff[CONV_LAYERS] = off;
        off += classes;
        numParams = off;
        p = new float[off];
        g = new float[off];
        x0 = new float[cap * h[0] * w[0] * c[0]];
        a = new float[CONV_LAYERS][];
        y = new float[CONV_LAYERS][];
        col = new float[CONV_LAYERS][];
        mask = new float[CONV_LAYERS][];
        dY = new float[CONV_LAYERS][];
        kernelT = new float[CONV_LAYERS][];
        int maxCol = 0, maxK = 0;
        for (int l = 0; l < CONV_LAYERS; l++) {
            int m = cap * h[l + 1] * w[l + 1];
            a[l] = new float[m * FILTERS];
            y[l] = dropout > 0 ? new float[m * FILTERS] : a[l];
            mask[l] = dropout > 0 ? new float[m * FILTERS] : null;
            dY[l] = new float[m * FILTERS];
            col[l] = new float[m * kDim[l]];
            kernelT[l] = new float[FILTERS * kDim[l]];
            maxCol = Math.max(maxCol, m * kDim[l]);
            maxK = Math.max(maxK, kDim[l]);
        }
        dCol = new float[maxCol];
        dKernelT = new float[FILTERS * Math.max(maxK, classes)];
        pooled = new float[cap * FILTERS];
        dPooled = new float[cap * FILTERS];
        logits = new float[cap * classes];
        logitsT = new float[cap * classes];
        dLogits = new float[cap * classes];
        dLogitsT = new float[cap * classes];
        denseT = new float[classes * FILTERS];
        product = new LayerProduct[CONV_LAYERS + 1];
        for (int l = 0; l < CONV_LAYERS; l++) product[l] = new LayerProduct(kDim[l], FILTERS);
        product[CONV_LAYERS] = new LayerProduct(FILTERS, classes);
    }

    /** Parameters of the architecture for this input. */
    public static int numParams(int inChannels, int classes) {
        int n = 0, in = inChannels;
        for (int l = 0; l < CONV_LAYERS; l++, in = FILTERS) n += KERNEL * KERNEL * in * FILTERS + FILTERS;
        return n + FILTERS * classes + classes;
    }

    /**
     * Trains one network on {@code data.train()} and measures it on the first {@code testImages}
     * test images at each step of {@code checkpoints} (ascending, >= 0). The seed drives two
     * independent streams: initialisation, and data (training subset, batch order, dropout).
     */
    public static Result train(ImageData.Split data, CnnHyperparameters hp, int batchSize, int[] checkpoints, int testImages, long seed) {
        ImageData tr = data.train();
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        if (testImages < 1 || testImages > data.test().count())
            throw new IllegalArgumentException("test images must be in [1, " + data.test().count() + "], got " + testImages);
        for (int k = 0; k < checkpoints.length; k++)
            if (checkpoints[k] < 0 || (k > 0 && checkpoints[k] <= checkpoints[k - 1]))
                throw new IllegalArgumentException("checkpoint steps must be ascending and >= 0, got " + Arrays.toString(checkpoints));
        CnnTrainer t = new CnnTrainer(tr.rows(), tr.cols(), 1, ImageData.CLASSES, hp.activation(), hp.dropout(), Math.max(batchSize, EVAL_CHUNK));
        return t.run(data, hp, batchSize, checkpoints, testImages, new ZooRandom(ZooRandom.seedFor(seed, 1)), new ZooRandom(ZooRandom.seedFor(seed, 2)));
    }

    /**
     * As {@link #train}, but from the parameters {@code start} (not changed) and, when {@code keep}
     * is not null, under that mask (one value per parameter, 0 prunes and anything else keeps): the start is
     * masked and each gradient is masked before the update, so with a zero-initialised optimizer
     * state a pruned parameter stays exactly zero. The data stream is the seed's, as in train.
     */
    static Result trainFrom(ImageData.Split data, CnnHyperparameters hp, int batchSize, int[] checkpoints, int testImages, long seed,
                            float[] start, float[] keep) {
        ImageData tr = data.train();
        CnnTrainer t = new CnnTrainer(tr.rows(), tr.cols(), 1, ImageData.CLASSES, hp.activation(), hp.dropout(), Math.max(batchSize, EVAL_CHUNK));
        if (start.length != t.numParams || (keep != null && keep.length != t.numParams))
            throw new IllegalArgumentException("expected " + t.numParams + " parameters, got " + start.length + (keep == null ? "" : " and a mask of " + keep.length));
        if (testImages < 1 || testImages > data.test().count())
            throw new IllegalArgumentException("test images must be in [1, " + data.test().count() + "], got " + testImages);
        t.start = start;
        t.keep = keep;
        return t.run(data, hp, batchSize, checkpoints, testImages, new ZooRandom(ZooRandom.seedFor(seed, 1)), new ZooRandom(ZooRandom.seedFor(seed, 2)));
    }

    private float[] start, keep; // trainFrom's starting point and mask (null: init from hp, no mask)

    private Result run(ImageData.Split data, CnnHyperparameters hp, int batch, int[] checkpoints, int testImages, ZooRandom initRng, ZooRandom dataRng) {
        if (start == null) init(hp, initRng);
        else for (int q = 0; q < numParams; q++) p[q] = keep != null && keep[q] == 0f ? 0f : start[q]; // +0, not -0
        ImageData tr = data.train(), te = data.test();
        int[] perm = new int[tr.count()];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        dataRng.shuffle(perm);
        int m = Math.max(1, (int) Math.round((double) hp.trainFraction() * perm.length));
        int[] subset = Arrays.copyOf(perm, m), order = Arrays.copyOf(perm, m), batchIdx = new int[batch];
        int[] testIdx = new int[testImages];
        for (int i = 0; i < testImages; i++) testIdx[i] = i;

        int C = checkpoints.length;
        float[][] params = new float[C][];
        float[] testAcc = new float[C], testLoss = new float[C], trainAcc = new float[C], trainLoss = new float[C];
        float[] m1 = new float[numParams];
        float[] m2 = hp.optimizer() == Optimizer.ADAM ? new float[numParams] : null;
        float[] backup = new float[numParams];
        double beta1Pow = 1, beta2Pow = 1, lossSum = 0, correctSum = 0;
        int pos = 0, batches = 0, divergedAt = -1, step = 0;
        for (int k = 0; k < C; k++) {
            for (; step < checkpoints[k] && divergedAt < 0; step++) {
                for (int b = 0; b < batch; b++) { // the next images of an endless sequence of shuffled epochs of the subset
                    if (pos == m) {
                        dataRng.shuffle(order);
                        pos = 0;
                    }
                    batchIdx[b] = order[pos++];
                }
                load(tr, batchIdx, batch);
                forward(batch, dataRng);
                double[] lc = lossAndGrad(batch, tr, batchIdx, true);
                backward(batch);
                double l2Loss = addL2(hp.l2());
                if (keep != null) for (int q = 0; q < numParams; q++) if (keep[q] == 0f) g[q] = 0f;
                if (!Double.isFinite(lc[0] + l2Loss)) {
                    divergedAt = step;
                    break;
                }
                lossSum += lc[0] / batch;
                correctSum += lc[1] / batch;
                batches++;
                System.arraycopy(p, 0, backup, 0, numParams);
                float lr = hp.learningRate();
                switch (hp.optimizer()) {
                    case SGD -> { // Keras' momentum form: v = 0.9 v - lr g; p += v
                        for (int q = 0; q < numParams; q++) {
                            m1[q] = MOMENTUM * m1[q] - lr * g[q];
                            p[q] += m1[q];
                        }
                    }
                    case ADAM -> { // Keras: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)
                        beta1Pow *= BETA1;
                        beta2Pow *= BETA2;
                        float lrT = (float) (lr * Math.sqrt(1 - beta2Pow) / (1 - beta1Pow));
                        for (int q = 0; q < numParams; q++) {
                            m1[q] = BETA1 * m1[q] + (1 - BETA1) * g[q];
                            m2[q] = BETA2 * m2[q] + (1 - BETA2) * g[q] * g[q];
                            p[q] -= lrT * m1[q] / ((float) Math.sqrt(m2[q]) + EPS);
                        }
                    }
                    case RMSPROP -> {
                        for (int q = 0; q < numParams; q++) {
                            m1[q] = RHO * m1[q] + (1 - RHO) * g[q] * g[q];
                            p[q] -= lr * g[q] / ((float) Math.sqrt(m1[q]) + EPS);
                        }
                    }
                }
                for (float v : p)
                    if (!Float.isFinite(v)) {
                        System.arraycopy(backup, 0, p, 0, numParams);
                        divergedAt = step;
                        break;
                    }
            }
            step = checkpoints[k]; // after a divergence the parameters stay frozen
            params[k] = p.clone();
            double[] test = evaluate(te, testIdx);
            testAcc[k] = (float) test[0];
            testLoss[k] = finiteLoss(test[1]);
            if (checkpoints[k] == 0) { // nothing trained yet: the first batch, as evaluated
                int[] first = Arrays.copyOf(order, Math.min(batch, m));
                double[] tr0 = evaluate(tr, first);
                trainAcc[k] = (float) tr0[0];
                trainLoss[k] = finiteLoss(tr0[1]);
            } else {
                trainAcc[k] = batches == 0 ? Float.NaN : (float) (correctSum / batches);
                trainLoss[k] = batches == 0 ? Float.NaN : finiteLoss(lossSum / batches);
            }
            lossSum = correctSum = batches = 0;
        }
        return new Result(params, testAcc, testLoss, trainAcc, trainLoss, divergedAt);
    }

    private static float finiteLoss(double loss) {
        return Double.isFinite(loss) && loss < Float.MAX_VALUE ? (float) loss : Float.MAX_VALUE;
    }

    /** The kernels drawn from hp's distribution and scale, zero biases. */
    private void init(CnnHyperparameters hp, ZooRandom r) {
        Arrays.fill(p, 0f);
        float s = hp.initStd();
        for (int l = 0; l <= CONV_LAYERS; l++) {
            int rows = l < CONV_LAYERS ? kDim[l] : FILTERS, cols = l < CONV_LAYERS ? FILTERS : classes, o = kOff[l];
            switch (hp.init()) {
                case RANDOM_NORMAL -> {
                    for (int q = 0; q < rows * cols; q++) p[o + q] = (float) (s * r.nextGaussian());
                }
                case TRUNCATED_NORMAL -> { // TensorFlow's: redraw outside 2 standard deviations
                    for (int q = 0; q < rows * cols; q++) {
                        double v;
                        do v = r.nextGaussian(); while (Math.abs(v) > 2);
                        p[o + q] = (float) (s * v);
                    }
                }
                case RANDOM_UNIFORM -> { // unit variance times the scale
                    for (int q = 0; q < rows * cols; q++) p[o + q] = (float) (s * r.uniform(-Math.sqrt(3), Math.sqrt(3)));
                }
                case ORTHOGONAL -> orthogonal(rows, cols, (float) (s * Math.sqrt(Math.max(rows, cols))), r, p, o); // entries of std s
            }
        }
    }

    /**
     * TensorFlow's Orthogonal initializer for a kernel flattened to rows x cols: orthonormal
     * columns (or rows, when there are fewer rows than columns) from Gram-Schmidt on a Gaussian
     * matrix, times the gain.
     */
    static void orthogonal(int rows, int cols, float gain, ZooRandom r, float[] out, int off) {
        boolean byCols = rows >= cols;
        int n = byCols ? cols : rows, len = byCols ? rows : cols; // n orthonormal vectors of length len
        double[][] v = new double[n][len];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < len; j++) v[i][j] = r.nextGaussian();
            for (int k = 0; k < i; k++) { // modified Gram-Schmidt
                double d = 0;
                for (int j = 0; j < len; j++) d += v[i][j] * v[k][j];
                for (int j = 0; j < len; j++) v[i][j] -= d * v[k][j];
            }
            double norm = 0;
            for (int j = 0; j < len; j++) norm += v[i][j] * v[i][j];
            norm = Math.sqrt(norm);
            for (int j = 0; j < len; j++) v[i][j] /= norm;
        }
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) out[off + i * cols + j] = (float) (gain * (byCols ? v[j][i] : v[i][j]));
    }

    /** x0 = images idx[0 .. n) standardised, [1][y][x][b]. */
    private void load(ImageData d, int[] idx, int n) {
        int px = d.pixels();
        byte[] img = d.images();
        for (int q = 0; q < px; q++)
            for (int b = 0; b < n; b++) x0[q * n + b] = ((img[idx[b] * px + q] & 0xff) / 255f - PIXEL_MEAN) / PIXEL_STD;
    }

    /** Forward through the n images in x0 to the logits; dropout masks drawn from {@code rng} when training (rng != null). */
    private void forward(int n, ZooRandom rng) {
        for (int l = 0; l < CONV_LAYERS; l++) {
            float[] in = l == 0 ? x0 : y[l - 1];
            int positions = n * h[l + 1] * w[l + 1], K = kDim[l], len = positions * FILTERS;
            im2col(l, in, n);
            transpose(p, kOff[l], K, FILTERS, kernelT[l]);
            float[] z = a[l];
            product[l].forward(positions, col[l], kernelT[l], p, bOff[l], z);
            activate(z, len);
            if (dropout > 0) {
                float[] mk = mask[l], out = y[l];
                if (rng != null) {
                    // Four 16-bit uniforms per 64-bit draw: the masks cost as much as a conv layer otherwise.
                    float keep = 1f / (1f - dropout);
                    int threshold = (int) (dropout * 65536);
                    // len is a multiple of FILTERS (16), so of 4. Branch-free: keep * (1 + sign(u - threshold)),
                    // 0 or keep exactly as the comparison gave them (a random branch mispredicted half the time).
                    for (int q = 0; q < len; q += 4) {
                        long bits = rng.nextLong();
                        for (int j = 0; j < 4; j++, bits >>>= 16) mk[q + j] = keep * (1 + (((int) (bits & 0xffff) - threshold) >> 31));
                    }
                    for (int q = 0; q < len; q++) out[q] = z[q] * mk[q];
                } else {
                    System.arraycopy(z, 0, out, 0, len);
                }
            }
        }
        // Global average pooling, then the dense layer.
        int S = h[CONV_LAYERS] * w[CONV_LAYERS];
        float[] last = y[CONV_LAYERS - 1];
        Arrays.fill(pooled, 0, FILTERS * n, 0f);
        for (int f = 0; f < FILTERS; f++)
            for (int s = 0; s < S; s++)
                for (int b = 0, at = (f * S + s) * n; b < n; b++) pooled[f * n + b] += last[at + b];
        for (int q = 0; q < FILTERS * n; q++) pooled[q] /= S;
        transpose(p, kOff[CONV_LAYERS], FILTERS, classes, denseT);
        product[CONV_LAYERS].forward(n, pooled, denseT, p, bOff[CONV_LAYERS], logitsT);
        transpose(logitsT, 0, classes, n, logits);
    }

    /** col[l][(ky, kx, ci)][oy][ox][b] = in[ci][oy * 2 - padTop + ky][ox * 2 - padLeft + kx][b], zero outside the image. */
    private void im2col(int l, float[] in, int n) {
        taps(l, in, col[l], n, false);
    }

    /** The adjoint of {@link #im2col}: dIn[ci][iy][ix][b] = sum of dCol over the taps that read that pixel. */
    private void col2im(int l, float[] dIn, int n) {
        Arrays.fill(dIn, 0, n * h[l] * w[l] * c[l], 0f);
        taps(l, dIn, dCol, n, true);
    }

    /**
     * Visits every (tap, output pixel) of conv layer l: copies the image's batch run to the
     * columns, or (adjoint) adds the columns' run into the image.
     */
    private void taps(int l, float[] image, float[] cols, int n, boolean adjoint) {
        int H = h[l], W = w[l], C = c[l], Ho = h[l + 1], Wo = w[l + 1];
        for (int ky = 0; ky < KERNEL; ky++)
            for (int kx = 0; kx < KERNEL; kx++)
                for (int ci = 0; ci < C; ci++)
                    for (int oy = 0; oy < Ho; oy++)
                        for (int ox = 0; ox < Wo; ox++) {
                            int iy = oy * STRIDE - padTop[l] + ky, ix = ox * STRIDE - padLeft[l] + kx;
                            int at = ((((ky * KERNEL + kx) * C + ci) * Ho + oy) * Wo + ox) * n, px = ((ci * H + iy) * W + ix) * n;
                            boolean inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
                            if (adjoint) {
                                if (inside) for (int b = 0; b < n; b++) image[px + b] += cols[at + b];
                            } else if (inside) {
                                System.arraycopy(image, px, cols, at, n);
                            } else {
                                Arrays.fill(cols, at, at + n, 0f);
                            }
                        }
    }

    private void activate(float[] z, int len) {
        CnnActivations.apply(act, z, len, CnnActivations.VECTOR);
    }

    private void activateBackward(float[] aOut, float[] d, int len) {
        CnnActivations.backward(act, aOut, d, len);
    }

    /**
     * Softmax cross-entropy of the n logits against the labels of images idx; when {@code grad},
     * dLogits = (softmax - onehot) / n. Returns {sum of losses, correct count}.
     */
    private double[] lossAndGrad(int n, ImageData d, int[] idx, boolean grad) {
        double loss = 0;
        int correct = 0;
        double[] e = new double[classes];
        for (int b = 0; b < n; b++) {
            int o = b * classes, label = d.label(idx[b]), arg = 0;
            float max = logits[o];
            for (int k = 1; k < classes; k++)
                if (logits[o + k] > max) {
                    max = logits[o + k];
                    arg = k;
                }
            if (arg == label) correct++;
            double sum = 0;
            for (int k = 0; k < classes; k++) sum += (e[k] = StrictMath.exp((double) logits[o + k] - max));
            loss += max + StrictMath.log(sum) - logits[o + label];
            if (grad) for (int k = 0; k < classes; k++) dLogits[o + k] = (float) ((e[k] / sum - (k == label ? 1 : 0)) / n);
        }
        return new double[]{loss, correct};
    }

    /** From dLogits, the gradient g of every parameter (L2 not included). */
    private void backward(int n) {
        int L = CONV_LAYERS, S = h[L] * w[L];
        // Dense: dW = pooled dLogits^T, db = sum dLogits, dPooled = W dLogits (batch last).
        transpose(dLogits, 0, n, classes, dLogitsT);
        product[L].backward(n, pooled, denseT, dLogitsT, dPooled, dKernelT, g, bOff[L]);
        setKernelGradient(L, FILTERS, classes);
        // Global average pooling spreads each gradient evenly over the positions.
        float[] d = dY[L - 1];
        for (int f = 0; f < FILTERS; f++)
            for (int s = 0; s < S; s++)
                for (int b = 0, at = (f * S + s) * n; b < n; b++) d[at + b] = dPooled[f * n + b] / S;
        for (int l = L - 1; l >= 0; l--) {
            int positions = n * h[l + 1] * w[l + 1], K = kDim[l], len = positions * FILTERS;
            float[] dz = dY[l];
            if (dropout > 0) for (int q = 0; q < len; q++) dz[q] *= mask[l][q];
            activateBackward(a[l], dz, len);
            product[l].backward(positions, col[l], kernelT[l], dz, l == 0 ? null : dCol, dKernelT, g, bOff[l]);
            setKernelGradient(l, K, FILTERS);
            if (l > 0) col2im(l, dY[l - 1], n);
        }
    }

    /** Layer l's kernel gradient (rows x cols, TensorFlow's layout) from dKernelT [cols][rows]. */
    private void setKernelGradient(int l, int rows, int cols) {
        transpose(dKernelT, 0, cols, rows, g, kOff[l]);
    }

    /** Adds the L2 gradient 2 l2 W to every kernel's gradient; returns the penalty l2 sum W^2. */
    private double addL2(float l2) {
        double sum = 0;
        for (int l = 0; l <= CONV_LAYERS; l++)
            for (int q = kOff[l]; q < bOff[l]; q++) {
                sum += (double) p[q] * p[q];
                g[q] += 2 * l2 * p[q];
            }
        return l2 * sum;
    }

    /** dst [cols][rows] = the transpose of src[off ..] [rows][cols]. */
    private static void transpose(float[] src, int off, int rows, int cols, float[] dst) {
        transpose(src, off, rows, cols, dst, 0);
    }

    /** dst[dstOff ..] [cols][rows] = the transpose of src[off ..] [rows][cols]. */
    private static void transpose(float[] src, int off, int rows, int cols, float[] dst, int dstOff) {
        for (int r = 0; r < rows; r++) for (int k = 0; k < cols; k++) dst[dstOff + k * rows + r] = src[off + r * cols + k];
    }

    /** {accuracy, mean loss} on images idx of d, in chunks, without dropout. */
    private double[] evaluate(ImageData d, int[] idx) {
        double loss = 0, correct = 0;
        for (int start = 0; start < idx.length; start += cap) {
            int n = Math.min(cap, idx.length - start);
            int[] chunk = Arrays.copyOfRange(idx, start, start + n);
            load(d, chunk, n);
            forward(n, null);
            double[] lc = lossAndGrad(n, d, chunk, false);
            loss += lc[0];
            correct += lc[1];
        }
        return new double[]{correct / idx.length, loss / idx.length};
    }

    // ---- for tests ----

    int numParams() {
        return numParams;
    }

    /**
     * The mean cross-entropy plus {@code l2 sum W^2} of images idx of d under the parameters in
     * {@link #p} (no dropout), and its gradient into {@link #g}.
     */
    double lossAndGradient(ImageData d, int[] idx, float l2) {
        load(d, idx, idx.length);
        forward(idx.length, null);
        double loss = lossAndGrad(idx.length, d, idx, true)[0] / idx.length;
        backward(idx.length);
        return loss + addL2(l2);
    }

    /** Conv layer l's output (after the activation) for images idx of d: [n][h][w][16]. */
    float[] convOutput(ImageData d, int[] idx, int l) {
        load(d, idx, idx.length);
        forward(idx.length, null);
        int n = idx.length, pixels = h[l + 1] * w[l + 1];
        float[] nhwc = new float[n * pixels * FILTERS];
        for (int f = 0; f < FILTERS; f++)
            for (int q = 0; q < pixels; q++)
                for (int b = 0; b < n; b++) nhwc[(b * pixels + q) * FILTERS + f] = a[l][(f * pixels + q) * n + b];
        return nhwc;
    }

    /** The logits for images idx of d: [n][classes]. */
    float[] logits(ImageData d, int[] idx) {
        load(d, idx, idx.length);
        forward(idx.length, null);
        return Arrays.copyOf(logits, idx.length * classes);
    }
}
