package dev.nfn4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MetricsTest {
    private static final double EPS = 1e-12;

    @Test
    void kendallTauOfHandCountedRankings() {
        double[] x = {0.1, 0.4, 0.35, 0.9, 0.6};
        assertEquals(1.0, Metrics.kendallTau(x, new double[]{1, 4, 3, 9, 6}), EPS, "perfectly concordant");
        assertEquals(-1.0, Metrics.kendallTau(x, new double[]{-1, -4, -3, -9, -6}), EPS, "reversed");
        // 1 discordant pair of 6: (C - D) / 6 = (5 - 1) / 6.
        assertEquals(4.0 / 6, Metrics.kendallTau(new double[]{1, 2, 3, 4}, new double[]{1, 3, 2, 4}), EPS);
        // tau-b with one tie on each side: C = 7, D = 1 of 10 pairs, 9 untied per side: 6 / sqrt(9 * 9) (scipy agrees).
        assertEquals(6.0 / 9, Metrics.kendallTau(new double[]{1, 2, 2, 3, 4}, new double[]{1, 3, 2, 2, 5}), EPS);
        assertTrue(Double.isNaN(Metrics.kendallTau(new double[]{1, 1, 1}, new double[]{1, 2, 3})), "constant side: NaN as scipy");
        assertTrue(Double.isNaN(Metrics.kendallTau(new double[]{1, Double.NaN, 3}, new double[]{1, 2, 3})));
        assertEquals(1.0, Metrics.kendallTau(new float[]{0.2f, 0.5f, 0.9f}, new float[]{0.1f, 0.3f, 0.95f}), EPS);
    }

    @Test
    void r2IsOneMinusResidualOverTotal() {
        double[] a = {1, 2, 3};
        assertEquals(1.0, Metrics.r2(a, a.clone()), EPS, "perfect fit");
        assertEquals(0.0, Metrics.r2(a, new double[]{2, 2, 2}), EPS, "predicting the mean");
        assertEquals(0.5, Metrics.r2(a, new double[]{1, 2, 4}), EPS, "SS_res 1, SS_tot 2");
        assertEquals(1 - 13.0 / 2, Metrics.r2(a, new double[]{3, 2, 0}), EPS, "SS_res 4 + 0 + 9: worse than the mean, negative");
        assertEquals(1.0, Metrics.r2(new double[]{5, 5}, new double[]{5, 5}), EPS, "constant and perfect: 1 as sklearn");
        assertEquals(0.0, Metrics.r2(new double[]{5, 5}, new double[]{5, 6}), EPS, "constant, imperfect: 0 as sklearn");
        assertTrue(Double.isNaN(Metrics.r2(a, new double[]{1, Double.NaN, 3})));
        assertEquals(1.0, Metrics.r2(new float[]{0.25f, 0.5f}, new float[]{0.25f, 0.5f}), EPS);
    }

    @Test
    void meanAbsErrorAveragesOverSamples() {
        assertEquals(1.0, Metrics.meanAbsError(new double[]{1, 2, 3}, new double[]{2, 2, 5}), EPS);
        assertEquals(0.0, Metrics.meanAbsError(new double[]{1, 2}, new double[]{1, 2}), EPS);
        assertEquals(0.25, Metrics.meanAbsError(new float[]{0.5f, 0.5f}, new float[]{0.25f, 0.75f}), EPS);
    }

    @Test
    void lengthMismatchAndEmptyInputAreErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Metrics.kendallTau(new double[3], new double[2]));
        assertEquals("Kendall's tau: 3 actual values but 2 predictions", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Metrics.r2(new double[1], new double[2]));
        assertThrows(IllegalArgumentException.class, () -> Metrics.meanAbsError(new float[2], new float[1]));
        e = assertThrows(IllegalArgumentException.class, () -> Metrics.r2(new double[0], new double[0]));
        assertEquals("R^2 of empty input", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Metrics.kendallTau(new float[0], new float[0]));
        assertThrows(IllegalArgumentException.class, () -> Metrics.meanAbsError(new double[0], new double[0]));
    }
}
