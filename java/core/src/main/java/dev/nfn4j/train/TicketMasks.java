package dev.nfn4j.train;

import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Masks of one network in the canonical one-network layout ({@code WsLayout(spec, 1, 1)}): 1
 * keeps a parameter, 0 prunes it. Biases are always kept; each layer's weight keeps
 * {@code round(density * size)} entries (at least one), as IMP's rounds do, so a mask from any
 * source has IMP's per-layer density.
 */
public final class TicketMasks {
    private TicketMasks() {
    }

    /** Weights layer l keeps at density d: round(d * size), at least 1. */
    public static int keepCount(double density, int size) {
        return (int) Math.max(1, Math.min(size, Math.round(density * size)));
    }

    /**
     * Keeps, per layer, the weights of highest score (ties: the lower index). A score that is NaN
     * ranks lowest.
     *
     * @param scores       one per parameter, canonical layout
     * @param layerDensity per layer, the fraction of its weights to keep, in (0, 1]
     */
    public static float[] topK(NetworkSpec spec, float[] scores, double[] layerDensity) {
        WsLayout one = new WsLayout(spec, 1, 1);
        check(spec, scores.length, layerDensity);
        float[] mask = new float[scores.length];
        for (int l = 0; l < spec.numLayers(); l++) {
            int w = (int) one.wOffset(l), n = (int) one.wPerSample(l), b = (int) one.bOffset(l);
            Integer[] idx = new Integer[n];
            for (int q = 0; q < n; q++) idx[q] = w + q;
            Arrays.sort(idx, (x, y) -> {
                float sx = scores[x], sy = scores[y];
                int c = Float.isNaN(sx) || Float.isNaN(sy) ? Boolean.compare(Float.isNaN(sx), Float.isNaN(sy)) : Float.compare(sy, sx);
                return c != 0 ? c : Integer.compare(x, y);
            });
            for (int q = 0, k = keepCount(layerDensity[l], n); q < k; q++) mask[idx[q]] = 1f;
            for (int q = 0; q < (int) one.bPerSample(l); q++) mask[b + q] = 1f;
        }
        return mask;
    }

    /** Magnitude at initialisation: the weights of largest |w| per layer. */
    public static float[] magnitude(NetworkSpec spec, float[] init, double[] layerDensity) {
        float[] a = new float[init.length];
        for (int q = 0; q < a.length; q++) a[q] = Math.abs(init[q]);
        return topK(spec, a, layerDensity);
    }

    /** A uniformly random mask with the same per-layer counts. */
    public static float[] random(NetworkSpec spec, double[] layerDensity, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] s = new float[(int) new WsLayout(spec, 1, 1).size()];
        for (int q = 0; q < s.length; q++) s[q] = (float) r.nextDouble();
        return topK(spec, s, layerDensity);
    }

    /** Intersection over union of the kept weights of two masks (biases left out). */
    public static double iou(NetworkSpec spec, float[] a, float[] b) {
        WsLayout one = new WsLayout(spec, 1, 1);
        if (a.length != one.size() || b.length != one.size())
            throw new IllegalArgumentException("masks of " + a.length + " and " + b.length + " entries for a network of " + one.size());
        long inter = 0, union = 0;
        for (int l = 0; l < spec.numLayers(); l++)
            for (int q = (int) one.wOffset(l), e = q + (int) one.wPerSample(l); q < e; q++) {
                boolean x = a[q] != 0, y = b[q] != 0;
                if (x && y) inter++;
                if (x || y) union++;
            }
        return union == 0 ? 1 : (double) inter / union;
    }

    /**
     * The NFN's input: the initialisation with each layer's weight divided by its root mean
     * square (biases as they are), so networks drawn at different scales look alike and only
     * the relative sizes the mask depends on remain. Permuting neurons does not change a layer's
     * RMS, so this commutes with the permutations.
     */
    public static float[] normalise(NetworkSpec spec, float[] init) {
        WsLayout one = new WsLayout(spec, 1, 1);
        if (init.length != one.size()) throw new IllegalArgumentException("an initialisation of " + init.length + " floats for a network of " + one.size());
        float[] out = init.clone();
        for (int l = 0; l < spec.numLayers(); l++) {
            int w = (int) one.wOffset(l), n = (int) one.wPerSample(l);
            double sq = 0;
            for (int q = w; q < w + n; q++) sq += (double) init[q] * init[q];
            double rms = Math.sqrt(sq / n);
            if (rms > 0) for (int q = w; q < w + n; q++) out[q] = (float) (init[q] / rms);
        }
        return out;
    }

    /**
     * Per-entry weights of the mask loss: per layer, kept and pruned weights balanced (a kept
     * weight counts {@code 1 / (2 d)}, a pruned one {@code 1 / (2 (1 - d))}) and every layer
     * counting the same in total (divided by its size); biases 0. Sums to the number of layers.
     */
    public static float[] lossWeights(NetworkSpec spec, float[] mask, double[] layerDensity) {
        WsLayout one = new WsLayout(spec, 1, 1);
        check(spec, mask.length, layerDensity);
        float[] w = new float[mask.length];
        for (int l = 0; l < spec.numLayers(); l++) {
            int o = (int) one.wOffset(l), n = (int) one.wPerSample(l), kept = 0;
            for (int q = o; q < o + n; q++) if (mask[q] != 0) kept++;
            double pos = kept == 0 ? 0 : 0.5 / kept, neg = kept == n ? 0 : 0.5 / (n - kept);
            if (kept == 0) neg = 1.0 / n;
            if (kept == n) pos = 1.0 / n;
            for (int q = o; q < o + n; q++) w[q] = (float) (mask[q] != 0 ? pos : neg);
        }
        return w;
    }

    private static void check(NetworkSpec spec, int length, double[] layerDensity) {
        long size = new WsLayout(spec, 1, 1).size();
        if (length != size) throw new IllegalArgumentException(length + " entries for a network of " + size + " parameters (" + spec + ")");
        if (layerDensity.length != spec.numLayers())
            throw new IllegalArgumentException(layerDensity.length + " layer densities for " + spec.numLayers() + " layers");
        for (double d : layerDensity) if (!(d > 0 && d <= 1)) throw new IllegalArgumentException("layer density must be in (0, 1], got " + d);
    }
}
