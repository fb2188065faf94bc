package dev.nfn4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nfn4j.io.JsonFields;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.WsLayout;

import java.util.Arrays;

/**
 * Per-tensor input normalization from training-set statistics: every W_i and b_i is shifted by
 * one mean and divided by one standard deviation, both taken over all training networks and all
 * of the tensor's entries. (nfn's NormalizingModule keeps statistics per entry instead: see
 * {@link EntryNormalizer}.) Applied on the host while a batch is assembled. In a checkpoint's
 * metadata: {@code {"kind":"per-tensor","mean":[...],"std":[...]}}, one value per tensor in the
 * order W_0, b_0, W_1, ...; checkpoints written before there was a choice have no {@code kind}.
 */
public final class WeightNormalizer implements InputNormalizer {
    private final double[] mean, std; // per tensor: W_0, b_0, W_1, b_1, ...

    /** A normalizer with one mean and standard deviation per group of entries. */
    public WeightNormalizer(double[] mean, double[] std) {
        if (mean.length != std.length) throw new IllegalArgumentException("mean and std lengths differ");
        for (int t = 0; t < mean.length; t++) {
            // applied in float: the mean, the standard deviation and its inverse must all be finite floats
            if (!Float.isFinite((float) mean[t])) throw new IllegalArgumentException("mean " + mean[t] + " of tensor " + t + " is not a finite float");
            if (!(std[t] > 0) || !Float.isFinite((float) std[t]) || !Float.isFinite((float) (1 / std[t])))
                throw new IllegalArgumentException("standard deviation " + std[t] + " of tensor " + t + " must be a positive finite float");
        }
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

    @Override
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

    @Override
    public Normalization kind() {
        return Normalization.PER_TENSOR;
    }

    /** Statistics for this many tensors (twice the layers). */
    public int tensorCount() {
        return mean.length;
    }

    @Override
    public String toJson() {
        return "{\"kind\":\"" + kind().cliName() + "\",\"mean\":" + Arrays.toString(mean) + ",\"std\":" + Arrays.toString(std) + "}";
    }

    @Override
    public java.util.Map<String, dev.nfn4j.io.HostTensor> tensors() {
        return java.util.Map.of();
    }

    /** From {@link #toJson}'s form (the metadata field {@code field}), checked; a bad value is a {@link JsonFields.BadField} naming it. */
    public static WeightNormalizer fromJson(String field, JsonNode o) {
        JsonFields.onlyKeys(field, o, java.util.Set.of("kind", "mean", "std"));
        double[] mean = numbers(JsonFields.join(field, "mean"), JsonFields.required(field, o, "mean"));
        double[] std = numbers(JsonFields.join(field, "std"), JsonFields.required(field, o, "std"));
        if (mean.length != std.length)
            throw new JsonFields.BadField(field, mean.length + " means but " + std.length + " standard deviations");
        try {
            return new WeightNormalizer(mean, std);
        } catch (IllegalArgumentException e) {
            throw new JsonFields.BadField(field, e.getMessage());
        }
    }

    /** For callers holding the JSON text. */
    public static WeightNormalizer fromJson(String json) {
        return fromJson("normalizer", JsonFields.parseObject("normalizer", json));
    }

    private static double[] numbers(String field, JsonNode a) {
        JsonFields.array(field, a, 2, 2 * dev.nfn4j.space.SpecJson.MAX_LAYERS);
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = JsonFields.number(field + "[" + i + "]", a.get(i), -Double.MAX_VALUE, Double.MAX_VALUE);
        return v;
    }
}
