package dev.nfn4j.nn;

/**
 * How a parameter starts. nfn's {@code set_init_} draws every layer of a group from
 * U(-sqrt(1/fan_in), sqrt(1/fan_in)) with fan_in summed over the group ("pytorch_default"), or
 * N(0, 2/fan_in) weights and zero biases ("kaiming_normal"); io embeddings are N(0, 1).
 */
public record Init(Kind kind, double scale) {
    /** The distribution a parameter is drawn from; {@code scale} is its parameter. */
    public enum Kind {
        /** U(-scale, scale). */
        UNIFORM,
        /** N(0, scale^2). */
        NORMAL,
        /** All zeros. */
        ZERO,
        /** Every entry {@code scale}. */
        CONSTANT
    }

    /** Uniform on {@code [-bound, bound]}. */
    public static Init uniform(double bound) {
        return new Init(Kind.UNIFORM, bound);
    }

    /** Normal with mean 0 and standard deviation {@code std}. */
    public static Init normal(double std) {
        return new Init(Kind.NORMAL, std);
    }

    /** Every entry 0. */
    public static Init zero() {
        return new Init(Kind.ZERO, 0);
    }

    /** Every entry {@code value} (a norm's gamma of 1, LearnedScale's initial scale). */
    public static Init constant(double value) {
        return new Init(Kind.CONSTANT, value);
    }

    /** nfn's init types for a group of layers whose input sizes sum to {@code fanIn}. */
    public enum Type {
        /** nfn's "pytorch_default": weights and biases U(-sqrt(1/fan_in), sqrt(1/fan_in)). */
        PYTORCH_DEFAULT,
        /** nfn's "kaiming_normal": weights N(0, 2/fan_in), biases zero. */
        KAIMING_NORMAL;

        /** The init of a weight in a group with fan-in {@code fanIn}. */
        public Init weight(long fanIn) {
            return this == PYTORCH_DEFAULT ? uniform(Math.sqrt(1.0 / fanIn)) : normal(Math.sqrt(2.0 / fanIn));
        }

        /** The init of a bias in a group with fan-in {@code fanIn}. */
        public Init bias(long fanIn) {
            return this == PYTORCH_DEFAULT ? uniform(Math.sqrt(1.0 / fanIn)) : zero();
        }
    }

    /** A standard normal draw (Box-Muller, one value per call), the one used for every seeded normal init. */
    static double gaussian(java.util.SplittableRandom rnd) {
        double u1 = rnd.nextDouble(), u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
