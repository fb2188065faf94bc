package dev.nfn4j.zoo.build;

import dev.nfn4j.ops.Backends;
import dev.nfn4j.zoo.build.CnnHyperparameters.Activation;

/**
 * The CNN zoo's activations, in float with a rational tanh, so that they give the same bits
 * interpreted, compiled or vectorised. {@link CnnActivationsVector} does the bulk with the
 * Vector API when the JVM reads the vector module (C2 does not vectorise these loops: scalar,
 * they were a quarter of a zoo build's time), with the same float operations in the same order;
 * the scalar loops here are the oracle and the tail.
 */
final class CnnActivations {
    static final float SELU_ALPHA = 1.6732632f, SELU_SCALE = 1.050701f;
    /** Whether the Vector API path runs (the vector module is readable). */
    static final boolean VECTOR = Backends.simdUnavailableReason() == null;

    private CnnActivations() {
    }

    /** tanh clamped to [-7.9, 7.9] as a 13/6 rational minimax fit (Eigen's float tanh): within a few ulp, deterministic, and vectorisable. */
    static float tanh(float x) {
        float v = Math.max(-7.9053111f, Math.min(7.9053111f, x)), v2 = v * v;
        float num = ((((((-2.76076847742355e-16f * v2 + 2.00018790482477e-13f) * v2 - 8.60467152213735e-11f) * v2 + 5.12229709037114e-08f) * v2
                + 1.48572235717979e-05f) * v2 + 6.37261928875436e-04f) * v2 + 4.89352455891786e-03f) * v;
        float den = ((1.19825839466702e-06f * v2 + 1.18534705686654e-04f) * v2 + 2.26843463243900e-03f) * v2 + 4.89352518554385e-03f;
        return num / den;
    }

    /** z[0, len) = act(z); with {@code vector}, the Vector API does the bulk (the same bits). */
    static void apply(Activation act, float[] z, int len, boolean vector) {
        int q0 = 0;
        if (vector)
            q0 = switch (act) {
                case RELU -> 0;
                case TANH -> CnnActivationsVector.tanh(z, len);
                case SIGMOID -> CnnActivationsVector.sigmoid(z, len);
                case SELU -> CnnActivationsVector.selu(z, len, SELU_SCALE, SELU_SCALE * SELU_ALPHA);
            };
        switch (act) {
            case RELU -> {
                for (int q = q0; q < len; q++) z[q] = Math.max(z[q], 0f);
            }
            case TANH -> {
                for (int q = q0; q < len; q++) z[q] = tanh(z[q]);
            }
            case SIGMOID -> { // sigmoid(x) = (1 + tanh(x / 2)) / 2
                for (int q = q0; q < len; q++) z[q] = 0.5f + 0.5f * tanh(0.5f * z[q]);
            }
            case SELU -> { // exp(x) - 1 = 2 t / (1 - t) with t = tanh(x / 2): deterministic and fast
                for (int q = q0; q < len; q++) {
                    float v = z[q], t = tanh(0.5f * Math.min(v, 0f));
                    z[q] = v > 0 ? SELU_SCALE * v : SELU_SCALE * SELU_ALPHA * (2 * t / (1 - t));
                }
            }
        }
    }

    /** d *= act'(z), from the activation's output aOut = act(z). */
    static void backward(Activation act, float[] aOut, float[] d, int len) {
        switch (act) {
            case RELU -> {
                for (int q = 0; q < len; q++) d[q] = aOut[q] > 0f ? d[q] : 0f;
            }
            case TANH -> {
                for (int q = 0; q < len; q++) d[q] *= 1f - aOut[q] * aOut[q];
            }
            case SIGMOID -> {
                for (int q = 0; q < len; q++) d[q] *= aOut[q] * (1f - aOut[q]);
            }
            case SELU -> { // z > 0: scale; else scale * alpha * exp(z) = a + scale * alpha
                for (int q = 0; q < len; q++) d[q] *= aOut[q] > 0f ? SELU_SCALE : aOut[q] + SELU_SCALE * SELU_ALPHA;
            }
        }
    }
}
