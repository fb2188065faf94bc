package dev.nfn4j.zoo.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.testing.TestBackends;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The zoo trainers' products on each host backend against the textbook sums, on uneven shapes and arrays larger than the product. */
class LayerProductTest {
    private static float[] random(int n, Random r) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference", "simd"})
    void forwardAndBackwardAreTheProductAndItsGradients(String backend) {
        if (backend.equals("simd")) TestBackends.assumeSimd();
        Ops ops = dev.nfn4j.ops.Backends.byName(backend, 1);
        Random r = new Random(5);
        for (int[] s : new int[][]{{9, 16, 37}, {144, 16, 49}, {16, 10, 3}, {1, 1, 1}}) {
            int cin = s[0], cout = s[1], n = s[2], spare = 7;
            float[] x = random(cin * n + spare, r), a = random(cout * cin, r), bias = random(cout, r), dy = random(cout * n + spare, r);
            float[] y = new float[cout * n + spare], dx = new float[cin * n + spare], da = random(cout * cin, r), db = random(cout, r);
            LayerProduct p = new LayerProduct(ops, cin, cout);
            p.forward(n, x, a, bias, 0, y);
            p.backward(n, x, a, dy, dx, da, db, 0);
            String at = backend + " " + cin + "->" + cout + " over " + n;
            for (int o = 0; o < cout; o++)
                for (int j = 0; j < n; j++) {
                    double sum = bias[o];
                    for (int c = 0; c < cin; c++) sum += (double) a[o * cin + c] * x[c * n + j];
                    assertEquals(sum, y[o * n + j], 1e-4 * (1 + Math.abs(sum)), at + ": y[" + o + "][" + j + "]");
                }
            for (int c = 0; c < cin; c++)
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int o = 0; o < cout; o++) sum += (double) a[o * cin + c] * dy[o * n + j];
                    assertEquals(sum, dx[c * n + j], 1e-4 * (1 + Math.abs(sum)), at + ": dx[" + c + "][" + j + "]");
                }
            for (int o = 0; o < cout; o++) {
                double sumB = 0;
                for (int j = 0; j < n; j++) sumB += dy[o * n + j];
                assertEquals(sumB, db[o], 1e-4 * (1 + Math.abs(sumB)), at + ": dbias[" + o + "] (overwritten)");
                for (int c = 0; c < cin; c++) {
                    double sum = 0;
                    for (int j = 0; j < n; j++) sum += (double) dy[o * n + j] * x[c * n + j];
                    assertEquals(sum, da[o * cin + c], 1e-4 * (1 + Math.abs(sum)), at + ": da[" + o + "][" + c + "] (overwritten)");
                }
            }
            for (int q = cout * n; q < y.length; q++) assertEquals(0f, y[q], at + ": y past the product is untouched");
        }
    }

    @org.junit.jupiter.api.Test
    void aBackendWithoutHeapViewsIsNamed() {
        Ops device = (Ops) java.lang.reflect.Proxy.newProxyInstance(Ops.class.getClassLoader(), new Class<?>[]{Ops.class}, (proxy, m, args) -> {
            if (m.getName().equals("name")) return "device";
            if (m.isDefault()) return java.lang.reflect.InvocationHandler.invokeDefault(proxy, m, args);
            throw new UnsupportedOperationException(m.getName());
        });
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new LayerProduct(device, 2, 2).forward(1, new float[2], new float[4], new float[2], 0, new float[2]));
        assertEquals("backend device cannot work on Java arrays", e.getMessage());
    }
}
