package dev.nfn4j.ops.simd;

import dev.nfn4j.ops.SirenShape;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import static dev.nfn4j.ops.simd.Lanes.S;
import static dev.nfn4j.ops.simd.Lanes.V;

/**
 * The SIREN op for one SIREN at a time (the backend runs one task per SIREN): forward, and
 * forward + backward with respect to the weights in one pass over the points, tile by tile, so
 * nothing but the SIREN's own weights and gradients lives longer than a tile.
 *
 * <p>Layout: point-major, vectors along the hidden units ({@code [tile points][Hp]}, the hidden
 * width padded to whole vectors with zero weights, whose units stay at sin(0) = 0 and get no
 * gradient out). Per tile of {@link #T} points:
 * <pre>
 * h0, c0 = sin, cos(omega0 (W0 x + b0))                 [T][Hp]
 * h1, c1 = sin, cos(omega (W1 h0 + b1))                 [T][Hp]   (4 points x 2 vectors register blocks)
 * y = W2 h1 + b2, g = dOut or 2 (y - target) / (P K)    [T][K]
 * g1 = omega c1 (W2^T g)                                [T][Hp]   (into c1); db1, dW2, db2 accumulate
 * dW1 += g1^T h0                                        [Hp][Hp]  (4 rows x 2 vectors, summed over the tile's points in order)
 * g0 = omega0 c0 (g1 W1)                                [T][Hp]   (4 points x 2 vectors); db0, dW0 accumulate
 * </pre>
 * Every sum runs in a fixed order that depends only on the shape, so a SIREN's results do not
 * depend on the thread count or on which other SIRENs share its batch. sin and cos are
 * {@link #sinCos}: a Cody-Waite reduction by pi/2 and Cephes' minimax polynomials, all in float
 * FMAs (exactly specified, so the interpreter and the JIT agree), the same operations as
 * {@code kernels/siren.cu}.
 */
final class SirenKernel {
    /** Points per tile: four [T][Hp] float arrays stay in the L1 cache for Hp = 32. */
    static final int T = 32;

    // sin/cos: k = rint(z 2/pi) by the 1.5 * 2^23 trick (its low bits are k mod 4), r = z - k pi/2
    // in three parts, then sin r and cos r on [-pi/4, pi/4] (Cephes sinf/cosf).
    static final float TWO_OVER_PI = 0x1.45f306p-1f, ROUND = 0x1.8p23f;
    static final float PIO2_1 = 0x1.921fb6p+0f, PIO2_2 = -0x1.777a5cp-25f, PIO2_3 = -0x1.ee59dap-50f;
    static final float S1 = -0x1.555546p-3f, S2 = 0x1.11073cp-7f, S3 = -0x1.9943f2p-13f;
    static final float C1 = 0x1.55554ap-5f, C2 = -0x1.6c0c34p-10f, C3 = 0x1.99eb9cp-16f;

    /**
     * Per-thread work arrays for one shape. The padding (hidden units H .. Hp) must stay zero, so
     * a Work serves only its own H, not every H with the same padded width.
     */
    static final class Work {
        final int H, Hp, I, K;
        final float[] w0t, b0, w1t, w1, b1, w2, b2;   // weights, padded: W0^T [I][Hp], W1^T [Hp][Hp] ([i][o]), W1 [Hp][Hp] ([o][i]), W2 [K][Hp]
        final float[] dw0t, db0, dw1, db1, dw2;       // gradients, the same layouts (dW1 [o][i])
        final double[] db2;
        final float[] h0, c0, h1, c1, g;              // a tile: [T][Hp] and g [T][K]

        Work(int H, int Hp, int I, int K) {
            this.H = H;
            this.Hp = Hp;
            this.I = I;
            this.K = K;
            w0t = new float[I * Hp];
            b0 = new float[Hp];
            w1t = new float[Hp * Hp];
            w1 = new float[Hp * Hp];
            b1 = new float[Hp];
            w2 = new float[K * Hp];
            b2 = new float[K];
            dw0t = new float[I * Hp];
            db0 = new float[Hp];
            dw1 = new float[Hp * Hp];
            db1 = new float[Hp];
            dw2 = new float[K * Hp];
            db2 = new double[K];
            h0 = new float[T * Hp];
            c0 = new float[T * Hp];
            h1 = new float[T * Hp];
            c1 = new float[T * Hp];
            g = new float[T * K];
        }

        boolean fits(SirenShape s) {
            return H == s.hidden() && I == s.in() && K == s.out();
        }
    }

    private static final ThreadLocal<Work> WORK = new ThreadLocal<>();

    static int padded(int hidden) {
        return (hidden + V - 1) / V * V;
    }

    private static Work work(SirenShape s) {
        Work w = WORK.get();
        if (w == null || !w.fits(s)) WORK.set(w = new Work(s.hidden(), padded(s.hidden()), s.in(), s.out()));
        return w;
    }

    private SirenKernel() {
    }

    /**
     * SIREN b of the batch: its outputs (out != null: forward only, {@code out[oo + p K + k]}) or
     * its weight gradients into dW (at the batch layout's offsets from dwo) from the cotangent
     * dOut or the MSE gradient against tgt; returns the SIREN's mean squared error against tgt
     * (0 without one).
     */
    static double run(SirenShape s, int b, float[] W, int wo, float[] X, int xo, float[] out, int oo, float[] dOut, int dOo,
                      float[] tgt, int to, float[] dW, int dwo) {
        Work w = work(s);
        load(s, b, W, wo, w);
        boolean backward = out == null;
        if (backward) clearGrads(w);
        int P = s.points(), K = s.out();
        double sq = 0;
        float scale = (float) (2.0 / ((double) P * K));
        for (int p0 = 0; p0 < P; p0 += T) {
            int n = Math.min(T, P - p0);
            layer0(s, w, X, xo, p0, n, backward);
            layer1(s, w, n, backward);
            if (!backward) {
                outputs(s, w, n, out, oo + p0 * K);
                continue;
            }
            sq += outputGrads(s, w, n, dOut, dOut == null ? 0 : dOo + p0 * K, tgt, tgt == null ? 0 : to + p0 * K, scale);
            hiddenWeightGrad(s, w, n);
            inputGrads(s, w, X, xo, p0, n);
        }
        if (backward) store(s, b, w, dW, dwo);
        return sq / ((double) P * K);
    }

    /** SIREN b's weights into the padded work arrays. */
    private static void load(SirenShape s, int b, float[] W, int wo, Work w) {
        int I = s.in(), H = s.hidden(), K = s.out(), Hp = w.Hp;
        int w0 = (int) (wo + s.w0() + (long) b * H * I), b0 = (int) (wo + s.b0() + (long) b * H), w1 = (int) (wo + s.w1() + (long) b * H * H);
        int b1 = (int) (wo + s.b1() + (long) b * H), w2 = (int) (wo + s.w2() + (long) b * K * H), b2 = (int) (wo + s.b2() + (long) b * K);
        for (int o = 0; o < H; o++) {
            for (int i = 0; i < I; i++) w.w0t[i * Hp + o] = W[w0 + o * I + i];
            w.b0[o] = W[b0 + o];
            w.b1[o] = W[b1 + o];
            for (int i = 0; i < H; i++) {
                float v = W[w1 + o * H + i];
                w.w1[o * Hp + i] = v;
                w.w1t[i * Hp + o] = v;
            }
        }
        for (int k = 0; k < K; k++) {
            System.arraycopy(W, w2 + k * H, w.w2, k * Hp, H);
            w.b2[k] = W[b2 + k];
        }
    }

    private static void clearGrads(Work w) {
        java.util.Arrays.fill(w.dw0t, 0f);
        java.util.Arrays.fill(w.db0, 0f);
        java.util.Arrays.fill(w.dw1, 0f);
        java.util.Arrays.fill(w.db1, 0f);
        java.util.Arrays.fill(w.dw2, 0f);
        java.util.Arrays.fill(w.db2, 0.0);
    }

    /** The padded gradients out to SIREN b's place in the batch layout. */
    private static void store(SirenShape s, int b, Work w, float[] D, int dwo) {
        int I = s.in(), H = s.hidden(), K = s.out(), Hp = w.Hp;
        int w0 = (int) (dwo + s.w0() + (long) b * H * I), b0 = (int) (dwo + s.b0() + (long) b * H), w1 = (int) (dwo + s.w1() + (long) b * H * H);
        int b1 = (int) (dwo + s.b1() + (long) b * H), w2 = (int) (dwo + s.w2() + (long) b * K * H), b2 = (int) (dwo + s.b2() + (long) b * K);
        for (int o = 0; o < H; o++) {
            for (int i = 0; i < I; i++) D[w0 + o * I + i] = w.dw0t[i * Hp + o];
            D[b0 + o] = w.db0[o];
            D[b1 + o] = w.db1[o];
            System.arraycopy(w.dw1, o * Hp, D, w1 + o * H, H);
        }
        for (int k = 0; k < K; k++) {
            System.arraycopy(w.dw2, k * Hp, D, w2 + k * H, H);
            D[b2 + k] = (float) w.db2[k];
        }
    }

    /** h0 (and c0) of the tile's points p0 .. p0 + n. */
    private static void layer0(SirenShape s, Work w, float[] X, int xo, int p0, int n, boolean cos) {
        int I = s.in(), Hp = w.Hp;
        for (int t = 0; t < n; t++) {
            int x = xo + (p0 + t) * I;
            for (int v = 0; v < Hp; v += V) {
                FloatVector z = FloatVector.fromArray(S, w.b0, v);
                for (int i = 0; i < I; i++) z = FloatVector.fromArray(S, w.w0t, i * Hp + v).fma(FloatVector.broadcast(S, X[x + i]), z);
                z = z.mul(s.omega0());
                if (cos) sinCos(z, w.h0, w.c0, t * Hp + v);
                else sin(z, w.h0, t * Hp + v);
            }
        }
    }

    /** h1 (and c1) of the tile from h0: 4 points x 2 vectors register blocks, single ones for the rest. */
    private static void layer1(SirenShape s, Work w, int n, boolean cos) {
        int H = s.hidden(), Hp = w.Hp;
        float om = s.omega();
        float[] h0 = w.h0, wt = w.w1t;
        int v = 0;
        for (; v + 2 * V <= Hp; v += 2 * V) {
            FloatVector bias0 = FloatVector.fromArray(S, w.b1, v), bias1 = FloatVector.fromArray(S, w.b1, v + V);
            int t = 0;
            for (; t + 4 <= n; t += 4) {
                FloatVector a00 = bias0, a01 = bias1, a10 = bias0, a11 = bias1, a20 = bias0, a21 = bias1, a30 = bias0, a31 = bias1;
                int r0 = t * Hp, r1 = r0 + Hp, r2 = r1 + Hp, r3 = r2 + Hp;
                for (int i = 0; i < H; i++) {
                    FloatVector q0 = FloatVector.fromArray(S, wt, i * Hp + v), q1 = FloatVector.fromArray(S, wt, i * Hp + v + V);
                    float x0 = h0[r0 + i], x1 = h0[r1 + i], x2 = h0[r2 + i], x3 = h0[r3 + i];
                    a00 = q0.fma(FloatVector.broadcast(S, x0), a00);
                    a01 = q1.fma(FloatVector.broadcast(S, x0), a01);
                    a10 = q0.fma(FloatVector.broadcast(S, x1), a10);
                    a11 = q1.fma(FloatVector.broadcast(S, x1), a11);
                    a20 = q0.fma(FloatVector.broadcast(S, x2), a20);
                    a21 = q1.fma(FloatVector.broadcast(S, x2), a21);
                    a30 = q0.fma(FloatVector.broadcast(S, x3), a30);
                    a31 = q1.fma(FloatVector.broadcast(S, x3), a31);
                }
                act(a00.mul(om), w, r0 + v, cos);
                act(a01.mul(om), w, r0 + v + V, cos);
                act(a10.mul(om), w, r1 + v, cos);
                act(a11.mul(om), w, r1 + v + V, cos);
                act(a20.mul(om), w, r2 + v, cos);
                act(a21.mul(om), w, r2 + v + V, cos);
                act(a30.mul(om), w, r3 + v, cos);
                act(a31.mul(om), w, r3 + v + V, cos);
            }
            for (; t < n; t++) {
                layer1One(s, w, t, v, cos);
                layer1One(s, w, t, v + V, cos);
            }
        }
        for (; v < Hp; v += V) for (int t = 0; t < n; t++) layer1One(s, w, t, v, cos);
    }

    private static void layer1One(SirenShape s, Work w, int t, int v, boolean cos) {
        int H = s.hidden(), Hp = w.Hp, r = t * Hp;
        FloatVector a = FloatVector.fromArray(S, w.b1, v);
        for (int i = 0; i < H; i++) a = FloatVector.fromArray(S, w.w1t, i * Hp + v).fma(FloatVector.broadcast(S, w.h0[r + i]), a);
        act(a.mul(s.omega()), w, r + v, cos);
    }

    private static void act(FloatVector z, Work w, int at, boolean cos) {
        if (cos) sinCos(z, w.h1, w.c1, at);
        else sin(z, w.h1, at);
    }

    /** y = W2 h1 + b2 of the tile's points, to out. */
    private static void outputs(SirenShape s, Work w, int n, float[] out, int oo) {
        int K = s.out();
        for (int t = 0; t < n; t++)
            for (int k = 0; k < K; k++) out[oo + t * K + k] = output(w, t, k);
    }

    private static float output(Work w, int t, int k) {
        int Hp = w.Hp;
        FloatVector acc = FloatVector.zero(S);
        for (int v = 0; v < Hp; v += V) acc = FloatVector.fromArray(S, w.h1, t * Hp + v).fma(FloatVector.fromArray(S, w.w2, k * Hp + v), acc);
        return Lanes.sumLanes(acc) + w.b2[k];
    }

    /**
     * The output layer's backward for the tile: g (the cotangent of y), dW2 and db2, and
     * g1 = omega c1 (W2^T g) into c1, db1. Returns the tile's sum of squared errors.
     */
    private static double outputGrads(SirenShape s, Work w, int n, float[] dOut, int dOo, float[] tgt, int to, float scale) {
        int K = s.out(), Hp = w.Hp;
        double sq = 0;
        for (int t = 0; t < n; t++) {
            for (int k = 0; k < K; k++) {
                float gk;
                if (tgt != null) {
                    float e = output(w, t, k) - tgt[to + t * K + k];
                    sq += (double) e * e;
                    gk = scale * e;
                } else gk = dOut[dOo + t * K + k];
                w.g[t * K + k] = gk;
                w.db2[k] += gk;
                for (int v = 0; v < Hp; v += V)
                    FloatVector.fromArray(S, w.h1, t * Hp + v).fma(FloatVector.broadcast(S, gk), FloatVector.fromArray(S, w.dw2, k * Hp + v)).intoArray(w.dw2, k * Hp + v);
            }
            for (int v = 0; v < Hp; v += V) {
                FloatVector d = FloatVector.zero(S);
                for (int k = 0; k < K; k++) d = FloatVector.fromArray(S, w.w2, k * Hp + v).fma(FloatVector.broadcast(S, w.g[t * K + k]), d);
                FloatVector g1 = d.mul(FloatVector.fromArray(S, w.c1, t * Hp + v)).mul(s.omega());
                g1.intoArray(w.c1, t * Hp + v);
                FloatVector.fromArray(S, w.db1, v).add(g1).intoArray(w.db1, v);
            }
        }
        return sq;
    }

    /** dW1[o][i] += sum over the tile's points of g1[t][o] h0[t][i]: 4 rows x 2 vectors blocks. */
    private static void hiddenWeightGrad(SirenShape s, Work w, int n) {
        int Hp = w.Hp;
        float[] g1 = w.c1, h0 = w.h0, d = w.dw1;
        int v = 0;
        for (; v + 2 * V <= Hp; v += 2 * V)
            for (int o = 0; o < Hp; o += 4) { // Hp is a multiple of 4
                int d0 = o * Hp + v, d1 = d0 + Hp, d2 = d1 + Hp, d3 = d2 + Hp;
                FloatVector a00 = FloatVector.fromArray(S, d, d0), a01 = FloatVector.fromArray(S, d, d0 + V);
                FloatVector a10 = FloatVector.fromArray(S, d, d1), a11 = FloatVector.fromArray(S, d, d1 + V);
                FloatVector a20 = FloatVector.fromArray(S, d, d2), a21 = FloatVector.fromArray(S, d, d2 + V);
                FloatVector a30 = FloatVector.fromArray(S, d, d3), a31 = FloatVector.fromArray(S, d, d3 + V);
                for (int t = 0; t < n; t++) {
                    int r = t * Hp;
                    FloatVector q0 = FloatVector.fromArray(S, h0, r + v), q1 = FloatVector.fromArray(S, h0, r + v + V);
                    float x0 = g1[r + o], x1 = g1[r + o + 1], x2 = g1[r + o + 2], x3 = g1[r + o + 3];
                    a00 = q0.fma(FloatVector.broadcast(S, x0), a00);
                    a01 = q1.fma(FloatVector.broadcast(S, x0), a01);
                    a10 = q0.fma(FloatVector.broadcast(S, x1), a10);
                    a11 = q1.fma(FloatVector.broadcast(S, x1), a11);
                    a20 = q0.fma(FloatVector.broadcast(S, x2), a20);
                    a21 = q1.fma(FloatVector.broadcast(S, x2), a21);
                    a30 = q0.fma(FloatVector.broadcast(S, x3), a30);
                    a31 = q1.fma(FloatVector.broadcast(S, x3), a31);
                }
                a00.intoArray(d, d0);
                a01.intoArray(d, d0 + V);
                a10.intoArray(d, d1);
                a11.intoArray(d, d1 + V);
                a20.intoArray(d, d2);
                a21.intoArray(d, d2 + V);
                a30.intoArray(d, d3);
                a31.intoArray(d, d3 + V);
            }
        for (; v < Hp; v += V)
            for (int o = 0; o < Hp; o++) {
                FloatVector a = FloatVector.fromArray(S, d, o * Hp + v);
                for (int t = 0; t < n; t++) a = FloatVector.fromArray(S, h0, t * Hp + v).fma(FloatVector.broadcast(S, g1[t * Hp + o]), a);
                a.intoArray(d, o * Hp + v);
            }
    }

    /** g0 = omega0 c0 (g1 W1) for the tile (4 points x 2 vectors blocks), then db0 and dW0. */
    private static void inputGrads(SirenShape s, Work w, float[] X, int xo, int p0, int n) {
        int H = s.hidden(), Hp = w.Hp;
        float[] g1 = w.c1, w1 = w.w1;
        int v = 0;
        for (; v + 2 * V <= Hp; v += 2 * V) {
            int t = 0;
            for (; t + 4 <= n; t += 4) {
                FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
                int r0 = t * Hp, r1 = r0 + Hp, r2 = r1 + Hp, r3 = r2 + Hp;
                for (int o = 0; o < H; o++) {
                    FloatVector q0 = FloatVector.fromArray(S, w1, o * Hp + v), q1 = FloatVector.fromArray(S, w1, o * Hp + v + V);
                    float x0 = g1[r0 + o], x1 = g1[r1 + o], x2 = g1[r2 + o], x3 = g1[r3 + o];
                    a00 = q0.fma(FloatVector.broadcast(S, x0), a00);
                    a01 = q1.fma(FloatVector.broadcast(S, x0), a01);
                    a10 = q0.fma(FloatVector.broadcast(S, x1), a10);
                    a11 = q1.fma(FloatVector.broadcast(S, x1), a11);
                    a20 = q0.fma(FloatVector.broadcast(S, x2), a20);
                    a21 = q1.fma(FloatVector.broadcast(S, x2), a21);
                    a30 = q0.fma(FloatVector.broadcast(S, x3), a30);
                    a31 = q1.fma(FloatVector.broadcast(S, x3), a31);
                }
                inputGrad(s, w, X, xo, p0, t, v, a00);
                inputGrad(s, w, X, xo, p0, t, v + V, a01);
                inputGrad(s, w, X, xo, p0, t + 1, v, a10);
                inputGrad(s, w, X, xo, p0, t + 1, v + V, a11);
                inputGrad(s, w, X, xo, p0, t + 2, v, a20);
                inputGrad(s, w, X, xo, p0, t + 2, v + V, a21);
                inputGrad(s, w, X, xo, p0, t + 3, v, a30);
                inputGrad(s, w, X, xo, p0, t + 3, v + V, a31);
            }
            for (; t < n; t++) {
                inputGradOne(s, w, X, xo, p0, t, v);
                inputGradOne(s, w, X, xo, p0, t, v + V);
            }
        }
        for (; v < Hp; v += V) for (int t = 0; t < n; t++) inputGradOne(s, w, X, xo, p0, t, v);
    }

    private static void inputGradOne(SirenShape s, Work w, float[] X, int xo, int p0, int t, int v) {
        int H = s.hidden(), Hp = w.Hp;
        FloatVector a = FloatVector.zero(S);
        for (int o = 0; o < H; o++) a = FloatVector.fromArray(S, w.w1, o * Hp + v).fma(FloatVector.broadcast(S, w.c1[t * Hp + o]), a);
        inputGrad(s, w, X, xo, p0, t, v, a);
    }

    /** From dh0 (W1^T g1 at tile point t, hidden units v ..): g0, then db0 and dW0 accumulate. */
    private static void inputGrad(SirenShape s, Work w, float[] X, int xo, int p0, int t, int v, FloatVector dh0) {
        int I = s.in(), Hp = w.Hp;
        FloatVector g0 = dh0.mul(FloatVector.fromArray(S, w.c0, t * Hp + v)).mul(s.omega0());
        FloatVector.fromArray(S, w.db0, v).add(g0).intoArray(w.db0, v);
        int x = xo + (p0 + t) * I;
        for (int i = 0; i < I; i++) g0.fma(FloatVector.broadcast(S, X[x + i]), FloatVector.fromArray(S, w.dw0t, i * Hp + v)).intoArray(w.dw0t, i * Hp + v);
    }

    // ---- sin and cos ----------------------------------------------------------------------------

    /** sin z to h[at ..] and cos z to c[at ..]. */
    static void sinCos(FloatVector z, float[] h, float[] c, int at) {
        FloatVector t = z.fma(TWO_OVER_PI, ROUND);               // ROUND + rint(z 2/pi)
        FloatVector k = t.sub(ROUND);
        IntVector q = t.reinterpretAsInts().and(3);                 // the quadrant, k mod 4
        FloatVector nk = k.neg();
        FloatVector r = nk.fma(FloatVector.broadcast(S, PIO2_1), z);
        r = nk.fma(FloatVector.broadcast(S, PIO2_2), r);
        r = nk.fma(FloatVector.broadcast(S, PIO2_3), r);
        FloatVector r2 = r.mul(r);
        FloatVector sp = r2.fma(S3, S2);
        sp = r2.fma(sp, FloatVector.broadcast(S, S1));
        FloatVector sr = r.mul(r2).fma(sp, r);                     // sin r
        FloatVector cp = r2.fma(C3, C2);
        cp = r2.fma(cp, FloatVector.broadcast(S, C1));
        FloatVector cr = r2.mul(r2).fma(cp, r2.fma(-0.5f, 1f));   // cos r
        IntVector odd = q.and(1).neg();                              // all ones where the quadrant is odd: swap sin and cos
        IntVector si = sr.reinterpretAsInts(), ci = cr.reinterpretAsInts();
        IntVector sv = si.lanewise(VectorOperators.BITWISE_BLEND, ci, odd), cv = ci.lanewise(VectorOperators.BITWISE_BLEND, si, odd);
        IntVector sSign = q.and(2).lanewise(VectorOperators.LSHL, 30), cSign = q.add(1).and(2).lanewise(VectorOperators.LSHL, 30);
        sv.lanewise(VectorOperators.XOR, sSign).reinterpretAsFloats().intoArray(h, at);
        cv.lanewise(VectorOperators.XOR, cSign).reinterpretAsFloats().intoArray(c, at);
    }

    /** sin z to h[at ..]: {@link #sinCos}'s sine. */
    static void sin(FloatVector z, float[] h, int at) {
        FloatVector t = z.fma(TWO_OVER_PI, ROUND);
        FloatVector k = t.sub(ROUND);
        IntVector q = t.reinterpretAsInts().and(3);
        FloatVector nk = k.neg();
        FloatVector r = nk.fma(FloatVector.broadcast(S, PIO2_1), z);
        r = nk.fma(FloatVector.broadcast(S, PIO2_2), r);
        r = nk.fma(FloatVector.broadcast(S, PIO2_3), r);
        FloatVector r2 = r.mul(r);
        FloatVector sp = r2.fma(S3, S2);
        sp = r2.fma(sp, FloatVector.broadcast(S, S1));
        FloatVector sr = r.mul(r2).fma(sp, r);
        FloatVector cp = r2.fma(C3, C2);
        cp = r2.fma(cp, FloatVector.broadcast(S, C1));
        FloatVector cr = r2.mul(r2).fma(cp, r2.fma(-0.5f, 1f));
        IntVector odd = q.and(1).neg();
        IntVector sv = sr.reinterpretAsInts().lanewise(VectorOperators.BITWISE_BLEND, cr.reinterpretAsInts(), odd);
        sv.lanewise(VectorOperators.XOR, q.and(2).lanewise(VectorOperators.LSHL, 30)).reinterpretAsFloats().intoArray(h, at);
    }

    /** The scalar form of {@link #sinCos}'s sine (the same operations; tests). */
    static float sinScalar(float z) {
        float t = Math.fma(z, TWO_OVER_PI, ROUND), k = t - ROUND;
        int q = Float.floatToRawIntBits(t) & 3;
        float r = Math.fma(-k, PIO2_1, z);
        r = Math.fma(-k, PIO2_2, r);
        r = Math.fma(-k, PIO2_3, r);
        float r2 = r * r;
        float sr = Math.fma(r * r2, Math.fma(r2, Math.fma(r2, S3, S2), S1), r);
        float cr = Math.fma(r2 * r2, Math.fma(r2, Math.fma(r2, C3, C2), C1), Math.fma(r2, -0.5f, 1f));
        float v = (q & 1) != 0 ? cr : sr;
        return (q & 2) != 0 ? -v : v;
    }
}
