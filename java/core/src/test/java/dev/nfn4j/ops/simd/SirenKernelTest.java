package dev.nfn4j.ops.simd;

import dev.nfn4j.testing.TestBackends;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SIREN op's sin and cos: accurate to a few float ulps over the arguments SIRENs meet, and the vector form equal to the scalar one. */
class SirenKernelTest {
    @Test
    void sinAndCosAreAccurateAndTheVectorFormMatchesTheScalarOne() {
        TestBackends.assumeSimd();
        int n = 200_000 / Lanes.V * Lanes.V;
        float[] z = new float[n], s = new float[n], c = new float[n], s2 = new float[n];
        for (int i = 0; i < n; i++) z[i] = (float) (-2000 + 4000.0 * i / n) + (i % 7) * 1e-3f;
        for (int i = 0; i < n; i += Lanes.V) {
            SirenKernel.sinCos(FloatVector.fromArray(Lanes.S, z, i), s, c, i);
            SirenKernel.sin(FloatVector.fromArray(Lanes.S, z, i), s2, i);
        }
        double worst = 0;
        for (int i = 0; i < n; i++) {
            worst = Math.max(worst, Math.max(Math.abs(s[i] - Math.sin(z[i])), Math.abs(c[i] - Math.cos(z[i]))));
            assertEquals(Float.floatToRawIntBits(SirenKernel.sinScalar(z[i])), Float.floatToRawIntBits(s[i]), "sin " + z[i]);
            assertEquals(Float.floatToRawIntBits(s[i]), Float.floatToRawIntBits(s2[i]), "sin alone " + z[i]);
        }
        assertTrue(worst < 4e-7, "worst absolute error " + worst); // a float ulp of 1 is 1.2e-7
    }
}
