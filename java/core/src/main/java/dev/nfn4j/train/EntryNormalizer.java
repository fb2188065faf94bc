package dev.nfn4j.train;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.TensorSource;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-entry input normalization, as nfn's {@code NormalizingModule} (its NP config): every weight
 * and bias entry is shifted by its own mean over the training networks and divided by its own
 * standard deviation (population form; below 1e-5 it is taken as 1). Statistics are kept in the
 * canonical layout of one network; a checkpoint holds them as nfn's buffers
 * {@code mean_weights_i}, {@code std_weights_i} {@code [1, o, i(, h, w)]} and {@code mean_bias_i},
 * {@code std_bias_i} {@code [1, o]}.
 */
public final class EntryNormalizer implements InputNormalizer {
    /** nfn's floor: a standard deviation below it is replaced by 1. */
    static final double MIN_STD = 1e-5;

    private final WsLayout one;
    private final float[] mean, std;

    /** A normalizer from one network's statistics {@code mean} and {@code std} in the canonical layout {@code one} (batch 1, one channel). */
    public EntryNormalizer(WsLayout one, float[] mean, float[] std) {
        if (one.batch() != 1 || one.channels() != 1) throw new IllegalArgumentException("statistics are per network: batch 1, one channel");
        if (mean.length != one.size() || std.length != one.size())
            throw new IllegalArgumentException("expected " + one.size() + " means and standard deviations, got " + mean.length + " and " + std.length);
        for (int k = 0; k < mean.length; k++) {
            if (!Float.isFinite(mean[k])) throw new IllegalArgumentException("mean " + mean[k] + " at entry " + k + " is not finite");
            if (!(std[k] > 0) || !Float.isFinite(std[k]) || !Float.isFinite(1 / std[k]))
                throw new IllegalArgumentException("standard deviation " + std[k] + " at entry " + k + " must be positive and finite");
        }
        this.one = one;
        this.mean = mean.clone();
        this.std = std.clone();
    }

    /** Statistics over the given rows of a zoo laid out as N x P canonical one-network rows. */
    public static EntryNormalizer fit(WsLayout one, float[] rows, int[] indices) {
        int per = Math.toIntExact(one.size());
        double[] sum = new double[per], sq = new double[per];
        for (int n : indices)
            for (int k = 0; k < per; k++) {
                double v = rows[n * per + k];
                sum[k] += v;
                sq[k] += v * v;
            }
        float[] mean = new float[per], std = new float[per];
        for (int k = 0; k < per; k++) {
            double m = sum[k] / indices.length, s = Math.sqrt(Math.max(sq[k] / indices.length - m * m, 0));
            mean[k] = (float) m;
            std[k] = s < MIN_STD ? 1 : (float) s;
        }
        return new EntryNormalizer(one, mean, std);
    }

    @Override
    public Normalization kind() {
        return Normalization.PER_ENTRY;
    }

    @Override
    public void apply(HostWeights x) {
        WsLayout lay = x.layout();
        if (!lay.spec().equals(one.spec()) || lay.channels() != 1)
            throw new IllegalArgumentException("normalizer statistics are for one channel of networks " + one.spec() + ", got " + lay);
        float[] d = x.data();
        for (int i = 0; i < lay.numLayers(); i++) {
            normalize(d, lay.wOffset(i), lay.wPerSample(i), lay.batch(), one.wOffset(i));
            normalize(d, lay.bOffset(i), lay.bPerSample(i), lay.batch(), one.bOffset(i));
        }
    }

    /** One tensor of every sample: {@code (x - mean) / std} entry by entry, in float as nfn does. */
    private void normalize(float[] d, long offset, long perSample, int batch, long statsOffset) {
        int len = Math.toIntExact(perSample), so = Math.toIntExact(statsOffset);
        for (int b = 0; b < batch; b++) {
            int at = Math.toIntExact(offset + (long) b * len);
            for (int k = 0; k < len; k++) d[at + k] = (d[at + k] - mean[so + k]) / std[so + k];
        }
    }

    @Override
    public String toJson() {
        return "{\"kind\":\"" + kind().cliName() + "\"}";
    }

    @Override
    public Map<String, HostTensor> tensors() {
        HostWeights m = new HostWeights(one, mean), s = new HostWeights(one, std);
        NetworkSpec spec = one.spec();
        Map<String, HostTensor> t = new LinkedHashMap<>();
        for (int i = 0; i < spec.numLayers(); i++) {
            int[] ws = HostWeights.torchWeightShape(one, i), bs = {1, spec.rows(i)};
            int[] wShape = Arrays.copyOfRange(ws, 1, ws.length); // nfn's buffers drop the batch: [C, o, i(, h, w)]
            t.put("mean_weights_" + i, HostTensor.f32(wShape, m.torchWeight(i)));
            t.put("std_weights_" + i, HostTensor.f32(wShape, s.torchWeight(i)));
            t.put("mean_bias_" + i, HostTensor.f32(bs, m.torchBias(i)));
            t.put("std_bias_" + i, HostTensor.f32(bs, s.torchBias(i)));
        }
        return t;
    }

    /** The names {@link #tensors} uses for networks of {@code spec}. */
    public static List<String> tensorNames(NetworkSpec spec) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < spec.numLayers(); i++)
            for (String n : new String[]{"mean_weights_", "std_weights_", "mean_bias_", "std_bias_"}) names.add(n + i);
        return names;
    }

    /**
     * nfn's buffers {@code prefix + mean_weights_i} etc. from {@code f}, each checked to have the
     * shape the spec gives it, finite values and positive standard deviations; an error names the tensor.
     */
    public static EntryNormalizer read(TensorSource f, String prefix, NetworkSpec spec) throws NfnFormatException {
        WsLayout one = new WsLayout(spec, 1, 1);
        Map<String, float[]> byName = new LinkedHashMap<>();
        for (String name : tensorNames(spec)) {
            int layer = Integer.parseInt(name.substring(name.lastIndexOf('_') + 1));
            int[] torch = HostWeights.torchWeightShape(one, layer);
            int[] shape = name.contains("weights") ? Arrays.copyOfRange(torch, 1, torch.length) : new int[]{1, spec.rows(layer)};
            String full = prefix + name;
            if (!f.has(full))
                throw new NfnFormatException(f.path(), full, "missing: per-entry normalizer statistics need it with shape " + Arrays.toString(shape));
            float[] v = f.get(full, shape).toFloats();
            Checkpoints.requireFinite(f.path(), full, v);
            if (name.startsWith("std"))
                for (int k = 0; k < v.length; k++)
                    if (!(v[k] > 0) || !Float.isFinite(1 / v[k]))
                        throw new NfnFormatException(f.path(), full, "standard deviation " + v[k] + " at flat index " + k + " must be positive");
            byName.put(name, v);
        }
        List<float[]> mw = new ArrayList<>(), mb = new ArrayList<>(), sw = new ArrayList<>(), sb = new ArrayList<>();
        for (int i = 0; i < spec.numLayers(); i++) {
            mw.add(byName.get("mean_weights_" + i));
            sw.add(byName.get("std_weights_" + i));
            mb.add(byName.get("mean_bias_" + i));
            sb.add(byName.get("std_bias_" + i));
        }
        return new EntryNormalizer(one, HostWeights.fromTorch(one, mw, mb, true).data(), HostWeights.fromTorch(one, sw, sb, true).data());
    }
}
