package dev.nfn4j.ops.reference;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.ComposedMix;
import dev.nfn4j.ops.MixEpilogue;
import dev.nfn4j.ops.MixGrads;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.NormShape;
import dev.nfn4j.ops.OpArgs;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.SirenShape;
import dev.nfn4j.ops.host.HostMemory;
import dev.nfn4j.ops.host.PlaneStats;
import dev.nfn4j.ops.host.ScalarAttention;
import dev.nfn4j.ops.host.ScalarElementwise;
import dev.nfn4j.ops.host.ScalarNorm;

import java.util.Arrays;

import static dev.nfn4j.ops.OpArgs.need;
import static dev.nfn4j.ops.host.HostBuf.array;
import static dev.nfn4j.ops.host.HostBuf.offset;

/**
 * The oracle: plain scalar Java written straight from the {@link Ops} contracts, accumulating in
 * double, single-threaded. Readable first; every other backend is tested against it. The loops
 * the simd backend shares with it live in {@code dev.nfn4j.ops.host}.
 */
public final class ReferenceOps implements Ops, HostMemory {
    /** The reference backend; it holds no state beyond the buffers it allocates. */
    public ReferenceOps() {
    }

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public void fill(Ptr x, long n, float value) {
        need(x, n, "fill");
        Arrays.fill(array(x), offset(x), offset(x) + (int) n, value);
    }

    /** The sums with their terms, then the activation and the pools as ops of their own. */
    @Override
    public void channelMix(MixShape s, Ptr x, Ptr a, MixEpilogue e, Ptr y) {
        OpArgs.channelMix(s, x, a, e, y);
        int B = s.batch(), cin = s.cin(), cout = s.cout(), rows = s.rows(), cols = s.cols();
        long plane = s.plane();
        Ptr bias = e.bias(), row = e.row(), col = e.col(), glob = e.glob();
        float[] X = array(x), A = array(a), Y = array(y);
        int xo = offset(x), ao = offset(a), yo = offset(y);
        for (int b = 0; b < B; b++)
            for (int o = 0; o < cout; o++)
                for (int j = 0; j < rows; j++)
                    for (int k = 0; k < cols; k++) {
                        int p = j * cols + k;
                        double acc = 0;
                        for (int c = 0; c < cin; c++)
                            acc += (double) A[ao + o * cin + c] * X[(int) (xo + (b * cin + c) * plane + p)];
                        if (bias != null) acc += array(bias)[offset(bias) + o];
                        if (row != null) acc += array(row)[offset(row) + (b * cout + o) * cols + k];
                        if (col != null) acc += array(col)[offset(col) + (b * cout + o) * rows + j];
                        if (glob != null) acc += array(glob)[offset(glob) + b * cout + o];
                        Y[(int) (yo + (b * cout + o) * plane + p)] = (float) acc;
                    }
        ComposedMix.finish(this, s, e, false, false, y);
    }

    /** As its ops ({@link ComposedMix#backward}), the gradient before the activation in a buffer of its own. */
    @Override
    public void channelMixBackward(MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, MixGrads grads) {
        OpArgs.channelMixBackward(s, act, x, a, y, dy, grads);
        Ptr g = act == Act.IDENTITY ? null : alloc((long) s.batch() * s.cout() * s.plane()).at(0);
        ComposedMix.backward(this, s, x, a, act, y, dy, grads, g, this::linearBackward);
    }

    /** dx (+)= a^T g, da += sum g x^T, dbias += sum g; dx overwritten by zeroing it first. */
    private void linearBackward(MixShape s, Ptr x, Ptr a, Ptr dy, Ptr dx, boolean overwriteDx, Ptr da, Ptr dbias) {
        int B = s.batch(), cin = s.cin(), cout = s.cout();
        long plane = s.plane();
        if (overwriteDx && dx != null) fill(dx, B * cin * plane, 0f);
        float[] X = array(x), A = array(a), DY = array(dy);
        int xo = offset(x), ao = offset(a), dyo = offset(dy);
        if (dx != null) {
            float[] DX = array(dx);
            int dxo = offset(dx);
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
            float[] DA = array(da);
            int dao = offset(da);
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
            float[] DB = array(dbias);
            int dbo = offset(dbias);
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
        OpArgs.planeReduce(planes, rows, cols, x, rowOut, colOut, allOut);
        float[] X = array(x);
        int xo = offset(x);
        double sr = mean ? 1.0 / rows : 1, sc = mean ? 1.0 / cols : 1, sa = mean ? 1.0 / plane : 1;
        for (int p = 0; p < planes; p++) {
            int base = (int) (xo + p * plane);
            if (rowOut != null)
                for (int k = 0; k < cols; k++) {
                    double acc = 0;
                    for (int j = 0; j < rows; j++) acc += X[base + j * cols + k];
                    array(rowOut)[offset(rowOut) + p * cols + k] = (float) (acc * sr);
                }
            if (colOut != null)
                for (int j = 0; j < rows; j++) {
                    double acc = 0;
                    for (int k = 0; k < cols; k++) acc += X[base + j * cols + k];
                    array(colOut)[offset(colOut) + p * rows + j] = (float) (acc * sc);
                }
            if (allOut != null) {
                double acc = 0;
                for (int q = 0; q < plane; q++) acc += X[base + q];
                array(allOut)[offset(allOut) + p] = (float) (acc * sa);
            }
        }
    }

    @Override
    public void planeBroadcast(long planes, int rows, int cols, Ptr row, float sRow, Ptr col, float sCol, Ptr all, float sAll, Ptr dx) {
        long plane = (long) rows * cols;
        OpArgs.planeBroadcast(planes, rows, cols, row, col, all, dx);
        float[] DX = array(dx);
        int dxo = offset(dx);
        for (int p = 0; p < planes; p++)
            for (int j = 0; j < rows; j++)
                for (int k = 0; k < cols; k++) {
                    double acc = 0;
                    if (row != null) acc += (double) sRow * array(row)[offset(row) + p * cols + k];
                    if (col != null) acc += (double) sCol * array(col)[offset(col) + p * rows + j];
                    if (all != null) acc += (double) sAll * array(all)[offset(all) + p];
                    DX[(int) (dxo + p * plane + j * cols + k)] += (float) acc;
                }
    }
























    // ---- SIRENs: each point's forward and backward in double, straight from the formulas ---------

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
    public void copy4d(int[] dims, Ptr src, long[] ss, Ptr dst, long[] ds, boolean accumulate) {
        OpArgs.copy4d(dims, src, ss, dst, ds);
        ScalarElementwise.copy4d(dims, src, ss, dst, ds, accumulate);
    }

    @Override
    public void planeScale(long planes, int n, Ptr x, Ptr scale, Ptr y) {
        OpArgs.planeScale(planes, n, x, scale, y);
        ScalarElementwise.planeScale(planes, n, x, scale, y);
    }

    @Override
    public void activation(Act act, long n, Ptr x, Ptr y) {
        OpArgs.activation(n, x, y);
        ScalarElementwise.activation(act, n, x, y);
    }

    @Override
    public void activationBackward(Act act, long n, Ptr x, Ptr y, Ptr dy, Ptr dx) {
        OpArgs.activationBackward(n, x, dy, dx);
        ScalarElementwise.activationBackward(act, n, x, y, dy, dx);
    }

    @Override
    public void planeStats(long planes, int n, Ptr x, Ptr out) {
        OpArgs.planeStats(planes, n, x, out);
        PlaneStats.planeStats(planes, n, x, out);
    }

    @Override
    public void planeStatsBackward(long planes, int n, Ptr x, Ptr dOut, Ptr dx) {
        OpArgs.planeStatsBackward(planes, n, x, dOut, dx);
        PlaneStats.planeStatsBackward(planes, n, x, dOut, dx);
    }

    @Override
    public void layerNorm(NormShape s, Ptr x, Ptr gamma, Ptr beta, Ptr y) {
        OpArgs.layerNorm(s, x, gamma, beta, y);
        ScalarNorm.layerNorm(s, x, gamma, beta, y);
    }

    @Override
    public void layerNormBackward(NormShape s, Ptr x, Ptr gamma, Ptr dy, Ptr dx, Ptr dgamma, Ptr dbeta) {
        OpArgs.layerNormBackward(s, x, gamma, dy, dx, dgamma, dbeta);
        ScalarNorm.layerNormBackward(s, x, gamma, dy, dx, dgamma, dbeta);
    }

    @Override
    public void attention(long groups, int tokens, int dim, float scale, Ptr qkv, Ptr probs, Ptr out) {
        OpArgs.attention(groups, tokens, dim, qkv, probs, out);
        ScalarAttention.attention(groups, tokens, dim, scale, qkv, probs, out);
    }

    @Override
    public void attentionBackward(long groups, int tokens, int dim, float scale, Ptr qkv, Ptr probs, Ptr dOut, Ptr dqkv) {
        OpArgs.attentionBackward(groups, tokens, dim, qkv, probs, dOut, dqkv);
        ScalarAttention.attentionBackward(groups, tokens, dim, scale, qkv, probs, dOut, dqkv);
    }

    @Override
    public void siren(SirenShape s, Ptr weights, Ptr coords, Ptr out) {
        OpArgs.siren(s, weights, coords, out);
        int H = s.hidden(), K = s.out();
        float[] W = array(weights), X = array(coords), O = array(out);
        double[] z0 = new double[H], h0 = new double[H], z1 = new double[H], h1 = new double[H], y = new double[K];
        for (int b = 0; b < s.batch(); b++)
            for (int p = 0; p < s.points(); p++) {
                sirenPoint(s, W, offset(weights), b, X, offset(coords) + p * s.in(), z0, h0, z1, h1, y);
                for (int k = 0; k < K; k++) O[offset(out) + (b * s.points() + p) * K + k] = (float) y[k];
            }
    }

    @Override
    public void sirenBackward(SirenShape s, Ptr weights, Ptr coords, Ptr dOut, Ptr target, Ptr dWeights, Ptr loss) {
        OpArgs.sirenBackward(s, weights, coords, dOut, target, dWeights, loss);
        int I = s.in(), H = s.hidden(), K = s.out(), P = s.points();
        float[] W = array(weights), X = array(coords), D = array(dWeights);
        double[] z0 = new double[H], h0 = new double[H], z1 = new double[H], h1 = new double[H], y = new double[K];
        double[] g1 = new double[H], g0 = new double[H], g = new double[K];
        double scale = 2.0 / ((double) P * K);
        for (int b = 0; b < s.batch(); b++) {
            double[] dW0 = new double[H * I], db0 = new double[H], dW1 = new double[H * H], db1 = new double[H], dW2 = new double[K * H], db2 = new double[K];
            double sq = 0;
            for (int p = 0; p < P; p++) {
                sirenPoint(s, W, offset(weights), b, X, offset(coords) + p * I, z0, h0, z1, h1, y);
                int oi = (b * P + p) * K;
                for (int k = 0; k < K; k++) {
                    if (target != null) {
                        double e = y[k] - array(target)[offset(target) + oi + k];
                        sq += e * e;
                        g[k] = scale * e;
                    } else g[k] = array(dOut)[offset(dOut) + oi + k];
                    db2[k] += g[k];
                    for (int i = 0; i < H; i++) dW2[k * H + i] += g[k] * h1[i];
                }
                for (int j = 0; j < H; j++) { // d/dz of h1 = sin(omega (W1 h0 + b1)), per unit of (W1 h0 + b1)
                    double acc = 0;
                    for (int k = 0; k < K; k++) acc += g[k] * at(W, offset(weights), s.w2(), b, K * H, k * H + j);
                    g1[j] = acc * s.omega() * Math.cos(z1[j]);
                    db1[j] += g1[j];
                    for (int i = 0; i < H; i++) dW1[j * H + i] += g1[j] * h0[i];
                }
                for (int i = 0; i < H; i++) {
                    double acc = 0;
                    for (int j = 0; j < H; j++) acc += g1[j] * at(W, offset(weights), s.w1(), b, H * H, j * H + i);
                    g0[i] = acc * s.omega0() * Math.cos(z0[i]);
                    db0[i] += g0[i];
                    for (int c = 0; c < I; c++) dW0[i * I + c] += g0[i] * X[offset(coords) + p * I + c];
                }
            }
            int d = offset(dWeights);
            store(D, d + s.w0() + (long) b * H * I, dW0);
            store(D, d + s.b0() + (long) b * H, db0);
            store(D, d + s.w1() + (long) b * H * H, dW1);
            store(D, d + s.b1() + (long) b * H, db1);
            store(D, d + s.w2() + (long) b * K * H, dW2);
            store(D, d + s.b2() + (long) b * K, db2);
            if (loss != null) array(loss)[offset(loss) + b] = (float) (sq / ((double) P * K));
        }
    }

    private static void store(float[] dst, long at, double[] v) {
        for (int i = 0; i < v.length; i++) dst[(int) at + i] = (float) v[i];
    }



    @Override
    public void adamStep(long n, Ptr param, Ptr grad, Ptr m, Ptr v, AdamConfig cfg, long step) {
        OpArgs.adamStep(n, param, grad, m, v);
        ScalarElementwise.adamStep(n, param, grad, m, v, cfg, step);
    }
}
