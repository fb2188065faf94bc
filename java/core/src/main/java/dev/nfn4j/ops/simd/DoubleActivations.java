package dev.nfn4j.ops.simd;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.host.Activations;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The activations that need a transcendental function (SIN, TANH, SIGMOID, GELU) and their
 * backwards over float arrays, in double as the reference computes them
 * ({@link Activations}): each float widened to double, the same double
 * operations in the same order with the Vector API's exp, sin, cos and tanh, the result rounded
 * to float. The Vector API's functions are within an ulp of Math's in double, so a float result
 * can differ from the reference's only where that lands across a float rounding boundary, and in
 * TANH's backward where 1 - tanh^2 cancels. Lab, AVX-512 host, 8 million inputs each in
 * [-30, 30]: every forward and every backward the reference's floats but 5,903 TANH backwards;
 * forward + backward per element SIN 2.5 against 16.8 ns for the scalar loops, TANH 16.0 / 27.1,
 * SIGMOID 12.3 / 30.8, GELU 25.4 / 48.1. The Fourier input features are SIN's caller (sin and cos
 * of every weight at each frequency); the others are the layers' {@code --act} choices. {@link SirenKernel} has its own float polynomial for the SIREN fitting,
 * whose oracle is float; these ops' oracle is double.
 */
final class DoubleActivations {
    private DoubleActivations() {
    }

    /** Doubles per step: a vector of the kernels' width. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, VectorShape.forBitSize(Lanes.S.vectorBitSize()));
    /** The floats that widen into one such vector: half the width. */
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(Lanes.S.vectorBitSize() / 2));
    private static final double SQRT2 = Math.sqrt(2), SQRT_2PI = Math.sqrt(2 * Math.PI);
    /**
     * Shorter calls take the scalar loop: until C2 compiles it, the vector code runs boxed at tens
     * of microseconds a vector, and a call as short as a predictor's 8 output sigmoids is too rare
     * to get it compiled (lab, fresh JVM, 20,000 calls of SIGMOID on 8 floats: 182 ms vector
     * against 5.6 ms scalar; 0.3 ms of every zoo_hnp_train_step in its first thousands of steps).
     */
    static final int MIN_VECTOR_LENGTH = 256;

    /** Whether {@link #apply} and {@link #backward} take this activation. */
    static boolean handles(Act act) {
        return act == Act.SIN || act == Act.TANH || act == Act.SIGMOID || act == Act.GELU;
    }

    private static DoubleVector widen(float[] a, int i) {
        return (DoubleVector) FloatVector.fromArray(F, a, i).convertShape(VectorOperators.F2D, D, 0);
    }

    private static void narrow(DoubleVector v, float[] a, int i) {
        ((FloatVector) v.convertShape(VectorOperators.D2F, F, 0)).intoArray(a, i);
    }

    /** {@code y[yo + i] = (float) act(x[xo + i])} for {@code i < n}; y may be x at the same offset. */
    static void apply(Act act, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (; n >= MIN_VECTOR_LENGTH && i + D.length() <= n; i += D.length()) {
            DoubleVector v = widen(x, xo + i);
            narrow(switch (act) {
                case SIN -> v.lanewise(VectorOperators.SIN);
                case TANH -> v.lanewise(VectorOperators.TANH);
                case SIGMOID -> sigmoid(v);
                case GELU -> v.mul(0.5).mul(erf(v.div(SQRT2)).add(1));
                default -> throw new IllegalArgumentException(act + " is not a transcendental activation");
            }, y, yo + i);
        }
        for (; i < n; i++) y[yo + i] = (float) Activations.apply(act, x[xo + i]);
    }

    /** {@code dx[dxo + i] = (float) (dy[dyo + i] * act'(x[xo + i]))} for {@code i < n}. */
    static void backward(Act act, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo, int n) {
        int i = 0;
        for (; n >= MIN_VECTOR_LENGTH && i + D.length() <= n; i += D.length()) {
            DoubleVector v = widen(x, xo + i);
            DoubleVector d = switch (act) {
                case SIN -> v.lanewise(VectorOperators.COS);
                case TANH -> {
                    DoubleVector t = v.lanewise(VectorOperators.TANH);
                    yield DoubleVector.broadcast(D, 1).sub(t.mul(t));
                }
                case SIGMOID -> {
                    DoubleVector s = sigmoid(v);
                    yield s.mul(DoubleVector.broadcast(D, 1).sub(s));
                }
                case GELU -> erf(v.div(SQRT2)).add(1).mul(0.5)
                        .add(v.mul(v.mul(-0.5).mul(v).lanewise(VectorOperators.EXP)).div(SQRT_2PI));
                default -> throw new IllegalArgumentException(act + " is not a transcendental activation");
            };
            narrow(widen(dy, dyo + i).mul(d), dx, dxo + i);
        }
        for (; i < n; i++) dx[dxo + i] = (float) (dy[dyo + i] * Activations.derivative(act, x[xo + i]));
    }

    /** x >= 0 ? 1 / (1 + e^-x) : e^x / (1 + e^x), both with e = exp(-|x|) (the reference's branches). */
    private static DoubleVector sigmoid(DoubleVector x) {
        DoubleVector e = x.abs().neg().lanewise(VectorOperators.EXP), den = e.add(1);
        VectorMask<Double> nonNegative = x.compare(VectorOperators.GE, 0);
        return e.div(den).blend(DoubleVector.broadcast(D, 1).div(den), nonNegative);
    }

    /** The reference's erf (Numerical Recipes' erfc fit), operation for operation. */
    private static DoubleVector erf(DoubleVector x) {
        DoubleVector z = x.abs();
        DoubleVector t = DoubleVector.broadcast(D, 1).div(z.mul(0.5).add(1));
        DoubleVector poly = t.mul(0.17087277).add(-0.82215223);
        poly = t.mul(poly).add(1.48851587);
        poly = t.mul(poly).add(-1.13520398);
        poly = t.mul(poly).add(0.27886807);
        poly = t.mul(poly).add(-0.18628806);
        poly = t.mul(poly).add(0.09678418);
        poly = t.mul(poly).add(0.37409196);
        poly = t.mul(poly).add(1.00002368);
        DoubleVector r = t.mul(z.neg().mul(z).sub(1.26551223).add(t.mul(poly)).lanewise(VectorOperators.EXP));
        VectorMask<Double> nonNegative = x.compare(VectorOperators.GE, 0);
        return r.sub(1).blend(DoubleVector.broadcast(D, 1).sub(r), nonNegative);
    }
}
