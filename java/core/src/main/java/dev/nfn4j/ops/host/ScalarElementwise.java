package dev.nfn4j.ops.host;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.AdamScalars;
import dev.nfn4j.ops.Ptr;

import static dev.nfn4j.ops.host.HostBuf.array;
import static dev.nfn4j.ops.host.HostBuf.offset;

/**
 * The scalar loops of the elementwise and strided ops, shared by the host backends: strided
 * copies, plane scaling, activations (in double) and the Adam update (in float32, as PyTorch).
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

    /**
     * {@link dev.nfn4j.ops.Ops#adamStep} in float32, with the operations and roundings of PyTorch
     * 1.13's single-tensor Adam and AdamW on an FMA-capable CPU (its AVX2 kernels): {@code
     * add(alpha)} and {@code addcmul} are fused multiply-adds there, {@code addcdiv} is not, and
     * every Python scalar is cast to float ({@link AdamScalars}). Bit-identical to torch.optim on
     * the same floats (AdamConformanceTest).
     */
    public static void adamStep(long n, Ptr param, Ptr grad, Ptr m, Ptr v, AdamConfig cfg, long step) {
        float[] P = array(param), G = array(grad), M = array(m), V = array(v);
        int po = offset(param), go = offset(grad), mo = offset(m), vo = offset(v);
        AdamScalars k = AdamScalars.of(cfg, step);
        for (int i = 0; i < n; i++) {
            float p = P[po + i], g = G[go + i];
            if (k.decay() != 1f) p = p * k.decay();                       // AdamW: param.mul_(1 - lr wd)
            if (k.l2() != 0f) g = Math.fma(p, k.l2(), g);                 // Adam: grad.add(param, alpha=wd)
            float mi = Math.fma(g, k.oneMinusBeta1(), M[mo + i] * k.beta1()); // exp_avg.mul_(b1).add_(grad, alpha=1-b1)
            float vi = Math.fma(g * k.oneMinusBeta2(), g, V[vo + i] * k.beta2()); // exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=1-b2)
            float denom = (float) Math.sqrt(vi) / k.bc2Sqrt() + k.eps();  // (exp_avg_sq.sqrt() / bc2_sqrt).add_(eps)
            M[mo + i] = mi;
            V[vo + i] = vi;
            P[po + i] = p + k.negStep() * mi / denom;                     // param.addcdiv_(exp_avg, denom, value=-step_size)
        }
    }
}
