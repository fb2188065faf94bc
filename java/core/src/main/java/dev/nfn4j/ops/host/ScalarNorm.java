package dev.nfn4j.ops.host;

import dev.nfn4j.ops.NormShape;
import dev.nfn4j.ops.Ptr;

import static dev.nfn4j.ops.host.HostBuf.array;
import static dev.nfn4j.ops.host.HostBuf.offset;

/** Layer normalisation and its backward as scalar loops in double, shared by the host backends; callers check the arguments. */
public final class ScalarNorm {
    private ScalarNorm() {}

    /** {@link dev.nfn4j.ops.Ops#layerNorm}. */
    public static void layerNorm(NormShape s, Ptr x, Ptr gamma, Ptr beta, Ptr y) {
        int A = s.a(), G = s.groups(), I = s.inner(), n = s.n();
        float[] X = array(x), Y = array(y), GA = array(gamma), BE = array(beta);
        int xo = offset(x), yo = offset(y), go = offset(gamma), bo = offset(beta);
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

    /** {@link dev.nfn4j.ops.Ops#layerNormBackward}. */
    public static void layerNormBackward(NormShape s, Ptr x, Ptr gamma, Ptr dy, Ptr dx, Ptr dgamma, Ptr dbeta) {
        int A = s.a(), G = s.groups(), I = s.inner(), n = s.n();
        float[] X = array(x), DY = array(dy), GA = array(gamma);
        int xo = offset(x), dyo = offset(dy), go = offset(gamma);
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
                float[] DX = array(dx);
                for (int a = 0; a < A; a++)
                    for (int i = 0; i < I; i++) {
                        int e = base + a * G * I + i;
                        DX[offset(dx) + e] = (float) (r * ((double) DY[dyo + e] * GA[go + a * I + i] - meanG) + c * (X[xo + e] - mean));
                    }
            }
        if (dgamma != null) for (int p = 0; p < n; p++) array(dgamma)[offset(dgamma) + p] += (float) dGamma[p];
        if (dbeta != null) for (int p = 0; p < n; p++) array(dbeta)[offset(dbeta) + p] += (float) dBeta[p];
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
}
