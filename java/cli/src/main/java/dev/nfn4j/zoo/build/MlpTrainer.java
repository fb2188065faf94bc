package dev.nfn4j.zoo.build;

import dev.nfn4j.train.SoftmaxCrossEntropy;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.MlpHyperparameters;
import dev.nfn4j.zoo.MlpHyperparameters.Activation;
import dev.nfn4j.zoo.TicketArch;
import dev.nfn4j.zoo.ZooRandom;

import java.util.Arrays;

/**
 * Trains one small dense MLP (softmax cross-entropy) on a {@link SyntheticTask}, or on images
 * from a given initialisation under an optional mask ({@link #trainOnImages}), in plain scalar
 * Java: the zoo's networks have a few thousand parameters, so clarity wins over kernels.
 *
 * <p>All parameters live in one array (as in llm.c), per layer the weight in input-major order
 * {@code wt[k * out + j] = W[j][k]} and then the bias, so that the forward pass and the weight
 * gradient are axpy loops over the output units (which the JIT vectorises) and the optimizers are
 * one loop. {@link Result} returns the weights in PyTorch layout {@code W[out][in]}.
 *
 * <p>Deterministic: the result depends only on the task, the sizes, the hyperparameters and the
 * seed. The code uses only IEEE arithmetic (which Java evaluates the same interpreted, compiled or
 * vectorised), {@code sqrt} (correctly rounded) and {@link StrictMath}.
 */
public final class MlpTrainer {
    /** Global gradient-norm clip: keeps large learning rates finite (they still train badly). */
    public static final float GRAD_CLIP = 10f;
    static final float MOMENTUM = 0.9f, BETA1 = 0.9f, BETA2 = 0.999f, ADAM_EPS = 1e-8f;
    private static final int EVAL_CHUNK = 256;

    /**
     * One trained network.
     *
     * @param weights       per layer, {@code W_i} as {@code [out * in]} row-major (PyTorch layout)
     * @param biases        per layer, {@code b_i} as {@code [out]}
     * @param trainAccuracy accuracy on the network's own training subset, against the (possibly
     *                      noisy) labels it was trained on
     * @param testAccuracy  accuracy on the task's test set
     * @param trainLoss     mean cross-entropy on the training subset (noisy labels, no L2 term);
     *                      Float.MAX_VALUE if it overflows
     * @param diverged      true if training stopped early because a gradient or a parameter
     *                      became non-finite (the weights are then those before that step, so
     *                      they are always finite)
     */
    public record Result(float[][] weights, float[][] biases, float trainAccuracy, float testAccuracy, float trainLoss, boolean diverged) {}

    private final int[] n; // layer sizes n_{-1} .. n_{L-1}
    private final int L;
    private final Activation act;
    private final int[] wOff, bOff;
    private final int numParams;
    private final float[] p, g; // parameters and gradient
    private final float[][] a; // a[0] = input batch, a[l+1] = output of layer l (post-activation; logits for the last)
    private final float[][] d; // d[l] = dLoss / d(pre-activation of layer l)
    private final float[][] wRows; // scratch: W_l in [out][in] order for the backward pass
    private final double[] expScratch;
    private final int cap;

    private MlpTrainer(int[] sizes, Activation act, int cap) {
        this.n = sizes.clone();
        this.L = sizes.length - 1;
        this.act = act;
        this.cap = cap;
        wOff = new int[L];
        bOff = new int[L];
        int off = 0;
        for (int l = 0; l < L; l++) {
            wOff[l] = off;
            off += n[l] * n[l + 1];
            bOff[l] = off;
            off += n[l + 1];
        }
        numParams = off;
        p = new float[off];
        g = new float[off];
        a = new float[L + 1][];
        d = new float[L][];
        for (int l = 0; l <= L; l++) a[l] = new float[cap * n[l]];
        for (int l = 0; l < L; l++) d[l] = new float[cap * n[l + 1]];
        expScratch = new double[n[L]];
        wRows = new float[L][];
        for (int l = 0; l < L; l++) wRows[l] = new float[n[l] * n[l + 1]];
    }

    /**
     * Trains a network with hidden layers {@code hidden} on {@code task} with {@code hp}. The seed
     * drives two independent streams: initialisation, and data (training subset, label noise,
     * batch order).
     */
    public static Result train(SyntheticTask task, int[] hidden, MlpHyperparameters hp, long seed) {
        int[] sizes = new int[hidden.length + 2];
        sizes[0] = task.inputDim();
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[sizes.length - 1] = task.classes();
        for (int s : sizes) if (s < 1) throw new IllegalArgumentException("layer sizes must be positive: " + Arrays.toString(sizes));
        MlpTrainer t = new MlpTrainer(sizes, hp.activation(), Math.max(hp.batchSize(), EVAL_CHUNK));
        return t.run(task, hp, new ZooRandom(ZooRandom.seedFor(seed, 1)), new ZooRandom(ZooRandom.seedFor(seed, 2)));
    }

    private Result run(SyntheticTask task, MlpHyperparameters hp, ZooRandom initRng, ZooRandom dataRng) {
        init(hp, initRng);

        // This network's training subset and its labels, noise included.
        int[] perm = new int[task.trainSize()];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        dataRng.shuffle(perm);
        int m = Math.max(1, Math.min(perm.length, (int) Math.round((double) hp.trainFraction() * perm.length)));
        int[] subset = Arrays.copyOf(perm, m);
        int[] labels = new int[m];
        int[] trueY = task.trainYView();
        for (int i = 0; i < m; i++) {
            labels[i] = trueY[subset[i]];
            if (dataRng.nextDouble() < hp.labelNoise()) labels[i] = dataRng.nextInt(n[L]);
        }
        // Its inputs [m, n0]: the task's, with the shortcut aligned to the true class with
        // probability shortcutCorrelation, else independent of it (as on the test set).
        float[] trainX = ownInputs(task, subset, hp.shortcutCorrelation(), dataRng);
        int[] own = new int[m];
        for (int i = 0; i < m; i++) own[i] = i;
        int B = hp.batchSize();
        int[] order = new int[m], batchY = new int[B];
        for (int i = 0; i < m; i++) order[i] = i;
        dataRng.shuffle(order);
        int pos = 0;
        float[] m1 = new float[numParams], m2 = hp.optimizer() == MlpHyperparameters.Optimizer.ADAM ? new float[numParams] : null;
        float[] backup = new float[numParams];
        double beta1Pow = 1, beta2Pow = 1;
        boolean diverged = false;
        for (int step = 0; step < hp.steps(); step++) {
            for (int bi = 0; bi < B; bi++) { // the next B examples of an endless sequence of shuffled epochs
                if (pos == m) {
                    dataRng.shuffle(order);
                    pos = 0;
                }
                int s = order[pos++];
                System.arraycopy(trainX, s * n[0], a[0], bi * n[0], n[0]);
                batchY[bi] = labels[s];
            }
            forward(B);
            lossAndGrad(B, batchY, true);
            backward(B);
            for (int l = 0; l < L; l++) { // L2 on the weights
                float lam = hp.l2();
                for (int q = wOff[l], e = wOff[l] + n[l] * n[l + 1]; q < e; q++) g[q] += lam * p[q];
            }
            double sq = 0;
            for (int q = 0; q < numParams; q++) sq += (double) g[q] * g[q];
            double norm = Math.sqrt(sq);
            if (!Double.isFinite(norm)) {
                diverged = true;
                break;
            }
            if (norm > GRAD_CLIP) {
                float c = (float) (GRAD_CLIP / norm);
                for (int q = 0; q < numParams; q++) g[q] *= c;
            }
            float lr = hp.learningRate();
            System.arraycopy(p, 0, backup, 0, numParams);
            if (m2 == null) { // SGD with (heavy-ball) momentum
                for (int q = 0; q < numParams; q++) {
                    m1[q] = MOMENTUM * m1[q] + g[q];
                    p[q] -= lr * m1[q];
                }
            } else { // Adam
                beta1Pow *= BETA1;
                beta2Pow *= BETA2;
                adam(m1, m2, beta1Pow, beta2Pow, lr);
            }
            if (!allFinite(p)) { // overflow: keep the last finite parameters
                System.arraycopy(backup, 0, p, 0, numParams);
                diverged = true;
                break;
            }
        }

        // Evaluate: own training subset (noisy labels, with loss), then the test set.
        double[] train = evaluate(trainX, own, labels);
        int[] all = new int[task.testSize()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        double[] test = evaluate(task.testXView(), all, task.testYView());

        float[][] ws = new float[L][], bs = new float[L][];
        for (int l = 0; l < L; l++) {
            int in = n[l], out = n[l + 1];
            ws[l] = new float[out * in];
            for (int k = 0; k < in; k++)
                for (int j = 0; j < out; j++) ws[l][j * in + k] = p[wOff[l] + k * out + j];
            bs[l] = Arrays.copyOfRange(p, bOff[l], bOff[l] + out);
        }
        float trainLoss = (float) train[1];
        return new Result(ws, bs, (float) train[0], (float) test[0], Float.isFinite(trainLoss) ? trainLoss : Float.MAX_VALUE, diverged);
    }

    /** One Adam update of p from g, moments m1 and m2, after beta1^t = beta1Pow and beta2^t = beta2Pow. */
    private void adam(float[] m1, float[] m2, double beta1Pow, double beta2Pow, float lr) {
        float c1 = (float) (1 / (1 - beta1Pow)), c2 = (float) (1 / (1 - beta2Pow));
        for (int q = 0; q < numParams; q++) {
            m1[q] = BETA1 * m1[q] + (1 - BETA1) * g[q];
            m2[q] = BETA2 * m2[q] + (1 - BETA2) * g[q] * g[q];
            p[q] -= lr * (m1[q] * c1) / ((float) Math.sqrt(m2[q] * c2) + ADAM_EPS);
        }
    }

    /**
     * Trains a ReLU MLP on images (784 -> hidden ... -> 10 on Fashion-MNIST, inputs standardised
     * as {@link CnnTrainer} does) from {@code init} (PyTorch order, per layer {@code W[out][in]}
     * row-major then the bias; not changed) under {@code keep} (0 prunes, anything else keeps; one
     * value per parameter, or null for none) for {@code steps} Adam steps of {@code batch} images
     * drawn from {@code dataSeed} (the same seed gives the same batches); no clipping, no L2. The
     * network of the MLP ticket zoo.
     *
     * <p>Masked training: a pruned parameter starts at zero and its gradient is zeroed before
     * the Adam update, whose moments then stay zero, so it stays exactly zero.
     *
     * @return the trained parameters (PyTorch order), the accuracy on the first {@code testImages}
     *         test images, and whether the loss became non-finite (training stopped there)
     */
    public static TicketArch.Trained trainOnImages(ImageData.Split data, int[] sizes, float[] init, float[] keep, int steps, int batch, float lr,
                                                   int testImages, long dataSeed) {
        for (int s : sizes) if (s < 1) throw new IllegalArgumentException("layer sizes must be positive: " + Arrays.toString(sizes));
        if (sizes.length < 2 || sizes[0] != data.train().pixels() || sizes[sizes.length - 1] != ImageData.CLASSES)
            throw new IllegalArgumentException("sizes " + Arrays.toString(sizes) + " do not fit images of " + data.train().pixels() + " pixels and "
                    + ImageData.CLASSES + " classes");
        if (testImages < 1 || testImages > data.test().count())
            throw new IllegalArgumentException("test images must be in [1, " + data.test().count() + "], got " + testImages);
        MlpTrainer t = new MlpTrainer(sizes, Activation.RELU, Math.max(batch, EVAL_CHUNK));
        if (init.length != t.numParams || (keep != null && keep.length != t.numParams))
            throw new IllegalArgumentException("expected " + t.numParams + " parameters, got " + init.length + (keep == null ? "" : " and a mask of " + keep.length));
        return t.runOnImages(data, init, keep, steps, batch, lr, testImages, new ZooRandom(dataSeed));
    }

    private TicketArch.Trained runOnImages(ImageData.Split data, float[] init, float[] keep, int steps, int batch, float lr, int testImages, ZooRandom rng) {
        float[] km = keep == null ? null : toInternal(keep);
        float[] start = toInternal(init);
        for (int q = 0; q < numParams; q++) p[q] = km != null && km[q] == 0f ? 0f : start[q]; // +0, not -0
        ImageData tr = data.train();
        int m = tr.count();
        int[] order = new int[m], batchIdx = new int[batch], batchY = new int[batch];
        for (int i = 0; i < m; i++) order[i] = i;
        rng.shuffle(order);
        int pos = 0;
        float[] m1 = new float[numParams], m2 = new float[numParams];
        double b1 = 1, b2 = 1;
        boolean diverged = false;
        for (int step = 0; step < steps; step++) {
            for (int b = 0; b < batch; b++) {
                if (pos == m) {
                    rng.shuffle(order);
                    pos = 0;
                }
                batchIdx[b] = order[pos++];
                batchY[b] = tr.label(batchIdx[b]);
            }
            loadImages(tr, batchIdx, batch);
            forward(batch);
            if (!Double.isFinite(lossAndGrad(batch, batchY, true)[0])) {
                diverged = true;
                break;
            }
            backward(batch);
            if (km != null) for (int q = 0; q < numParams; q++) if (km[q] == 0f) g[q] = 0f;
            b1 *= BETA1;
            b2 *= BETA2;
            adam(m1, m2, b1, b2, lr);
        }
        int[] idx = new int[testImages];
        for (int i = 0; i < testImages; i++) idx[i] = i;
        return new TicketArch.Trained(toPyTorch(p), (float) imageAccuracy(data.test(), idx), diverged);
    }

    /** PyTorch order to this trainer's input-major order. */
    private float[] toInternal(float[] pt) {
        return reorder(pt, true);
    }

    private float[] toPyTorch(float[] im) {
        return reorder(im, false);
    }

    /** Each weight transposed between PyTorch's {@code W[j][k]} and the input-major {@code wt[k][j]}; biases as they are. */
    private float[] reorder(float[] src, boolean toInternal) {
        float[] out = new float[numParams];
        for (int l = 0; l < L; l++) {
            int in = n[l], o = n[l + 1];
            for (int j = 0; j < o; j++)
                for (int k = 0; k < in; k++) {
                    int pt = wOff[l] + j * in + k, im = wOff[l] + k * o + j;
                    if (toInternal) out[im] = src[pt];
                    else out[pt] = src[im];
                }
            System.arraycopy(src, bOff[l], out, bOff[l], o);
        }
        return out;
    }

    /** Images idx of d, standardised, into the first rows of the input batch. */
    private void loadImages(ImageData d, int[] idx, int count) {
        int px = d.pixels();
        byte[] img = d.images();
        float[] x = a[0];
        for (int b = 0; b < count; b++)
            for (int q = 0, s = idx[b] * px; q < px; q++)
                x[b * px + q] = ((img[s + q] & 0xff) / 255f - CnnTrainer.PIXEL_MEAN) / CnnTrainer.PIXEL_STD;
    }

    private double imageAccuracy(ImageData d, int[] idx) {
        int[] yb = new int[cap];
        double correct = 0;
        for (int start = 0; start < idx.length; start += cap) {
            int B = Math.min(cap, idx.length - start);
            int[] chunk = Arrays.copyOfRange(idx, start, start + B);
            for (int b = 0; b < B; b++) yb[b] = d.label(chunk[b]);
            loadImages(d, chunk, B);
            forward(B);
            correct += lossAndGrad(B, yb, false)[1];
        }
        return correct / idx.length;
    }

    /** For tests: mean cross-entropy of images {@code idx} under {@code params} (PyTorch order) and its gradient (PyTorch order); ReLU. */
    static double imageLossAndGradient(ImageData d, int[] sizes, float[] params, int[] idx, float[] grad) {
        MlpTrainer t = new MlpTrainer(sizes, Activation.RELU, idx.length);
        System.arraycopy(t.toInternal(params), 0, t.p, 0, t.numParams);
        int[] y = new int[idx.length];
        for (int b = 0; b < idx.length; b++) y[b] = d.label(idx[b]);
        t.loadImages(d, idx, idx.length);
        t.forward(idx.length);
        double loss = t.lossAndGrad(idx.length, y, true)[0] / idx.length;
        t.backward(idx.length);
        System.arraycopy(t.toPyTorch(t.g), 0, grad, 0, t.numParams);
        return loss;
    }


    /** Rows {@code subset[i]} of the task's training inputs, each shortcut kept aligned with probability {@code correlation}. */
    private static float[] ownInputs(SyntheticTask task, int[] subset, float correlation, ZooRandom r) {
        int D = task.inputDim(), d = task.signalDim(), sd = task.shortcutDim();
        float[] src = task.trainXView(), independent = task.trainShortcutIndependentView(), x = new float[subset.length * D];
        for (int i = 0; i < subset.length; i++) {
            System.arraycopy(src, subset[i] * D, x, i * D, D);
            if (sd > 0 && !(r.nextDouble() < correlation)) System.arraycopy(independent, subset[i] * sd, x, i * D + d, sd);
        }
        return x;
    }

    private static boolean allFinite(float[] a) {
        for (float v : a) if (!Float.isFinite(v)) return false;
        return true;
    }

    /** Parameters of an MLP with these sizes (weights and biases). */
    static int numParams(int[] sizes) {
        int n = 0;
        for (int l = 0; l + 1 < sizes.length; l++) n += sizes[l] * sizes[l + 1] + sizes[l + 1];
        return n;
    }

    /**
     * For tests: the mean cross-entropy of the batch {@code x} [B, n_in], {@code y} [B] under
     * {@code params} (this class's internal layout), and its gradient into {@code grad}.
     */
    static double lossAndGradient(int[] sizes, Activation act, float[] params, float[] x, int[] y, float[] grad) {
        int B = y.length;
        MlpTrainer t = new MlpTrainer(sizes, act, B);
        System.arraycopy(params, 0, t.p, 0, t.numParams);
        System.arraycopy(x, 0, t.a[0], 0, B * sizes[0]);
        t.forward(B);
        double loss = t.lossAndGrad(B, y, true)[0] / B;
        t.backward(B);
        System.arraycopy(t.g, 0, grad, 0, t.numParams);
        return loss;
    }

    private void init(MlpHyperparameters hp, ZooRandom r) {
        float std = hp.initStd();
        for (int l = 0; l < L; l++) {
            for (int q = wOff[l], e = wOff[l] + n[l] * n[l + 1]; q < e; q++) {
                double v = switch (hp.init()) {
                    case NORMAL -> r.nextGaussian();
                    case UNIFORM -> r.uniform(-Math.sqrt(3), Math.sqrt(3)); // unit variance
                    case TRUNCATED_NORMAL -> truncatedNormal(r);
                };
                p[q] = (float) (std * v);
            }
        }
    }

    /** Std of N(0, 1) truncated to [-2, 2]: sqrt(1 - 4 phi(2) / (2 Phi(2) - 1)). */
    private static final double TRUNC2_STD = 0.8796256610342398;

    /** N(0, 1) truncated to [-2, 2] (resampled), rescaled to unit variance. */
    private static double truncatedNormal(ZooRandom r) {
        double v;
        do v = r.nextGaussian(); while (Math.abs(v) > 2);
        return v / TRUNC2_STD;
    }

    /** a[l+1] = act(a[l] W_l^T + b_l) for the first B rows; the last layer stays linear (logits). */
    private void forward(int B) {
        for (int l = 0; l < L; l++) {
            float[] in = a[l], out = a[l + 1];
            int ni = n[l], no = n[l + 1];
            for (int b = 0; b < B; b++) { // out[b][j] = bias[j] + sum_k in[b][k] * wt[k][j]
                System.arraycopy(p, bOff[l], out, b * no, no);
                dotAcc(in, b * ni, 1, p, wOff[l], no, ni, out, b * no, no);
            }
            if (l < L - 1) activate(out, B * no);
        }
    }

    /**
     * The one kernel: {@code c[co + j] += sum_t x[xo + t*xs] * y[yo + t*ys + j]} for j < len,
     * t < T. Eight (then four, then one) outputs at a time in locals, so the inner loop has
     * independent sums and no stores; the sum over t runs in order, so results never depend on
     * how the JIT compiles it.
     */
    static void dotAcc(float[] x, int xo, int xs, float[] y, int yo, int ys, int T, float[] c, int co, int len) {
        int j = 0;
        for (; j + 8 <= len; j += 8) {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            for (int t = 0, xi = xo, yi = yo + j; t < T; t++, xi += xs, yi += ys) {
                float v = x[xi];
                s0 += v * y[yi];
                s1 += v * y[yi + 1];
                s2 += v * y[yi + 2];
                s3 += v * y[yi + 3];
                s4 += v * y[yi + 4];
                s5 += v * y[yi + 5];
                s6 += v * y[yi + 6];
                s7 += v * y[yi + 7];
            }
            c[co + j] += s0;
            c[co + j + 1] += s1;
            c[co + j + 2] += s2;
            c[co + j + 3] += s3;
            c[co + j + 4] += s4;
            c[co + j + 5] += s5;
            c[co + j + 6] += s6;
            c[co + j + 7] += s7;
        }
        for (; j + 4 <= len; j += 4) {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int t = 0, xi = xo, yi = yo + j; t < T; t++, xi += xs, yi += ys) {
                float v = x[xi];
                s0 += v * y[yi];
                s1 += v * y[yi + 1];
                s2 += v * y[yi + 2];
                s3 += v * y[yi + 3];
            }
            c[co + j] += s0;
            c[co + j + 1] += s1;
            c[co + j + 2] += s2;
            c[co + j + 3] += s3;
        }
        for (; j < len; j++) {
            float s = 0;
            for (int t = 0, xi = xo, yi = yo + j; t < T; t++, xi += xs, yi += ys) s += x[xi] * y[yi];
            c[co + j] += s;
        }
    }

    private void activate(float[] x, int len) {
        if (act == Activation.RELU) {
            for (int i = 0; i < len; i++) x[i] = Math.max(x[i], 0f);
        } else {
            for (int i = 0; i < len; i++) x[i] = FastTanh.tanh(x[i]);
        }
    }

    /**
     * Mean softmax cross-entropy of the first B rows of the logits against {@code y}; when
     * {@code grad}, also writes dLoss/dlogits into d[L-1]. Returns {sum of losses, correct count}.
     */
    private double[] lossAndGrad(int B, int[] y, boolean grad) {
        return SoftmaxCrossEntropy.sum(a[L], grad ? d[L - 1] : null, n[L], B, y, expScratch);
    }

    /** From d[L-1] (set by lossAndGrad), the gradient g of every parameter. */
    private void backward(int B) {
        Arrays.fill(g, 0f);
        for (int l = L - 1; l >= 0; l--) {
            float[] in = a[l], dz = d[l];
            int ni = n[l], no = n[l + 1];
            for (int b = 0; b < B; b++)
                for (int j = 0; j < no; j++) g[bOff[l] + j] += dz[b * no + j];
            for (int k = 0; k < ni; k++) // gwt[k][j] = sum_b in[b][k] * dz[b][j]
                dotAcc(in, k, ni, dz, 0, no, B, g, wOff[l] + k * no, no);
            if (l == 0) break;
            // dPrev[b][k] = act'(in[b][k]) * sum_j dz[b][j] * W[j][k], with W (row-major [out][in]) transposed from wt
            float[] w = wRows[l], dPrev = d[l - 1];
            for (int k = 0; k < ni; k++)
                for (int j = 0; j < no; j++) w[j * ni + k] = p[wOff[l] + k * no + j];
            Arrays.fill(dPrev, 0, B * ni, 0f);
            for (int b = 0; b < B; b++) dotAcc(dz, b * no, 1, w, 0, ni, no, dPrev, b * ni, ni);
            if (act == Activation.RELU) {
                for (int k = 0; k < B * ni; k++) if (!(in[k] > 0f)) dPrev[k] = 0f;
            } else {
                for (int k = 0; k < B * ni; k++) dPrev[k] *= 1f - in[k] * in[k];
            }
        }
    }

    /** {accuracy, mean loss} of the current parameters on rows {@code idx[i]} of x, with labels {@code y[i]}. */
    private double[] evaluate(float[] x, int[] idx, int[] y) {
        int[] yb = new int[cap];
        double loss = 0, correct = 0;
        for (int start = 0; start < idx.length; start += cap) {
            int B = Math.min(cap, idx.length - start);
            for (int b = 0; b < B; b++) {
                System.arraycopy(x, idx[start + b] * n[0], a[0], b * n[0], n[0]);
                yb[b] = y[start + b];
            }
            forward(B);
            double[] lc = lossAndGrad(B, yb, false);
            loss += lc[0];
            correct += lc[1];
        }
        return new double[]{correct / idx.length, loss / idx.length};
    }

    /**
     * tanh from a table of StrictMath.tanh at steps of 1/64 on [0, 9] with cubic Hermite
     * interpolation (the derivative 1 - tanh^2 is known): about 1e-8 from the true value, several
     * times faster than StrictMath.tanh, and deterministic (table plus IEEE arithmetic).
     */
    static final class FastTanh {
        private static final int PER_UNIT = 64;
        private static final float XMAX = 9f; // tanh(9) rounds to 1f
        private static final float[] Y, DY; // tanh(i / 64) and its derivative times the step

        static {
            int size = (int) (XMAX * PER_UNIT) + 2;
            Y = new float[size];
            DY = new float[size];
            for (int i = 0; i < size; i++) {
                double t = StrictMath.tanh((double) i / PER_UNIT);
                Y[i] = (float) t;
                DY[i] = (float) ((1 - t * t) / PER_UNIT);
            }
        }

        private FastTanh() {}

        static float tanh(float x) {
            float ax = Math.abs(x);
            if (!(ax < XMAX)) return ax >= XMAX ? Math.copySign(1f, x) : x; // saturated, or NaN
            float t = ax * PER_UNIT;
            int i = (int) t;
            float u = t - i, u2 = u * u, u3 = u2 * u;
            float y = (2 * u3 - 3 * u2 + 1) * Y[i] + (u3 - 2 * u2 + u) * DY[i] + (3 * u2 - 2 * u3) * Y[i + 1] + (u3 - u2) * DY[i + 1];
            return Math.copySign(y, x);
        }
    }
}
