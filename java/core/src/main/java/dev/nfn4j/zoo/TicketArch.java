package dev.nfn4j.zoo;

import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;
import java.util.Arrays;
import java.util.Locale;

/**
 * A network architecture of the ticket zoo: how one network is initialised, where its prunable weights lie, and how its
 * parameters map to the canonical weight-space layout ({@code WsLayout(spec, 1, 1)}: W_0, b_0,
 * W_1, b_1, ..., each W_i as {@code [f_i][n_i][n_{i-1}]}).
 *
 * <p>Parameters are held in the trainer's own order ({@link #trainerOrder}); the zoo stores them
 * canonically.
 */
public sealed interface TicketArch permits TicketArch.Mlp, TicketArch.Cnn {
    /** The training recipe, the same for every network and every round of IMP. */
    record Recipe(int steps, int batch, float learningRate, int testImages) {
        /** Checks the recipe. */
        public Recipe {
            if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + steps);
            if (batch < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batch);
            if (!(learningRate > 0) || !Float.isFinite(learningRate)) throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
            if (testImages < 1) throw new IllegalArgumentException("test images must be >= 1, got " + testImages);
        }
    }

    /** Initialisation family and scale, drawn per network. */
    enum Family {
        /** Gaussian. */
        NORMAL,
        /** Gaussian cut at two standard deviations, rescaled to unit variance. */
        TRUNCATED_NORMAL,
        /** Uniform with unit variance. */
        UNIFORM
    }

    /**
     * One network's initialisation draw.
     *
     * @param family the distribution of every weight (biases start at zero)
     * @param gain   the weights' standard deviation is {@code gain * sqrt(2 / fan_in)} (He's scale times gain)
     */
    record Init(Family family, float gain) {
        /** Distributions of {@link #sample}, for build.json. */
        public static final String SPACE = "family: normal, truncated_normal (cut at 2 sigma, rescaled to unit variance) or uniform, 1/3 each; "
                + "gain: log-uniform [0.5, 2], std = gain * sqrt(2 / fan_in) per layer; zero biases";

        /** A draw from the distributions of {@link #SPACE}. */
        public static Init sample(ZooRandom r) {
            Family f = Family.values()[r.nextInt(3)];
            return new Init(f, (float) r.logUniform(0.5, 2));
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s(gain %.3f)", family.name().toLowerCase(Locale.ROOT), gain);
        }
    }

    /** The name {@code --arch} takes. */
    String name();

    /** The weight-space spec (canonical layout). */
    NetworkSpec spec();

    /** For build.json. */
    String describe();

    /** Parameters, weights and biases. */
    default int numParams() {
        return (int) new WsLayout(spec(), 1, 1).size();
    }

    /** Per prunable layer, {start, end} of its weight in trainer order. */
    int[][] weightRanges();

    /** The initial parameters (trainer order) for this draw and stream. */
    float[] initialise(Init init, ZooRandom r);

    /** Trained parameters (trainer order) and test accuracy. */
    record Trained(float[] params, float testAccuracy, boolean diverged) {
    }

    /** Trainer order to canonical order. */
    float[] toCanonical(float[] params);

    /** Canonical order to trainer order. */
    float[] trainerOrder(float[] canonical);

    /** The architecture of a command-line name ({@code mlp}, {@code cnn}). */
    static TicketArch parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "mlp" -> Mlp.DEFAULT;
            case "cnn" -> Cnn.INSTANCE;
            default -> throw new IllegalArgumentException("unknown architecture '" + s + "' (mlp or cnn)");
        };
    }

    /** A dense value drawn from the family with unit variance. */
    private static double unit(Family f, ZooRandom r) {
        return switch (f) {
            case NORMAL -> r.nextGaussian();
            case UNIFORM -> r.uniform(-Math.sqrt(3), Math.sqrt(3));
            case TRUNCATED_NORMAL -> {
                double v;
                do v = r.nextGaussian(); while (Math.abs(v) > 2);
                yield v / 0.8796256610342398; // the std of N(0, 1) cut at 2
            }
        };
    }

    /** The ReLU MLP 784 -> hidden -> 10 trained by {@code MlpTrainer.trainOnImages}; PyTorch order is canonical order. */
    record Mlp(int[] sizes) implements TicketArch {
        public static final Mlp DEFAULT = new Mlp(new int[]{784, 64, 64, 10});

        /** Copies the layer sizes. */
        public Mlp {
            sizes = sizes.clone();
        }

        @Override
        public String name() {
            return "mlp";
        }

        @Override
        public NetworkSpec spec() {
            return NetworkSpec.mlp(sizes);
        }

        @Override
        public String describe() {
            StringBuilder sb = new StringBuilder("mlp ");
            for (int i = 0; i < sizes.length; i++) sb.append(i > 0 ? "-" : "").append(sizes[i]);
            return sb.append(", relu").toString();
        }

        @Override
        public int[][] weightRanges() {
            int[][] r = new int[sizes.length - 1][];
            for (int l = 0; l < r.length; l++) {
                int o = weightOffset(sizes, l);
                r[l] = new int[]{o, o + sizes[l] * sizes[l + 1]};
            }
            return r;
        }

        /** Where layer l's weight starts in the PyTorch-order parameter array. */
        static int weightOffset(int[] sizes, int l) {
            int off = 0;
            for (int i = 0; i < l; i++) off += sizes[i] * sizes[i + 1] + sizes[i + 1];
            return off;
        }

        @Override
        public float[] initialise(Init init, ZooRandom r) {
            float[] p = new float[numParams()];
            int[][] w = weightRanges();
            for (int l = 0; l < w.length; l++) {
                double std = init.gain() * Math.sqrt(2.0 / sizes[l]);
                for (int q = w[l][0]; q < w[l][1]; q++) p[q] = (float) (std * unit(init.family(), r));
            }
            return p;
        }

        @Override
        public float[] toCanonical(float[] params) {
            return params.clone();
        }

        @Override
        public float[] trainerOrder(float[] canonical) {
            return canonical.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Mlp m && Arrays.equals(sizes, m.sizes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(sizes);
        }

        @Override
        public String toString() {
            return describe();
        }
    }

    /**
     * The Small CNN Zoo CNN that {@code CnnTrainer} trains (ReLU, no dropout, no L2, Adam, all
     * training images), parameters in TensorFlow order.
     */
    record Cnn() implements TicketArch {
        public static final Cnn INSTANCE = new Cnn();
        private static final int F = SmallCnn.FILTERS, K = SmallCnn.KERNEL, S = K * K, C = ImageData.CLASSES;

        @Override
        public String name() {
            return "cnn";
        }

        @Override
        public NetworkSpec spec() {
            return new NetworkSpec(new int[]{1, F, F, F, C}, new int[][]{{K, K}, {K, K}, {K, K}, null});
        }

        @Override
        public String describe() {
            return "cnn conv3x3s2(16)-conv3x3s2(16)-conv3x3s2(16)-gap-dense(10), relu, TF same padding";
        }

        @Override
        public int[][] weightRanges() {
            int[][] r = new int[SmallCnn.CONV_LAYERS + 1][];
            int i = 0;
            for (TfLayout.Tensor t : SmallCnn.tensors(1, C)) if (t.varname().endsWith("kernel:0")) r[i++] = new int[]{t.start(), t.end()};
            return r;
        }

        @Override
        public float[] initialise(Init init, ZooRandom r) {
            // Per layer He's scale (fan_in 9, 144, 144, 16) times the gain, from the family's unit-variance draws.
            float[] p = new float[numParams()];
            int[][] w = weightRanges();
            int[] fanIn = {S, S * F, S * F, F};
            for (int l = 0; l < w.length; l++) {
                double std = init.gain() * Math.sqrt(2.0 / fanIn[l]);
                for (int q = w[l][0]; q < w[l][1]; q++) p[q] = (float) (std * unit(init.family(), r));
            }
            return p;
        }

        /** canonical W_l[s][j][k] = kernel[ky][kx][k][j] (s = ky * 3 + kx); the dense W[j][k] = kernel[k][j]; biases as they are. */
        private static void map(float[] tf, float[] canon, boolean toCanonical) {
            int off = 0;
            int in = 1;
            for (int l = 0; l <= SmallCnn.CONV_LAYERS; l++) {
                boolean dense = l == SmallCnn.CONV_LAYERS;
                int taps = dense ? 1 : S, out = dense ? C : F;
                for (int s = 0; s < taps; s++)
                    for (int j = 0; j < out; j++)
                        for (int k = 0; k < in; k++) {
                            int c = off + (s * out + j) * in + k, t = off + (s * in + k) * out + j;
                            if (toCanonical) canon[c] = tf[t];
                            else tf[t] = canon[c];
                        }
                off += taps * in * out;
                for (int j = 0; j < out; j++, off++) {
                    if (toCanonical) canon[off] = tf[off];
                    else tf[off] = canon[off];
                }
                in = F;
            }
        }

        @Override
        public float[] toCanonical(float[] params) {
            float[] out = new float[params.length];
            map(params, out, true);
            return out;
        }

        @Override
        public float[] trainerOrder(float[] canonical) {
            float[] out = new float[canonical.length];
            map(out, canonical, false);
            return out;
        }
    }
}
