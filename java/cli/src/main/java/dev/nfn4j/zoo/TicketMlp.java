package dev.nfn4j.zoo;

import java.util.Arrays;

/**
 * Trains a dense ReLU MLP on images (Fashion-MNIST: 784 -> hidden ... -> 10, softmax
 * cross-entropy) from a given initialisation under a given mask: the network of the MLP ticket
 * zoo. Plain scalar Java on {@link MlpTrainer#dotAcc}, deterministic (IEEE arithmetic in a fixed
 * order and {@link StrictMath}).
 *
 * <p>Parameters are one array in PyTorch order, per layer {@code W[out][in]} row-major then the
 * bias, so a checkpoint is the array as it is; the trainer keeps its own input-major copy for
 * the loops. Inputs are standardised as {@link CnnTrainer} does.
 *
 * <p>Masked training: the gradient of a pruned weight is zeroed before the Adam update, whose
 * moments then stay zero, so a pruned weight stays exactly zero (it starts at zero: the mask is
 * applied to the initialisation first).
 */
public final class TicketMlp {
    static final float BETA1 = 0.9f, BETA2 = 0.999f, EPS = 1e-8f;
    private static final int EVAL_CHUNK = 250;

    private final int[] n;
    private final int L;
    private final int[] wOff, bOff; // PyTorch-order offsets
    private final int numParams;
    private final float[] p, g; // input-major: per layer wt[k * out + j], then the bias
    private final float[][] a, d, wRows;
    private final double[] expScratch;
    private final int cap;

    /** An MLP with layer sizes {@code sizes} (n_in, hidden..., n_out). */
    TicketMlp(int[] sizes, int cap) {
        if (sizes.length < 2) throw new IllegalArgumentException("need at least input and output sizes: " + Arrays.toString(sizes));
        for (int s : sizes) if (s < 1) throw new IllegalArgumentException("layer sizes must be positive: " + Arrays.toString(sizes));
        n = sizes.clone();
        L = sizes.length - 1;
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
        wRows = new float[L][];
        for (int l = 0; l <= L; l++) a[l] = new float[cap * n[l]];
        for (int l = 0; l < L; l++) {
            d[l] = new float[cap * n[l + 1]];
            wRows[l] = new float[n[l] * n[l + 1]];
        }
        expScratch = new double[n[L]];
    }

    /** Parameters of an MLP with these layer sizes. */
    public static int numParams(int[] sizes) {
        return MlpTrainer.numParams(sizes);
    }

    /**
     * The result of one training run.
     *
     * @param params       the trained parameters, PyTorch order
     * @param testAccuracy accuracy on the first {@code testImages} test images
     * @param diverged     true when the loss became non-finite (training stopped there)
     */
    public record Result(float[] params, float testAccuracy, boolean diverged) {
    }

    /**
     * Trains {@code init} (PyTorch order; not changed) under {@code keep} (0 prunes, anything else keeps; one
     * value per parameter, or null for none) for {@code steps} Adam steps of {@code batch} images
     * drawn from {@code dataSeed} (the same seed gives the same batches).
     */
    public static Result train(ImageData.Split data, int[] sizes, float[] init, float[] keep, int steps, int batch, float lr, int testImages,
                               long dataSeed) {
        if (sizes[0] != data.train().pixels() || sizes[sizes.length - 1] != ImageData.CLASSES)
            throw new IllegalArgumentException("sizes " + Arrays.toString(sizes) + " do not fit images of " + data.train().pixels() + " pixels and "
                    + ImageData.CLASSES + " classes");
        if (testImages < 1 || testImages > data.test().count())
            throw new IllegalArgumentException("test images must be in [1, " + data.test().count() + "], got " + testImages);
        TicketMlp t = new TicketMlp(sizes, Math.max(batch, EVAL_CHUNK));
        if (init.length != t.numParams || (keep != null && keep.length != t.numParams))
            throw new IllegalArgumentException("expected " + t.numParams + " parameters, got " + init.length + (keep == null ? "" : " and a mask of " + keep.length));
        return t.run(data, init, keep, steps, batch, lr, testImages, new ZooRandom(dataSeed));
    }

    private Result run(ImageData.Split data, float[] init, float[] keep, int steps, int batch, float lr, int testImages, ZooRandom rng) {
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
            load(tr, batchIdx, batch);
            forward(batch);
            double loss = lossAndGrad(batch, batchY, true)[0];
            if (!Double.isFinite(loss)) {
                diverged = true;
                break;
            }
            backward(batch);
            if (km != null) for (int q = 0; q < numParams; q++) if (km[q] == 0f) g[q] = 0f;
            b1 *= BETA1;
            b2 *= BETA2;
            float c1 = (float) (1 / (1 - b1)), c2 = (float) (1 / (1 - b2));
            for (int q = 0; q < numParams; q++) {
                m1[q] = BETA1 * m1[q] + (1 - BETA1) * g[q];
                m2[q] = BETA2 * m2[q] + (1 - BETA2) * g[q] * g[q];
                p[q] -= lr * (m1[q] * c1) / ((float) Math.sqrt(m2[q] * c2) + EPS);
            }
        }
        int[] idx = new int[testImages];
        for (int i = 0; i < testImages; i++) idx[i] = i;
        float acc = (float) accuracy(data.test(), idx);
        return new Result(toPyTorch(p), acc, diverged);
    }

    /** PyTorch order to this trainer's input-major order. */
    private float[] toInternal(float[] pt) {
        float[] out = new float[numParams];
        for (int l = 0; l < L; l++) {
            int in = n[l], o = n[l + 1];
            for (int j = 0; j < o; j++) for (int k = 0; k < in; k++) out[wOff[l] + k * o + j] = pt[wOff[l] + j * in + k];
            System.arraycopy(pt, bOff[l], out, bOff[l], o);
        }
        return out;
    }

    private float[] toPyTorch(float[] im) {
        float[] out = new float[numParams];
        for (int l = 0; l < L; l++) {
            int in = n[l], o = n[l + 1];
            for (int j = 0; j < o; j++) for (int k = 0; k < in; k++) out[wOff[l] + j * in + k] = im[wOff[l] + k * o + j];
            System.arraycopy(im, bOff[l], out, bOff[l], o);
        }
        return out;
    }

    private void load(ImageData d, int[] idx, int count) {
        int px = d.pixels();
        byte[] img = d.images();
        float[] x = a[0];
        for (int b = 0; b < count; b++)
            for (int q = 0, s = idx[b] * px; q < px; q++)
                x[b * px + q] = ((img[s + q] & 0xff) / 255f - CnnTrainer.PIXEL_MEAN) / CnnTrainer.PIXEL_STD;
    }

    private void forward(int B) {
        for (int l = 0; l < L; l++) {
            float[] in = a[l], out = a[l + 1];
            int ni = n[l], no = n[l + 1];
            for (int b = 0; b < B; b++) {
                System.arraycopy(p, bOff[l], out, b * no, no);
                MlpTrainer.dotAcc(in, b * ni, 1, p, wOff[l], no, ni, out, b * no, no);
            }
            if (l < L - 1) for (int i = 0; i < B * no; i++) out[i] = Math.max(out[i], 0f);
        }
    }

    /** Summed cross-entropy and correct count of the first B rows; with {@code grad}, dLoss/dlogits (mean) into d[L-1]. */
    private double[] lossAndGrad(int B, int[] y, boolean grad) {
        return MlpTrainer.softmaxCrossEntropy(a[L], grad ? d[L - 1] : null, n[L], B, y, expScratch);
    }

    private void backward(int B) {
        Arrays.fill(g, 0f);
        for (int l = L - 1; l >= 0; l--) {
            float[] in = a[l], dz = d[l];
            int ni = n[l], no = n[l + 1];
            for (int b = 0; b < B; b++) for (int j = 0; j < no; j++) g[bOff[l] + j] += dz[b * no + j];
            for (int k = 0; k < ni; k++) MlpTrainer.dotAcc(in, k, ni, dz, 0, no, B, g, wOff[l] + k * no, no);
            if (l == 0) break;
            float[] w = wRows[l], dPrev = d[l - 1];
            for (int k = 0; k < ni; k++) for (int j = 0; j < no; j++) w[j * ni + k] = p[wOff[l] + k * no + j];
            Arrays.fill(dPrev, 0, B * ni, 0f);
            for (int b = 0; b < B; b++) MlpTrainer.dotAcc(dz, b * no, 1, w, 0, ni, no, dPrev, b * ni, ni);
            for (int k = 0; k < B * ni; k++) if (!(in[k] > 0f)) dPrev[k] = 0f;
        }
    }

    private double accuracy(ImageData d, int[] idx) {
        int[] yb = new int[cap];
        double correct = 0;
        for (int start = 0; start < idx.length; start += cap) {
            int B = Math.min(cap, idx.length - start);
            int[] chunk = Arrays.copyOfRange(idx, start, start + B);
            for (int b = 0; b < B; b++) yb[b] = d.label(chunk[b]);
            load(d, chunk, B);
            forward(B);
            correct += lossAndGrad(B, yb, false)[1];
        }
        return correct / idx.length;
    }

    /** For tests: mean cross-entropy of images {@code idx} under {@code params} (PyTorch order) and its gradient (PyTorch order). */
    static double lossAndGradient(ImageData d, int[] sizes, float[] params, int[] idx, float[] grad) {
        TicketMlp t = new TicketMlp(sizes, idx.length);
        System.arraycopy(t.toInternal(params), 0, t.p, 0, t.numParams);
        int[] y = new int[idx.length];
        for (int b = 0; b < idx.length; b++) y[b] = d.label(idx[b]);
        t.load(d, idx, idx.length);
        t.forward(idx.length);
        double loss = t.lossAndGrad(idx.length, y, true)[0] / idx.length;
        t.backward(idx.length);
        System.arraycopy(t.toPyTorch(t.g), 0, grad, 0, t.numParams);
        return loss;
    }
}
