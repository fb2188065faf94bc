package dev.nfn4j.ops.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.host.Activations;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vector transcendental activations against the reference's double functions rounded to
 * float, over the ranges the layers and Fourier features reach and beyond (SIN's range
 * reduction, the saturated ends of TANH, SIGMOID and GELU), at lengths that end in a scalar tail.
 * Within one float ulp: the Vector API's functions are within an ulp of Math's in double, so a
 * float result can differ only where that lands across a float rounding boundary; the backwards
 * also where the reference's own formulas cancel (see the tolerance).
 */
class DoubleActivationsTest {
    private static final Act[] ACTS = {Act.SIN, Act.TANH, Act.SIGMOID, Act.GELU};

    @Test
    void forwardAndBackwardMatchTheScalarDoubleLoopsWithinOneUlp() {
        Random r = new Random(7);
        for (Act act : ACTS)
            for (double scale : new double[]{1, 30, 1e3, 1e5})
                for (int n : new int[]{1, 7, 9, 17, DoubleActivations.MIN_VECTOR_LENGTH - 1, DoubleActivations.MIN_VECTOR_LENGTH + 9, 4099}) {
                    float[] x = new float[n], dy = new float[n], y = new float[n], dx = new float[n];
                    for (int i = 0; i < n; i++) {
                        x[i] = (float) ((2 * r.nextDouble() - 1) * scale);
                        dy[i] = (float) r.nextGaussian();
                    }
                    DoubleActivations.apply(act, x, 0, y, 0, n);
                    DoubleActivations.backward(act, x, 0, dy, 0, dx, 0, n);
                    for (int i = 0; i < n; i++) {
                        float ys = (float) Activations.apply(act, x[i]), dxs = (float) (dy[i] * Activations.derivative(act, x[i]));
                        assertTrue(Math.abs(y[i] - ys) <= Math.ulp(ys), act + "(" + x[i] + ") = " + y[i] + ", scalar " + ys);
                        // 1 - t^2 and s (1 - s) cancel where the function saturates: there a one-ulp
                        // difference of the double tanh or exp shows up at |dy| 2^-52 absolute.
                        double tol = Math.ulp(dxs) + Math.abs(dy[i]) * 0x1p-50;
                        assertTrue(Math.abs(dx[i] - dxs) <= tol, act + "' at " + x[i] + ": " + dx[i] + ", scalar " + dxs);
                    }
                }
    }

    /** In place (y is x), as FourierFeatures and the activation layers may call it. */
    @Test
    void inPlace() {
        for (Act act : ACTS) {
            float[] pattern = {0f, 1f, -2f, 3.5f, 100f, -1e4f, 0.25f, 7f, 8f, -9f, 10f, -0f};
            float[] x = new float[DoubleActivations.MIN_VECTOR_LENGTH + 3];
            for (int i = 0; i < x.length; i++) x[i] = pattern[i % pattern.length];
            float[] expect = new float[x.length];
            for (int i = 0; i < x.length; i++) expect[i] = (float) Activations.apply(act, x[i]);
            DoubleActivations.apply(act, x, 0, x, 0, x.length);
            for (int i = 0; i < x.length; i++) assertTrue(Math.abs(x[i] - expect[i]) <= Math.ulp(expect[i]), act + " " + i + ": " + x[i] + " vs " + expect[i]);
        }
    }

    /** NaN in, NaN out, in the vector body and the tail alike (the reference's branches take NaN the same way). */
    @Test
    void nanStaysNan() {
        for (Act act : ACTS) {
            int n = DoubleActivations.MIN_VECTOR_LENGTH + 3;
            float[] x = new float[n], y = new float[n], dx = new float[n], dy = new float[n];
            java.util.Arrays.fill(x, Float.NaN);
            java.util.Arrays.fill(dy, 1f);
            DoubleActivations.apply(act, x, 0, y, 0, x.length);
            DoubleActivations.backward(act, x, 0, dy, 0, dx, 0, x.length);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Float.NaN, y[i], act + " forward " + i);
                assertEquals(Float.NaN, dx[i], act + " backward " + i);
            }
        }
    }
}
