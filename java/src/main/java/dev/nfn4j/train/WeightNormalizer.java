package dev.nfn4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.WsLayout;

import java.io.IOException;
import java.util.Arrays;

/**
 * Per-tensor input normalization from training-set statistics, as nfn's NormalizingModule: every
 * W_i and b_i is shifted by its mean and divided by its standard deviation, both taken over all
 * training networks and entries. Applied on the host while a batch is assembled.
 */
public final class WeightNormalizer {
    private final double[] mean, std; // per tensor: W_0, b_0, W_1, b_1, ...

    public WeightNormalizer(double[] mean, double[] std) {
        if (mean.length != std.length) throw new IllegalArgumentException("mean and std lengths differ");
        for (double s : std) if (!(s > 0)) throw new IllegalArgumentException("standard deviations must be positive: " + Arrays.toString(std));
        this.mean = mean.clone();
        this.std = std.clone();
    }

    /** Statistics over the given rows of a zoo laid out as N x P canonical one-network rows. */
    public static WeightNormalizer fit(WsLayout one, float[] rows, int[] indices) {
        int L = one.numLayers(), per = Math.toIntExact(one.size());
        double[] mean = new double[2 * L], sq = new double[2 * L];
        long[] count = new long[2 * L];
        for (int n : indices)
            for (int t = 0; t < 2 * L; t++) {
                int off = n * per + offset(one, t), len = length(one, t);
                for (int k = 0; k < len; k++) {
                    double v = rows[off + k];
                    mean[t] += v;
                    sq[t] += v * v;
                }
                count[t] += len;
            }
        double[] std = new double[2 * L];
        for (int t = 0; t < 2 * L; t++) {
            mean[t] /= count[t];
            std[t] = Math.sqrt(Math.max(sq[t] / count[t] - mean[t] * mean[t], 0));
            if (!(std[t] > 1e-12)) std[t] = 1; // a constant tensor: only shift it
        }
        return new WeightNormalizer(mean, std);
    }

    private static int offset(WsLayout lay, int t) {
        return (int) (t % 2 == 0 ? lay.wOffset(t / 2) : lay.bOffset(t / 2));
    }

    private static int length(WsLayout lay, int t) {
        return (int) (lay.batch() * (t % 2 == 0 ? lay.wPerSample(t / 2) : lay.bPerSample(t / 2)));
    }

    /** Normalizes a canonical batch in place. */
    public void apply(HostWeights x) {
        WsLayout lay = x.layout();
        if (2 * lay.numLayers() != mean.length)
            throw new IllegalArgumentException("normalizer has statistics for " + mean.length / 2 + " layers, batch has " + lay.numLayers());
        float[] d = x.data();
        for (int t = 0; t < mean.length; t++) {
            int off = offset(lay, t), len = length(lay, t);
            float m = (float) mean[t], inv = (float) (1 / std[t]);
            for (int k = off; k < off + len; k++) d[k] = (d[k] - m) * inv;
        }
    }

    public String toJson() {
        return "{\"mean\":" + Arrays.toString(mean) + ",\"std\":" + Arrays.toString(std) + "}";
    }

    public static WeightNormalizer fromJson(String json) {
        try {
            var o = new ObjectMapper().readTree(json);
            return new WeightNormalizer(new ObjectMapper().treeToValue(o.get("mean"), double[].class),
                    new ObjectMapper().treeToValue(o.get("std"), double[].class));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("bad normalizer JSON: " + e.getMessage());
        }
    }
}
