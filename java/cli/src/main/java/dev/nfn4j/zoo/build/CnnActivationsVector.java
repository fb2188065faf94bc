package dev.nfn4j.zoo.build;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CnnActivations} with the Vector API: the same float operations in the same order as the
 * scalar loops ({@link CnnActivations#tanh}; separate multiplies and adds, never fused), so
 * bit-identical. Loaded only when the vector module is readable.
 */
final class CnnActivationsVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED; // the widest the hardware has
    private static final int W = S.length();

    private CnnActivationsVector() {
    }

    /** z[0, len) = tanh(z), vectors only: returns how many were done (the caller finishes the tail). */
    static int tanh(float[] z, int len) {
        int q = 0;
        for (int qb = S.loopBound(len); q < qb; q += W) tanh(FloatVector.fromArray(S, z, q)).intoArray(z, q);
        return q;
    }

    /** z = sigmoid(z) = 0.5 + 0.5 tanh(0.5 z), as {@link #tanh(float[], int)}. */
    static int sigmoid(float[] z, int len) {
        int q = 0;
        for (int qb = S.loopBound(len); q < qb; q += W)
            tanh(FloatVector.fromArray(S, z, q).mul(0.5f)).mul(0.5f).add(0.5f).intoArray(z, q);
        return q;
    }

    /** z = selu(z) with exp(x) - 1 = 2 t / (1 - t), t = tanh(x / 2), as CnnActivations' scalar loop; as {@link #tanh(float[], int)}. */
    static int selu(float[] z, int len, float scale, float scaleAlpha) {
        int q = 0;
        for (int qb = S.loopBound(len); q < qb; q += W) {
            FloatVector v = FloatVector.fromArray(S, z, q), t = tanh(v.min(0f).mul(0.5f));
            FloatVector neg = t.mul(2f).div(t.neg().add(1f)).mul(scaleAlpha);
            neg.blend(v.mul(scale), v.compare(jdk.incubator.vector.VectorOperators.GT, 0f)).intoArray(z, q);
        }
        return q;
    }

    /** {@link CnnActivations#tanh(float)} lane-wise, operation for operation. */
    private static FloatVector tanh(FloatVector x) {
        FloatVector v = x.min(7.9053111f).max(-7.9053111f), v2 = v.mul(v);
        FloatVector num = v2.mul(-2.76076847742355e-16f).add(2.00018790482477e-13f).mul(v2).sub(8.60467152213735e-11f).mul(v2)
                .add(5.12229709037114e-08f).mul(v2).add(1.48572235717979e-05f).mul(v2).add(6.37261928875436e-04f).mul(v2)
                .add(4.89352455891786e-03f).mul(v);
        FloatVector den = v2.mul(1.19825839466702e-06f).add(1.18534705686654e-04f).mul(v2).add(2.26843463243900e-03f).mul(v2)
                .add(4.89352518554385e-03f);
        return num.div(den);
    }
}
