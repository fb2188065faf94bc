package dev.nfn4j.ops.simd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vector SIN activation against the reference's double Math.sin and Math.cos rounded to
 * float, over the argument ranges Fourier features reach and far beyond (the range reduction),
 * at lengths that end in a scalar tail. Within one float ulp: the Vector API promises 1 ulp in
 * double, so a float result can differ only where that lands across a float rounding boundary.
 */
class TrigTest {
    @Test
    void sinAndItsBackwardMatchTheScalarDoubleLoopsWithinOneUlp() {
        Random r = new Random(7);
        for (double scale : new double[]{1, 30, 1e3, 1e5})
            for (int n : new int[]{1, 7, 9, 17, 4099}) {
                float[] x = new float[n], dy = new float[n], y = new float[n], dx = new float[n];
                for (int i = 0; i < n; i++) {
                    x[i] = (float) ((2 * r.nextDouble() - 1) * scale);
                    dy[i] = (float) r.nextGaussian();
                }
                Trig.sin(x, 0, y, 0, n);
                Trig.sinBackward(x, 0, dy, 0, dx, 0, n);
                for (int i = 0; i < n; i++) {
                    float ys = (float) Math.sin(x[i]), dxs = (float) (dy[i] * Math.cos(x[i]));
                    assertTrue(Math.abs(y[i] - ys) <= Math.ulp(ys), "sin(" + x[i] + ") = " + y[i] + ", scalar " + ys);
                    assertTrue(Math.abs(dx[i] - dxs) <= Math.ulp(dxs), dy[i] + " * cos(" + x[i] + ") = " + dx[i] + ", scalar " + dxs);
                }
            }
    }

    /** In place (y is x), as FourierFeatures calls it on its own buffer. */
    @Test
    void sinInPlace() {
        float[] x = {0f, 1f, -2f, 3.5f, 100f, -1e4f, 0.25f, 7f, 8f, 9f, 10f};
        float[] expect = new float[x.length];
        for (int i = 0; i < x.length; i++) expect[i] = (float) Math.sin(x[i]);
        Trig.sin(x, 0, x, 0, x.length);
        for (int i = 0; i < x.length; i++) assertTrue(Math.abs(x[i] - expect[i]) <= Math.ulp(expect[i]), i + ": " + x[i] + " vs " + expect[i]);
    }
}
