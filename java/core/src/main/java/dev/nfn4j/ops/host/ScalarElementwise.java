package dev.nfn4j.ops.host;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Ptr;

import static dev.nfn4j.ops.host.HostBuf.array;
import static dev.nfn4j.ops.host.HostBuf.offset;

/**
 * The scalar loops of the elementwise and strided ops, shared by the host backends: strided
 * copies, plane scaling, activations and the Adam update, in double where the contracts say so.
 * Callers check the arguments ({@link dev.nfn4j.ops.OpArgs}).
 */
public final class ScalarElementwise {
    private ScalarElementwise() {}

    /** {@link dev.nfn4j.ops.Ops#copy4d}, in index order. */
    public static void copy4d(int[] dims, Ptr src, long[] ss, Ptr dst, long[] ds, boolean accumulate) {
        float[] S = array(src), D = array(dst);
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

    /** {@link dev.nfn4j.ops.Ops#planeScale}. */
    public static void planeScale(long planes, int n, Ptr x, Ptr scale, Ptr y) {
        float[] X = array(x), Y = array(y), S = array(scale);
        for (int p = 0; p < planes; p++)
            for (int q = 0; q < n; q++) {
                int i = (int) (p * (long) n + q);
                Y[offset(y) + i] = X[offset(x) + i] * S[offset(scale) + p];
            }
    }

    /** {@link dev.nfn4j.ops.Ops#activation}, computed in double. */
    public static void activation(Act act, long n, Ptr x, Ptr y) {
        float[] X = array(x), Y = array(y);
        int xo = offset(x), yo = offset(y);
        for (int i = 0; i < n; i++) Y[yo + i] = (float) Activations.apply(act, X[xo + i]);
    }

    /** {@link dev.nfn4j.ops.Ops#activationBackward}, computed in double. */
    public static void activationBackward(Act act, long n, Ptr x, Ptr y, Ptr dy, Ptr dx) {
        float[] X = array(x), DY = array(dy), DX = array(dx);
        int xo = offset(x), dyo = offset(dy), dxo = offset(dx);
        for (int i = 0; i < n; i++) DX[dxo + i] = (float) (DY[dyo + i] * Activations.derivative(act, X[xo + i]));
    }

    /** {@link dev.nfn4j.ops.Ops#adamStep}, updated in double. */
    public static void adamStep(long n, Ptr param, Ptr grad, Ptr m, Ptr v, AdamConfig cfg, long step) {
        float[] P = array(param), G = array(grad), M = array(m), V = array(v);
        int po = offset(param), go = offset(grad), mo = offset(m), vo = offset(v);
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
