package dev.nfn4j.ops.host;

import dev.nfn4j.ops.Ptr;

import java.util.Arrays;

import static dev.nfn4j.ops.host.HostBuf.array;
import static dev.nfn4j.ops.host.HostBuf.offset;

/**
 * The StatNN statistics of one plane, as nfn's StatFeaturizer computes them with torch:
 * mean, unbiased variance and quantiles 0, .25, .5, .75, 1 (linear interpolation between the
 * sorted values at floor and ceil of q*(n-1)). The op-level loops are shared by the host
 * backends; callers check the arguments.
 */
public final class PlaneStats {
    static final double[] QUANTILES = {0, 0.25, 0.5, 0.75, 1};

    private PlaneStats() {}

    /** {@link dev.nfn4j.ops.Ops#planeStats}, plane by plane. */
    public static void planeStats(long planes, int n, Ptr x, Ptr out) {
        float[] X = array(x), O = array(out);
        double[] sorted = new double[n];
        for (int p = 0; p < planes; p++) {
            int base = (int) (offset(x) + p * n);
            double[] st = PlaneStats.stats(X, base, n, sorted);
            for (int q = 0; q < 7; q++) O[offset(out) + p * 7 + q] = (float) st[q];
        }
    }

    /** {@link dev.nfn4j.ops.Ops#planeStatsBackward}, plane by plane. */
    public static void planeStatsBackward(long planes, int n, Ptr x, Ptr dOut, Ptr dx) {
        float[] X = array(x), G = array(dOut), DX = array(dx);
        double[] grad = new double[n];
        for (int p = 0; p < planes; p++) {
            int base = (int) (offset(x) + p * n);
            PlaneStats.backward(X, base, n, G, (int) (offset(dOut) + p * 7), grad);
            for (int i = 0; i < n; i++) DX[(int) (offset(dx) + p * n + i)] += (float) grad[i];
        }
    }

    /** Returns the 7 statistics of x[base..base+n); {@code scratch} has length >= n. */
    static double[] stats(float[] x, int base, int n, double[] scratch) {
        double[] out = new double[7];
        double mean = 0;
        for (int i = 0; i < n; i++) mean += x[base + i];
        mean /= n;
        double ss = 0;
        for (int i = 0; i < n; i++) {
            double d = x[base + i] - mean;
            ss += d * d;
        }
        out[0] = mean;
        out[1] = n > 1 ? ss / (n - 1) : Double.NaN; // torch.var of one value is nan
        for (int i = 0; i < n; i++) scratch[i] = x[base + i];
        Arrays.sort(scratch, 0, n);
        for (int q = 0; q < 5; q++) {
            double pos = QUANTILES[q] * (n - 1);
            int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
            double w = pos - lo;
            out[2 + q] = scratch[lo] + w * (scratch[hi] - scratch[lo]);
        }
        return out;
    }

    /** Writes d(sum_q g[q] * stat_q)/dx into grad[0..n) for x[base..base+n). */
    static void backward(float[] x, int base, int n, float[] g, int gOff, double[] grad) {
        double mean = 0;
        for (int i = 0; i < n; i++) mean += x[base + i];
        mean /= n;
        for (int i = 0; i < n; i++) {
            grad[i] = g[gOff] / n;
            if (n > 1) grad[i] += g[gOff + 1] * 2 * (x[base + i] - mean) / (n - 1);
        }
        // Quantiles route their gradient to the elements sorted at floor and ceil; a stable sort
        // of indices keeps ties in index order, as torch.sort does on the CPU.
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(x[base + a], x[base + b]));
        for (int q = 0; q < 5; q++) {
            double pos = QUANTILES[q] * (n - 1);
            int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
            double w = pos - lo;
            grad[order[lo]] += g[gOff + 2 + q] * (1 - w);
            if (hi != lo) grad[order[hi]] += g[gOff + 2 + q] * w;
        }
    }
}
