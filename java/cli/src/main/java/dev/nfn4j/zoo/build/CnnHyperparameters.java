package dev.nfn4j.zoo.build;

import dev.nfn4j.zoo.ZooRandom;
import java.util.Locale;

/**
 * How one network of the CNN zoo is trained, drawn per network as in Unterthiner et al. 2020
 * ("Predicting Neural Network Accuracy from Weights", section 3 / appendix A) by {@link #sample}.
 * The names are those of the Small CNN Zoo's {@code config.*} columns.
 *
 * @param optimizer     sgd with momentum 0.9, adam (beta 0.9 / 0.999) or rmsprop (rho 0.9), eps 1e-7 as in Keras
 * @param learningRate  constant step size
 * @param activation    after each conv layer
 * @param init          distribution of the initial kernels (biases start at zero)
 * @param initStd       its scale: the standard deviation of normal and uniform, the pre-truncation
 *                      standard deviation of the truncated normal (cut at 2 sigma, as TensorFlow's),
 *                      for orthogonal the per-entry standard deviation (the gain
 *                      times the square root of the longer side)
 * @param l2            L2 penalty {@code l2 * sum W^2} on the kernels (Keras' {@code l2(l2)})
 * @param dropout       drop rate after each conv layer's activation (inverted dropout)
 * @param trainFraction fraction of the training images this network draws its batches from
 */
public record CnnHyperparameters(Optimizer optimizer, float learningRate, Activation activation, Init init, float initStd, float l2,
                                 float dropout, float trainFraction) {
    public enum Optimizer { SGD, ADAM, RMSPROP }

    public enum Activation { RELU, TANH, SIGMOID, SELU }

    /** As the Small CNN Zoo names them in config.w_init. */
    public enum Init { RANDOM_NORMAL, TRUNCATED_NORMAL, RANDOM_UNIFORM, ORTHOGONAL }

    /** The distributions of {@link #sample} (documentation; also written to the zoo's build.json). */
    public static final String SPACE = "optimizer: sgd (momentum 0.9), adam or rmsprop, 1/3 each; learning_rate: log-uniform [2e-3, 0.2]; "
            + "activation: relu, tanh, sigmoid or selu, 1/4 each; w_init: random_normal, truncated_normal, random_uniform or orthogonal, "
            + "1/4 each, zero biases; init_std: log-uniform [1e-2, 0.5]; l2reg: log-uniform [1e-8, 1e-2]; dropout: uniform [0, 0.7]; "
            + "train_fraction: 0.1, 0.25, 0.5 or 1.0, 1/4 each";

    /**
     * The learning-rate range: the paper's [5e-4, 5e-2] times 4, because a network here sees about
     * 5,500 images instead of 86 epochs; at the paper's rates most would stay near chance.
     */
    static final double LR_MIN = 2e-3, LR_MAX = 0.2;
    private static final float[] TRAIN_FRACTIONS = {0.1f, 0.25f, 0.5f, 1.0f};

    public CnnHyperparameters {
        if (!(learningRate > 0) || !Float.isFinite(learningRate)) throw new IllegalArgumentException("learningRate must be > 0, got " + learningRate);
        if (!(initStd > 0) || !Float.isFinite(initStd)) throw new IllegalArgumentException("initStd must be > 0, got " + initStd);
        if (!(l2 >= 0) || !Float.isFinite(l2)) throw new IllegalArgumentException("l2 must be >= 0, got " + l2);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        if (!(trainFraction > 0 && trainFraction <= 1)) throw new IllegalArgumentException("trainFraction must be in (0, 1], got " + trainFraction);
    }

    /** One draw from {@link #SPACE}, from the network's own stream. */
    static CnnHyperparameters sample(ZooRandom r) {
        Optimizer opt = Optimizer.values()[r.nextInt(3)];
        float lr = (float) r.logUniform(LR_MIN, LR_MAX);
        Activation act = Activation.values()[r.nextInt(4)];
        Init init = Init.values()[r.nextInt(4)];
        float std = (float) r.logUniform(1e-2, 0.5);
        float l2 = (float) r.logUniform(1e-8, 1e-2);
        float dropout = (float) r.uniform(0, 0.7);
        float frac = TRAIN_FRACTIONS[r.nextInt(4)];
        return new CnnHyperparameters(opt, lr, act, init, std, l2, dropout, frac);
    }

    static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s lr=%.3g %s %s(%.3g) l2=%.3g dropout=%.2f train_fraction=%.2f", lower(optimizer), learningRate,
                lower(activation), lower(init), initStd, l2, dropout, trainFraction);
    }
}
