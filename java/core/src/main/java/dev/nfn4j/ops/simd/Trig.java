package dev.nfn4j.ops.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIN activation and its backward over float arrays, in double as the reference computes
 * them ({@link dev.nfn4j.ops.host.ScalarElementwise}): each float widened to double, the Vector
 * API's double sine or cosine, the result rounded to float. On 42 million inputs up to |x| = 1e5
 * these gave the reference's floats exactly (Math.sin and Math.cos; AVX-512 host), at about a
 * tenth of the scalar loop's time (1.2 against 11-13 ns an element). The Fourier input features
 * are what calls it: sin and cos of every weight at each frequency. {@link SirenKernel} has its
 * own float polynomial for the SIREN fitting, whose oracle is float; this op's oracle is the
 * double sine.
 */
final class Trig {
    private Trig() {
    }

    /** Doubles per step: a vector of the kernels' width. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, VectorShape.forBitSize(Lanes.S.vectorBitSize()));
    /** The floats that widen into one such vector: half the width. */
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(Lanes.S.vectorBitSize() / 2));

    private static DoubleVector widen(float[] a, int i) {
        return (DoubleVector) FloatVector.fromArray(F, a, i).convertShape(VectorOperators.F2D, D, 0);
    }

    private static void narrow(DoubleVector v, float[] a, int i) {
        ((FloatVector) v.convertShape(VectorOperators.D2F, F, 0)).intoArray(a, i);
    }

    /** {@code y[yo + i] = (float) sin(x[xo + i])} for {@code i < n}; y may be x at the same offset. */
    static void sin(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (; i + D.length() <= n; i += D.length()) narrow(widen(x, xo + i).lanewise(VectorOperators.SIN), y, yo + i);
        for (; i < n; i++) y[yo + i] = (float) Math.sin(x[xo + i]);
    }

    /** {@code dx[dxo + i] = (float) (dy[dyo + i] * cos(x[xo + i]))} for {@code i < n}. */
    static void sinBackward(float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n) {
        int i = 0;
        for (; i + D.length() <= n; i += D.length())
            narrow(widen(dy, dyo + i).mul(widen(x, xo + i).lanewise(VectorOperators.COS)), dx, dxo + i);
        for (; i < n; i++) dx[dxo + i] = (float) (dy[dyo + i] * Math.cos(x[xo + i]));
    }
}
