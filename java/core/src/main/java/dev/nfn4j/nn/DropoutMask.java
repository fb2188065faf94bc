package dev.nfn4j.nn;

import java.util.SplittableRandom;

/**
 * The randomness of the dropout layers: a probability p, a seed, and the training mode and
 * optimizer step the layer was last told; each mask entry is 0 with probability p, else
 * 1/(1-p), and depends only on the seed, the step and its position.
 */
final class DropoutMask {
    private final double p;
    private final long seed;
    private boolean training;
    private long step;

    DropoutMask(double p, long seed) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        this.p = p;
        this.seed = seed;
    }

    void setTraining(boolean training, long step) {
        this.training = training;
        this.step = step;
    }

    /** A mask of n entries, or null when the layer passes its input through (inference, or p = 0). */
    float[] draw(int n) {
        if (!training || p == 0) return null;
        float[] m = new float[n];
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
        float keep = (float) (1 / (1 - p));
        for (int k = 0; k < n; k++) m[k] = rnd.nextDouble() < p ? 0f : keep;
        return m;
    }

    double p() {
        return p;
    }
}
