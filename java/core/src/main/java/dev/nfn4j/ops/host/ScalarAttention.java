package dev.nfn4j.ops.host;

import dev.nfn4j.ops.Ptr;

import static dev.nfn4j.ops.host.HostBuf.array;
import static dev.nfn4j.ops.host.HostBuf.offset;

/** Softmax attention and its backward as scalar loops in double, shared by the host backends; callers check the arguments. */
public final class ScalarAttention {
    private ScalarAttention() {}

    /** {@link dev.nfn4j.ops.Ops#attention}. */
    public static void attention(long groups, int T, int D, float scale, Ptr qkv, Ptr probs, Ptr out) {
        float[] Q = array(qkv), P = array(probs), O = array(out);
        double[] row = new double[T];
        for (long g = 0; g < groups; g++) {
            int qb = (int) (offset(qkv) + g * T * 3 * D), pb = (int) (offset(probs) + g * T * T), ob = (int) (offset(out) + g * T * D);
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

    /** {@link dev.nfn4j.ops.Ops#attentionBackward}. */
    public static void attentionBackward(long groups, int T, int D, float scale, Ptr qkv, Ptr probs, Ptr dOut, Ptr dqkv) {
        float[] Q = array(qkv), P = array(probs), DO = array(dOut), DQ = array(dqkv);
        double[] dS = new double[T * T];
        for (long g = 0; g < groups; g++) {
            int qb = (int) (offset(qkv) + g * T * 3 * D), pb = (int) (offset(probs) + g * T * T), ob = (int) (offset(dOut) + g * T * D);
            int db = (int) (offset(dqkv) + g * T * 3 * D);
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
}
