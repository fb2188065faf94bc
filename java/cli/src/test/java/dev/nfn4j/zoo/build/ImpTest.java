package dev.nfn4j.zoo.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Iterative magnitude pruning on cases worked out by hand. */
class ImpTest {
    private static final boolean T = true, F = false;

    /** Three rounds on one layer of eight weights, with the trained weights of each round given. */
    @Test
    void whichWeightsGoAtEachRound() {
        boolean[] all = {T, T, T, T, T, T, T, T};
        // Round 1: keep 6 of 8. |w| ascending: 0.05 (#5), then 0.1 (#1) and -0.1 (#6) tie: #1 goes (lower index), #6 stays.
        float[] w1 = {0.9f, 0.1f, -0.4f, 0.3f, -0.8f, 0.05f, -0.1f, 0.6f};
        boolean[] k1 = Imp.prune(w1, all, 6);
        assertArrayEquals(new boolean[]{T, F, T, T, T, F, T, T}, k1);
        // Round 2 (retrained from the rewound survivors; pruned weights stay at zero): keep 4 of 6.
        // Survivors' |w|: #0 0.2, #2 0.7, #3 0.15, #4 0.5, #6 0.9, #7 0.25 -> #3 and #0 go. The large
        // values at the dead positions #1 and #5 do not bring them back.
        float[] w2 = {0.2f, 5f, 0.7f, -0.15f, 0.5f, -5f, 0.9f, -0.25f};
        boolean[] k2 = Imp.prune(w2, k1, 4);
        assertArrayEquals(new boolean[]{F, F, T, F, T, F, T, T}, k2);
        // Round 3: keep 1 of 4: the largest survivor, #6 (|-1.2|).
        float[] w3 = {0, 0, 0.3f, 0, 1.1f, 0, -1.2f, 0.2f};
        assertArrayEquals(new boolean[]{F, F, F, F, F, F, T, F}, Imp.prune(w3, k2, 1));
        // Keeping all survivors changes nothing; more than survive is an error.
        assertArrayEquals(k2, Imp.prune(w3, k2, 4));
        assertThrows(IllegalArgumentException.class, () -> Imp.prune(w3, k2, 5));
        assertThrows(IllegalArgumentException.class, () -> Imp.prune(new float[3], new boolean[2], 1));
    }

    /** Densities 0.5 then 0.2 on three layers: the first two at the density, the last at half the rate of each round. */
    @Test
    void scheduleHalvesTheRateOfTheLastLayer() {
        double[][] s = Imp.schedule(new double[]{0.5, 0.2}, 3);
        // Round 1: rate 0.5, last layer 1 - 0.25 = 0.75. Round 2: rate 1 - 0.2/0.5 = 0.6, last 0.75 * 0.7 = 0.525.
        assertArrayEquals(new double[]{0.5, 0.5, 0.75}, s[0], 1e-12);
        assertArrayEquals(new double[]{0.2, 0.2, 0.525}, s[1], 1e-12);
        // One layer: it is the network, pruned at the full rate.
        assertArrayEquals(new double[]{0.1}, Imp.schedule(new double[]{0.1}, 1)[0], 1e-12);
        assertEquals(5, Imp.keepCount(0.5, 10));
        assertEquals(1, Imp.keepCount(0.01, 10));
        assertEquals(3, Imp.keepCount(0.25, 10)); // round(2.5) = 3
    }

    @Test
    void densitiesOutsideTheOpenUnitIntervalOrNotDecreasingAreRefused() {
        for (double[] d : new double[][]{{}, {1.0}, {0.0}, {-0.1}, {1.5}, {0.5, 0.5}, {0.2, 0.5}, {Double.NaN}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Imp.checkDensities(d));
            assertTrue(e.getMessage().contains("densit"), e.getMessage());
        }
    }
}
