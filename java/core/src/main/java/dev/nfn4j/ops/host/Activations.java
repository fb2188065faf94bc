package dev.nfn4j.ops.host;

import dev.nfn4j.ops.Act;

/** Scalar activations and their derivatives in double precision: the oracle of every backend's activations. */
public final class Activations {
    private Activations() {}

    /** act(x), in double. */
    public static double apply(Act act, double x) {
        return switch (act) {
            case IDENTITY -> x;
            case RELU -> x <= 0 ? 0 : x; // NaN stays NaN, as torch.relu
            case SIGMOID -> sigmoid(x);
            case TANH -> Math.tanh(x);
            case GELU -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case SIN -> Math.sin(x);
        };
    }

    /** act'(x), in double. */
    public static double derivative(Act act, double x) {
        return switch (act) {
            case IDENTITY -> 1;
            case RELU -> x <= 0 ? 0 : 1; // as PyTorch: the gradient passes unless x <= 0
            case SIGMOID -> {
                double s = sigmoid(x);
                yield s * (1 - s);
            }
            case TANH -> {
                double t = Math.tanh(x);
                yield 1 - t * t;
            }
            case GELU -> 0.5 * (1 + erf(x / Math.sqrt(2))) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
            case SIN -> Math.cos(x);
        };
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /** erf with |error| < 1.2e-7 (Numerical Recipes' erfc Chebyshev fit), ample for float results. */
    static double erf(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - r : r - 1;
    }
}
