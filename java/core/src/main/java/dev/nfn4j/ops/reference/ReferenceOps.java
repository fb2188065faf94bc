package dev.nfn4j.ops.reference;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Buf;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.NormShape;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.SirenShape;

import java.util.Arrays;

/**
 * The oracle: plain scalar Java written straight from the {@link Ops} contracts, accumulating in
 * double, single-threaded. Readable first; every other backend is tested against it.
 */
public final class ReferenceOps implements Ops {

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public Buf alloc(long n) {
        return new HostBuf(n);
    }

    /** The backing array of a pointer; also checks the buffer belongs to a host backend. */
    static float[] arr(Ptr p) {
        return HostBuf.array(p);
    }

    static int off(Ptr p) {
        return (int) p.offset();
    }

    /** Checks that {@code n} elements from p lie inside its buffer, so a wiring bug fails here, named. */
    public static void need(Ptr p, long n, String what) {
        if (p != null && p.offset() + n > p.buf().length())
            throw new IndexOutOfBoundsException(what + ": needs " + n + " floats at offset " + p.offset()
                    + " of a buffer of " + p.buf().length());
    }

    @Override
    public void upload(float[] src, int srcOff, Ptr dst, int n) {
        need(dst, n, "upload");
        System.arraycopy(src, srcOff, arr(dst), off(dst), n);
    }

    @Override
    public void download(Ptr src, float[] dst, int dstOff, int n) {
        need(src, n, "download");
        System.arraycopy(arr(src), off(src), dst, dstOff, n);
    }

    @Override
    public void fill(Ptr x, long n, float value) {
        need(x, n, "fill");
        Arrays.fill(arr(x), off(x), off(x) + (int) n, value);
    }

    @Override
    public void channelMix(MixShape s, Ptr x, Ptr a, Ptr bias, Ptr row, Ptr col, Ptr glob, Ptr y) {
        int B = s.batch(), cin = s.cin(), cout = s.cout(), rows = s.rows(), cols = s.cols();
        long plane = s.plane();
        need(x, B * cin * plane, "channelMix x");
        need(a, (long) cout * cin, "channelMix a");
        need(y, B * cout * plane, "channelMix y");
        need(bias, cout, "channelMix bias");
        need(row, (long) B * cout * cols, "channelMix row");
        need(col, (long) B * cout * rows, "channelMix col");
        need(glob, (long) B * cout, "channelMix glob");
        float[] X = arr(x), A = arr(a), Y = arr(y);
        int xo = off(x), ao = off(a), yo = off(y);
        for (int b = 0; b < B; b++)
            for (int o = 0; o < cout; o++)
                for (int j = 0; j < rows; j++)
                    for (int k = 0; k < cols; k++) {
                        int p = j * cols + k;
                        double acc = 0;
                        for (int c = 0; c < cin; c++)
                            acc += (double) A[ao + o * cin + c] * X[(int) (xo + (b * cin + c) * plane + p)];
                        if (bias != null) acc += arr(bias)[off(bias) + o];
                        if (row != null) acc += arr(row)[off(row) + (b * cout + o) * cols + k];
                        if (col != null) acc += arr(col)[off(col) + (b * cout + o) * rows + j];
                        if (glob != null) acc += arr(glob)[off(glob) + b * cout + o];
                        Y[(int) (yo + (b * cout + o) * plane + p)] = (float) acc;
                    }
    }

    @Override
    public void channelMixBackward(MixShape s, Ptr x, Ptr a, Ptr dy, Ptr dx, Ptr da, Ptr dbias) {
        int B = s.batch(), cin = s.cin(), cout = s.cout();
        long plane = s.plane();
        need(x, B * cin * plane, "channelMixBackward x");
        need(dy, B * cout * plane, "channelMixBackward dy");
        need(dx, B * cin * plane, "channelMixBackward dx");
        need(da, (long) cout * cin, "channelMixBackward da");
        need(dbias, cout, "channelMixBackward dbias");
        float[] X = arr(x), A = arr(a), DY = arr(dy);
        int xo = off(x), ao = off(a), dyo = off(dy);
        if (dx != null) {
            float[] DX = arr(dx);
            int dxo = off(dx);
            for (int b = 0; b < B; b++)
                for (int c = 0; c < cin; c++)
                    for (int p = 0; p < plane; p++) {
                        double acc = 0;
                        for (int o = 0; o < cout; o++)
                            acc += (double) A[ao + o * cin + c] * DY[(int) (dyo + (b * cout + o) * plane + p)];
                        DX[(int) (dxo + (b * cin + c) * plane + p)] += (float) acc;
                    }
        }
        if (da != null) {
            float[] DA = arr(da);
            int dao = off(da);
            for (int o = 0; o < cout; o++)
                for (int c = 0; c < cin; c++) {
                    double acc = 0;
                    for (int b = 0; b < B; b++)
                        for (int p = 0; p < plane; p++)
                            acc += (double) DY[(int) (dyo + (b * cout + o) * plane + p)] * X[(int) (xo + (b * cin + c) * plane + p)];
                    DA[dao + o * cin + c] += (float) acc;
                }
        }
        if (dbias != null) {
            float[] DB = arr(dbias);
            int dbo = off(dbias);
            for (int o = 0; o < cout; o++) {
                double acc = 0;
                for (int b = 0; b < B; b++)
                    for (int p = 0; p < plane; p++)
                        acc += DY[(int) (dyo + (b * cout + o) * plane + p)];
                DB[dbo + o] += (float) acc;
            }
        }
    }

    @Override
    public void planeReduce(long planes, int rows, int cols, Ptr x, Ptr rowOut, Ptr colOut, Ptr allOut, boolean mean) {
        long plane = (long) rows * cols;
        need(x, planes * plane, "planeReduce x");
        need(rowOut, planes * cols, "planeReduce rowOut");
        need(colOut, planes * rows, "planeReduce colOut");
        need(allOut, planes, "planeReduce allOut");
        float[] X = arr(x);
        int xo = off(x);
        double sr = mean ? 1.0 / rows : 1, sc = mean ? 1.0 / cols : 1, sa = mean ? 1.0 / plane : 1;
        for (int p = 0; p < planes; p++) {
            int base = (int) (xo + p * plane);
            if (rowOut != null)
                for (int k = 0; k < cols; k++) {
                    double acc = 0;
                    for (int j = 0; j < rows; j++) acc += X[base + j * cols + k];
                    arr(rowOut)[off(rowOut) + p * cols + k] = (float) (acc * sr);
                }
            if (colOut != null)
                for (int j = 0; j < rows; j++) {
                    double acc = 0;
                    for (int k = 0; k < cols; k++) acc += X[base + j * cols + k];
                    arr(colOut)[off(colOut) + p * rows + j] = (float) (acc * sc);
                }
            if (allOut != null) {
                double acc = 0;
                for (int q = 0; q < plane; q++) acc += X[base + q];
                arr(allOut)[off(allOut) + p] = (float) (acc * sa);
            }
        }
    }

    @Override
    public void planeBroadcast(long planes, int rows, int cols, Ptr row, float sRow, Ptr col, float sCol, Ptr all, float sAll, Ptr dx) {
        long plane = (long) rows * cols;
        need(dx, planes * plane, "planeBroadcast dx");
        need(row, planes * cols, "planeBroadcast row");
        need(col, planes * rows, "planeBroadcast col");
        need(all, planes, "planeBroadcast all");
        float[] DX = arr(dx);
        int dxo = off(dx);
        for (int p = 0; p < planes; p++)
            for (int j = 0; j < rows; j++)
                for (int k = 0; k < cols; k++) {
                    double acc = 0;
                    if (row != null) acc += (double) sRow * arr(row)[off(row) + p * cols + k];
                    if (col != null) acc += (double) sCol * arr(col)[off(col) + p * rows + j];
                    if (all != null) acc += (double) sAll * arr(all)[off(all) + p];
                    DX[(int) (dxo + p * plane + j * cols + k)] += (float) acc;
                }
    }

    @Override
    public void copy4d(int[] dims, Ptr src, long[] ss, Ptr dst, long[] ds, boolean accumulate) {
        need(src, 1 + maxIndex(dims, ss), "copy4d src");
        need(dst, 1 + maxIndex(dims, ds), "copy4d dst");
        float[] S = arr(src), D = arr(dst);
        long so = src.offset(), dso = dst.offset();
        for (int a = 0; a < dims[0]; a++)
            for (int b = 0; b < dims[1]; b++)
                for (int c = 0; c < dims[2]; c++)
                    for (int d = 0; d < dims[3]; d++) {
                        int si = (int) (so + a * ss[0] + b * ss[1] + c * ss[2] + d * ss[3]);
                        int di = (int) (dso + a * ds[0] + b * ds[1] + c * ds[2] + d * ds[3]);
                        if (accumulate) D[di] += S[si];
                        else D[di] = S[si];
                    }
    }

    /** The largest element offset a strided 4-d view touches (-1 if empty). */
    public static long maxIndex(int[] dims, long[] strides) {
        long m = 0;
        for (int i = 0; i < 4; i++) {
            if (dims[i] == 0) return -1;
            m += (dims[i] - 1) * strides[i];
        }
        return m;
    }

    @Override
    public void planeScale(long planes, int n, Ptr x, Ptr scale, Ptr y) {
        need(x, planes * n, "planeScale x");
        need(y, planes * n, "planeScale y");
        need(scale, planes, "planeScale scale");
        float[] X = arr(x), Y = arr(y), S = arr(scale);
        for (int p = 0; p < planes; p++)
            for (int q = 0; q < n; q++) {
                int i = (int) (p * (long) n + q);
                Y[off(y) + i] = X[off(x) + i] * S[off(scale) + p];
            }
    }

    @Override
    public void activation(Act act, long n, Ptr x, Ptr y) {
        need(x, n, "activation x");
        need(y, n, "activation y");
        float[] X = arr(x), Y = arr(y);
        int xo = off(x), yo = off(y);
        for (int i = 0; i < n; i++) Y[yo + i] = (float) Activations.apply(act, X[xo + i]);
    }

    @Override
    public void activationBackward(Act act, long n, Ptr x, Ptr y, Ptr dy, Ptr dx) {
        need(x, n, "activationBackward x");
        need(dy, n, "activationBackward dy");
        need(dx, n, "activationBackward dx");
        float[] X = arr(x), DY = arr(dy), DX = arr(dx);
        int xo = off(x), dyo = off(dy), dxo = off(dx);
        for (int i = 0; i < n; i++) DX[dxo + i] = (float) (DY[dyo + i] * Activations.derivative(act, X[xo + i]));
    }

    @Override
    public void planeStats(long planes, int n, Ptr x, Ptr out) {
        need(x, planes * n, "planeStats x");
        need(out, planes * 7, "planeStats out");
        float[] X = arr(x), O = arr(out);
        double[] sorted = new double[n];
        for (int p = 0; p < planes; p++) {
            int base = (int) (off(x) + p * n);
            double[] st = PlaneStats.stats(X, base, n, sorted);
            for (int q = 0; q < 7; q++) O[off(out) + p * 7 + q] = (float) st[q];
        }
    }

    @Override
    public void planeStatsBackward(long planes, int n, Ptr x, Ptr dOut, Ptr dx) {
        need(x, planes * n, "planeStatsBackward x");
        need(dOut, planes * 7, "planeStatsBackward dOut");
        need(dx, planes * n, "planeStatsBackward dx");
        float[] X = arr(x), G = arr(dOut), DX = arr(dx);
        double[] grad = new double[n];
        for (int p = 0; p < planes; p++) {
            int base = (int) (off(x) + p * n);
            PlaneStats.backward(X, base, n, G, (int) (off(dOut) + p * 7), grad);
            for (int i = 0; i < n; i++) DX[(int) (off(dx) + p * n + i)] += (float) grad[i];
        }
    }

    @Override
    public void layerNorm(NormShape s, Ptr x, Ptr gamma, Ptr beta, Ptr y) {
        int A = s.a(), G = s.groups(), I = s.inner(), n = s.n();
        need(x, s.size(), "layerNorm x");
        need(y, s.size(), "layerNorm y");
        need(gamma, n, "layerNorm gamma");
        need(beta, n, "layerNorm beta");
        float[] X = arr(x), Y = arr(y), GA = arr(gamma), BE = arr(beta);
        int xo = off(x), yo = off(y), go = off(gamma), bo = off(beta);
        for (int o = 0; o < s.outer(); o++)
            for (int g = 0; g < G; g++) {
                int base = (o * A * G + g) * I; // element (a, i) at base + a G I + i
                double mean = groupMean(X, xo + base, A, G * I, I), ss = groupSquares(X, xo + base, A, G * I, I, mean), r = s.scale(ss);
                for (int a = 0; a < A; a++)
                    for (int i = 0; i < I; i++) {
                        int e = base + a * G * I + i, p = a * I + i;
                        Y[yo + e] = (float) ((X[xo + e] - mean) * r * GA[go + p] + BE[bo + p]);
                    }
            }
    }

    @Override
    public void layerNormBackward(NormShape s, Ptr x, Ptr gamma, Ptr dy, Ptr dx, Ptr dgamma, Ptr dbeta) {
        int A = s.a(), G = s.groups(), I = s.inner(), n = s.n();
        need(x, s.size(), "layerNormBackward x");
        need(dy, s.size(), "layerNormBackward dy");
        need(dx, s.size(), "layerNormBackward dx");
        need(gamma, n, "layerNormBackward gamma");
        need(dgamma, n, "layerNormBackward dgamma");
        need(dbeta, n, "layerNormBackward dbeta");
        float[] X = arr(x), DY = arr(dy), GA = arr(gamma);
        int xo = off(x), dyo = off(dy), go = off(gamma);
        double[] dGamma = new double[n], dBeta = new double[n];
        for (int o = 0; o < s.outer(); o++)
            for (int g = 0; g < G; g++) {
                int base = (o * A * G + g) * I;
                double mean = groupMean(X, xo + base, A, G * I, I), ss = groupSquares(X, xo + base, A, G * I, I, mean), r = s.scale(ss);
                double sg = 0, sgd = 0;
                for (int a = 0; a < A; a++)
                    for (int i = 0; i < I; i++) {
                        int e = base + a * G * I + i, p = a * I + i;
                        double d = X[xo + e] - mean, gr = (double) DY[dyo + e] * GA[go + p];
                        sg += gr;
                        sgd += gr * d;
                        dGamma[p] += DY[dyo + e] * d * r;
                        dBeta[p] += DY[dyo + e];
                    }
                if (dx == null) continue;
                double meanG = sg / n, c = s.spreadCoefficient(r, ss, sgd);
                float[] DX = arr(dx);
                for (int a = 0; a < A; a++)
                    for (int i = 0; i < I; i++) {
                        int e = base + a * G * I + i;
                        DX[off(dx) + e] = (float) (r * ((double) DY[dyo + e] * GA[go + a * I + i] - meanG) + c * (X[xo + e] - mean));
                    }
            }
        if (dgamma != null) for (int p = 0; p < n; p++) arr(dgamma)[off(dgamma) + p] += (float) dGamma[p];
        if (dbeta != null) for (int p = 0; p < n; p++) arr(dbeta)[off(dbeta) + p] += (float) dBeta[p];
    }

    /** Mean of the values X[base + a stride + i] for a < A, i < I. */
    private static double groupMean(float[] X, int base, int A, int stride, int I) {
        double sum = 0;
        for (int a = 0; a < A; a++)
            for (int i = 0; i < I; i++) sum += X[base + a * stride + i];
        return sum / ((long) A * I);
    }

    private static double groupSquares(float[] X, int base, int A, int stride, int I, double mean) {
        double ss = 0;
        for (int a = 0; a < A; a++)
            for (int i = 0; i < I; i++) {
                double d = X[base + a * stride + i] - mean;
                ss += d * d;
            }
        return ss;
    }

    @Override
    public void attention(long groups, int T, int D, float scale, Ptr qkv, Ptr probs, Ptr out) {
        need(qkv, groups * T * 3 * D, "attention qkv");
        need(probs, groups * T * T, "attention probs");
        need(out, groups * T * D, "attention out");
        float[] Q = arr(qkv), P = arr(probs), O = arr(out);
        double[] row = new double[T];
        for (long g = 0; g < groups; g++) {
            int qb = (int) (off(qkv) + g * T * 3 * D), pb = (int) (off(probs) + g * T * T), ob = (int) (off(out) + g * T * D);
            for (int t = 0; t < T; t++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int u = 0; u < T; u++) {
                    double dot = 0;
                    for (int d = 0; d < D; d++) dot += (double) Q[qb + t * 3 * D + d] * Q[qb + u * 3 * D + D + d];
                    row[u] = dot * scale;
                    max = Math.max(max, row[u]);
                }
                double sum = 0;
                for (int u = 0; u < T; u++) sum += row[u] = Math.exp(row[u] - max);
                for (int u = 0; u < T; u++) P[pb + t * T + u] = (float) (row[u] / sum);
                for (int d = 0; d < D; d++) {
                    double acc = 0;
                    for (int u = 0; u < T; u++) acc += (double) P[pb + t * T + u] * Q[qb + u * 3 * D + 2 * D + d];
                    O[ob + t * D + d] = (float) acc;
                }
            }
        }
    }

    @Override
    public void attentionBackward(long groups, int T, int D, float scale, Ptr qkv, Ptr probs, Ptr dOut, Ptr dqkv) {
        need(qkv, groups * T * 3 * D, "attentionBackward qkv");
        need(probs, groups * T * T, "attentionBackward probs");
        need(dOut, groups * T * D, "attentionBackward dOut");
        need(dqkv, groups * T * 3 * D, "attentionBackward dqkv");
        float[] Q = arr(qkv), P = arr(probs), DO = arr(dOut), DQ = arr(dqkv);
        double[] dS = new double[T * T];
        for (long g = 0; g < groups; g++) {
            int qb = (int) (off(qkv) + g * T * 3 * D), pb = (int) (off(probs) + g * T * T), ob = (int) (off(dOut) + g * T * D);
            int db = (int) (off(dqkv) + g * T * 3 * D);
            for (int t = 0; t < T; t++) { // dS[t][u] = P (dP - sum_w P dP)
                double rowSum = 0;
                for (int u = 0; u < T; u++) {
                    double dp = 0;
                    for (int d = 0; d < D; d++) dp += (double) DO[ob + t * D + d] * Q[qb + u * 3 * D + 2 * D + d];
                    dS[t * T + u] = dp;
                    rowSum += P[pb + t * T + u] * dp;
                }
                for (int u = 0; u < T; u++) dS[t * T + u] = P[pb + t * T + u] * (dS[t * T + u] - rowSum);
            }
            for (int t = 0; t < T; t++)
                for (int d = 0; d < D; d++) {
                    double dq = 0, dk = 0, dv = 0;
                    for (int u = 0; u < T; u++) {
                        dq += dS[t * T + u] * Q[qb + u * 3 * D + D + d];
                        dk += dS[u * T + t] * Q[qb + u * 3 * D + d];
                        dv += (double) P[pb + u * T + t] * DO[ob + u * D + d];
                    }
                    DQ[db + t * 3 * D + d] = (float) (dq * scale);
                    DQ[db + t * 3 * D + D + d] = (float) (dk * scale);
                    DQ[db + t * 3 * D + 2 * D + d] = (float) dv;
                }
        }
    }

    // ---- SIRENs: each point's forward and backward in double, straight from the formulas ---------

    private static void needSiren(SirenShape s, Ptr weights, Ptr coords, String op) {
        need(weights, s.size(), op + " weights");
        need(coords, s.coordSize(), op + " coords");
    }

    /** Weight {@code k} of SIREN b's tensor at {@code base} (per-SIREN stride {@code per}). */
    private static double at(float[] W, int wo, long base, int b, int per, int k) {
        return W[(int) (wo + base + (long) b * per + k)];
    }

    /**
     * One point of SIREN b: fills z0, h0 (hidden), z1, h1 (hidden) and y (out) from x (in),
     * omega times the pre-activations in z0 and z1.
     */
    private static void sirenPoint(SirenShape s, float[] W, int wo, int b, float[] X, int xo, double[] z0, double[] h0, double[] z1, double[] h1,
                                   double[] y) {
        int I = s.in(), H = s.hidden(), K = s.out();
        for (int j = 0; j < H; j++) {
            double acc = at(W, wo, s.b0(), b, H, j);
            for (int i = 0; i < I; i++) acc += at(W, wo, s.w0(), b, H * I, j * I + i) * X[xo + i];
            z0[j] = s.omega0() * acc;
            h0[j] = Math.sin(z0[j]);
        }
        for (int j = 0; j < H; j++) {
            double acc = at(W, wo, s.b1(), b, H, j);
            for (int i = 0; i < H; i++) acc += at(W, wo, s.w1(), b, H * H, j * H + i) * h0[i];
            z1[j] = s.omega() * acc;
            h1[j] = Math.sin(z1[j]);
        }
        for (int k = 0; k < K; k++) {
            double acc = at(W, wo, s.b2(), b, K, k);
            for (int i = 0; i < H; i++) acc += at(W, wo, s.w2(), b, K * H, k * H + i) * h1[i];
            y[k] = acc;
        }
    }

    @Override
    public void siren(SirenShape s, Ptr weights, Ptr coords, Ptr out) {
        needSiren(s, weights, coords, "siren");
        need(out, s.outSize(), "siren out");
        int H = s.hidden(), K = s.out();
        float[] W = arr(weights), X = arr(coords), O = arr(out);
        double[] z0 = new double[H], h0 = new double[H], z1 = new double[H], h1 = new double[H], y = new double[K];
        for (int b = 0; b < s.batch(); b++)
            for (int p = 0; p < s.points(); p++) {
                sirenPoint(s, W, off(weights), b, X, off(coords) + p * s.in(), z0, h0, z1, h1, y);
                for (int k = 0; k < K; k++) O[off(out) + (b * s.points() + p) * K + k] = (float) y[k];
            }
    }

    @Override
    public void sirenBackward(SirenShape s, Ptr weights, Ptr coords, Ptr dOut, Ptr target, Ptr dWeights, Ptr loss) {
        s.checkCotangent(dOut, target, loss);
        needSiren(s, weights, coords, "sirenBackward");
        need(dOut, s.outSize(), "sirenBackward dOut");
        need(target, s.outSize(), "sirenBackward target");
        need(dWeights, s.size(), "sirenBackward dWeights");
        need(loss, s.batch(), "sirenBackward loss");
        int I = s.in(), H = s.hidden(), K = s.out(), P = s.points();
        float[] W = arr(weights), X = arr(coords), D = arr(dWeights);
        double[] z0 = new double[H], h0 = new double[H], z1 = new double[H], h1 = new double[H], y = new double[K];
        double[] g1 = new double[H], g0 = new double[H], g = new double[K];
        double scale = 2.0 / ((double) P * K);
        for (int b = 0; b < s.batch(); b++) {
            double[] dW0 = new double[H * I], db0 = new double[H], dW1 = new double[H * H], db1 = new double[H], dW2 = new double[K * H], db2 = new double[K];
            double sq = 0;
            for (int p = 0; p < P; p++) {
                sirenPoint(s, W, off(weights), b, X, off(coords) + p * I, z0, h0, z1, h1, y);
                int oi = (b * P + p) * K;
                for (int k = 0; k < K; k++) {
                    if (target != null) {
                        double e = y[k] - arr(target)[off(target) + oi + k];
                        sq += e * e;
                        g[k] = scale * e;
                    } else g[k] = arr(dOut)[off(dOut) + oi + k];
                    db2[k] += g[k];
                    for (int i = 0; i < H; i++) dW2[k * H + i] += g[k] * h1[i];
                }
                for (int j = 0; j < H; j++) { // d/dz of h1 = sin(omega (W1 h0 + b1)), per unit of (W1 h0 + b1)
                    double acc = 0;
                    for (int k = 0; k < K; k++) acc += g[k] * at(W, off(weights), s.w2(), b, K * H, k * H + j);
                    g1[j] = acc * s.omega() * Math.cos(z1[j]);
                    db1[j] += g1[j];
                    for (int i = 0; i < H; i++) dW1[j * H + i] += g1[j] * h0[i];
                }
                for (int i = 0; i < H; i++) {
                    double acc = 0;
                    for (int j = 0; j < H; j++) acc += g1[j] * at(W, off(weights), s.w1(), b, H * H, j * H + i);
                    g0[i] = acc * s.omega0() * Math.cos(z0[i]);
                    db0[i] += g0[i];
                    for (int c = 0; c < I; c++) dW0[i * I + c] += g0[i] * X[off(coords) + p * I + c];
                }
            }
            int d = off(dWeights);
            store(D, d + s.w0() + (long) b * H * I, dW0);
            store(D, d + s.b0() + (long) b * H, db0);
            store(D, d + s.w1() + (long) b * H * H, dW1);
            store(D, d + s.b1() + (long) b * H, db1);
            store(D, d + s.w2() + (long) b * K * H, dW2);
            store(D, d + s.b2() + (long) b * K, db2);
            if (loss != null) arr(loss)[off(loss) + b] = (float) (sq / ((double) P * K));
        }
    }

    private static void store(float[] dst, long at, double[] v) {
        for (int i = 0; i < v.length; i++) dst[(int) at + i] = (float) v[i];
    }

    @Override
    public void adamStep(long n, Ptr param, Ptr grad, Ptr m, Ptr v, AdamConfig cfg, long step) {
        need(param, n, "adam param");
        need(grad, n, "adam grad");
        need(m, n, "adam m");
        need(v, n, "adam v");
        float[] P = arr(param), G = arr(grad), M = arr(m), V = arr(v);
        int po = off(param), go = off(grad), mo = off(m), vo = off(v);
        double bc1 = 1 - Math.pow(cfg.beta1(), step), bc2 = 1 - Math.pow(cfg.beta2(), step);
        double stepSize = cfg.lr() / bc1, bc2Sqrt = Math.sqrt(bc2);
        for (int i = 0; i < n; i++) {
            double p = P[po + i], g = G[go + i];
            if (cfg.weightDecay() != 0) {
                if (cfg.decoupled()) p *= 1 - cfg.lr() * cfg.weightDecay();
                else g += cfg.weightDecay() * p;
            }
            double mi = cfg.beta1() * M[mo + i] + (1 - cfg.beta1()) * g;
            double vi = cfg.beta2() * V[vo + i] + (1 - cfg.beta2()) * g * g;
            M[mo + i] = (float) mi;
            V[vo + i] = (float) vi;
            // PyTorch: p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)
            P[po + i] = (float) (p - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + cfg.eps()));
        }
    }
}
