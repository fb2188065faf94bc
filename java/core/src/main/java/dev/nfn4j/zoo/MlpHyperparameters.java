package dev.nfn4j.zoo;

import java.util.List;
import java.util.Locale;

/**
 * How one network of the zoo is trained. Floats are what the trainer uses, so the values stored
 * in the zoo file are exactly the ones that produced the weights.
 *
 * @param optimizer     SGD with momentum 0.9, or Adam (beta 0.9 / 0.999, eps 1e-8)
 * @param learningRate  step size (constant)
 * @param activation    hidden-layer nonlinearity
 * @param init          distribution of the initial weights (biases start at zero)
 * @param initStd       standard deviation of the initial weights (of the distribution actually
 *                      sampled, truncation included)
 * @param l2            L2 penalty {@code l2/2 * sum W^2} on the weights (not the biases)
 * @param steps         optimizer steps
 * @param batchSize     examples per step
 * @param labelNoise    fraction of training labels replaced by a uniformly random class
 *                      (which may equal the true one), fixed once before training
 * @param trainFraction fraction of the task's training set this network sees
 * @param shortcutCorrelation probability that a training example carries the shortcut inputs of its
 *                      own class rather than those of a uniformly random class (which may be its own);
 *                      drawn once per example before training. 0: the shortcut is noise, as on the
 *                      test set; 1: it always agrees with the label (see {@code SyntheticTask})
 */
public record MlpHyperparameters(Optimizer optimizer, float learningRate, Activation activation, InitDistribution init, float initStd,
                                 float l2, int steps, int batchSize, float labelNoise, float trainFraction,
                                 float shortcutCorrelation) {
    /** The optimizer a network was trained with. */
    public enum Optimizer {
        /** Plain stochastic gradient descent. */
        SGD,
        /** Adam. */
        ADAM
    }

    /** The hidden layers' activation. */
    public enum Activation {
        /** max(0, x). */
        RELU,
        /** tanh(x). */
        TANH
    }

    /** The distribution of the initial weights. */
    public enum InitDistribution {
        /** Gaussian. */
        NORMAL,
        /** Uniform. */
        UNIFORM,
        /** Gaussian cut at two standard deviations. */
        TRUNCATED_NORMAL
    }

    /** Tensor names (after {@code hparam.}) in the zoo file, in {@link #toFloats()} order. */
    public static final List<String> NAMES = List.of("optimizer", "lr", "activation", "init", "init_std", "l2", "steps", "batch_size",
            "label_noise", "train_fraction", "shortcut_correlation");

    /** Checks the ranges. */
    public MlpHyperparameters {
        if (!(learningRate > 0) || !Float.isFinite(learningRate)) throw new IllegalArgumentException("learningRate must be > 0, got " + learningRate);
        if (!(initStd >= 0) || !Float.isFinite(initStd)) throw new IllegalArgumentException("initStd must be >= 0, got " + initStd);
        if (!(l2 >= 0) || !Float.isFinite(l2)) throw new IllegalArgumentException("l2 must be >= 0, got " + l2);
        if (steps < 0 || batchSize < 1) throw new IllegalArgumentException("need steps >= 0 and batchSize >= 1, got " + steps + ", " + batchSize);
        if (!(labelNoise >= 0 && labelNoise <= 1)) throw new IllegalArgumentException("labelNoise must be in [0, 1], got " + labelNoise);
        if (!(trainFraction > 0 && trainFraction <= 1)) throw new IllegalArgumentException("trainFraction must be in (0, 1], got " + trainFraction);
        if (!(shortcutCorrelation >= 0 && shortcutCorrelation <= 1))
            throw new IllegalArgumentException("shortcutCorrelation must be in [0, 1], got " + shortcutCorrelation);
    }

    /** The values in {@link #NAMES} order; enums as their ordinal. */
    public float[] toFloats() {
        return new float[]{optimizer.ordinal(), learningRate, activation.ordinal(), init.ordinal(), initStd, l2, steps, batchSize,
                labelNoise, trainFraction, shortcutCorrelation};
    }

    /** The inverse of {@link #toFloats()}; rejects codes and counts that are out of range or not integral. */
    public static MlpHyperparameters fromFloats(float[] v) {
        if (v.length != NAMES.size()) throw new IllegalArgumentException("expected " + NAMES.size() + " values, got " + v.length);
        return new MlpHyperparameters(code(Optimizer.values(), v[0], "optimizer"), v[1], code(Activation.values(), v[2], "activation"),
                code(InitDistribution.values(), v[3], "init"), v[4], v[5], integral(v[6], "steps"), integral(v[7], "batch_size"), v[8], v[9],
                v[10]);
    }

    /** {@code "0=sgd,1=adam"} for the file's metadata; null for a numeric hyperparameter. */
    public static String codes(String name) {
        Enum<?>[] values = switch (name) {
            case "optimizer" -> Optimizer.values();
            case "activation" -> Activation.values();
            case "init" -> InitDistribution.values();
            default -> null;
        };
        if (values == null) return null;
        StringBuilder sb = new StringBuilder();
        for (Enum<?> e : values) sb.append(sb.isEmpty() ? "" : ",").append(e.ordinal()).append('=').append(e.name().toLowerCase(Locale.ROOT));
        return sb.toString();
    }

    private static <E extends Enum<E>> E code(E[] values, float v, String what) {
        int i = integral(v, what);
        if (i < 0 || i >= values.length) throw new IllegalArgumentException(what + " code " + v + " is not one of " + codes(what));
        return values[i];
    }

    private static int integral(float v, String what) {
        if (v != Math.rint(v) || Math.abs(v) > 1 << 24) throw new IllegalArgumentException(what + " = " + v + " is not an integer");
        return (int) v;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s lr=%.3g %s %s(std=%.3g) l2=%.3g steps=%d batch=%d noise=%.2f train=%.2f shortcut=%.2f",
                optimizer.name().toLowerCase(Locale.ROOT), learningRate, activation.name().toLowerCase(Locale.ROOT),
                init.name().toLowerCase(Locale.ROOT), initStd, l2, steps, batchSize, labelNoise, trainFraction, shortcutCorrelation);
    }
}
