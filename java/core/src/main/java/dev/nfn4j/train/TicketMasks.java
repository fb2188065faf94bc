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

    /**
     * The temperature {@code mask} and {@code eval} draw at unless told otherwise: on the MLP
     * ticket zoo, NP_IO's masks drawn at 2 beat random and magnitude masks at densities 0.1 and
     * 0.05, where its top-k logits lose to random at 0.1 (BENCHMARKS.md).
     */
    public static final double DEFAULT_TEMPERATURE = 2;

    /**
     * A mask drawn from a predictor's keep probabilities {@code sigmoid(logit / temperature)}:
     * each weight's key is {@code logit / temperature} plus logistic noise (the threshold of its
     * Bernoulli draw), and the top-k keys per layer are kept, so the counts are IMP's. Temperature
     * 0 keeps the top-k logits ({@link #topK}); the higher it is, the closer the draw comes to a
     * random mask, tilted by the predictor's ranking.
     *
     * <p>A weight's noise is a hash of the seed, its layer and its initial value, not of its
     * position, so permuting the initialisation's hidden neurons permutes the drawn mask the same
     * way (the predictor's logits being equivariant), and the same seed gives the same mask.
     * Weights of one layer with equal initial values draw equal noise (a layer initialised to
     * zeros falls back to its top-k logits).
     *
     * @param init the initialisation the logits were predicted from (canonical layout)
     * @throws IllegalArgumentException when the temperature is negative or not finite
     */
    public static float[] sample(NetworkSpec spec, float[] logits, float[] init, double[] layerDensity, double temperature, long seed) {
        checkTemperature(temperature);
        if (temperature == 0) return topK(spec, logits, layerDensity);
        if (init.length != logits.length) throw new IllegalArgumentException("an initialisation of " + init.length + " floats for " + logits.length + " logits");
        WsLayout one = new WsLayout(spec, 1, 1);
        float[] keys = logits.clone(); // biases keep their logits: they are kept whatever the key
        for (int l = 0; l < spec.numLayers(); l++) {
            int w = (int) one.wOffset(l), n = (int) one.wPerSample(l);
            for (int q = w; q < w + n; q++) {
                double u = uniform(seed, l, Float.floatToRawIntBits(init[q])); // (0, 1)
                keys[q] = (float) (logits[q] / temperature + Math.log(u) - Math.log1p(-u));
            }
        }
        return topK(spec, keys, layerDensity);
    }

    /** A uniform number in (0, 1) from a hash (SplitMix64's finaliser) of the seed, the layer and a weight's bits. */
    private static double uniform(long seed, int layer, int bits) {
        long z = seed * 0x9E3779B97F4A7C15L + ((long) layer << 32 | (bits & 0xffffffffL));
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return ((z >>> 11) + 0.5) * 0x1.0p-53;
    }

    /**
     * Checks a sampling temperature: finite and at least 0.
     *
     * @throws IllegalArgumentException naming the value
     */
    public static void checkTemperature(double temperature) {
        if (!(temperature >= 0) || Double.isInfinite(temperature))
            throw new IllegalArgumentException("--temperature must be a finite number >= 0 (0: the top-k logits), got " + temperature);
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
