package dev.nfn4j.testing;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * How a fast backend's results are held to the reference's: relative L2 error with a tolerance
 * (sums taken in another order, in float instead of double), or bit-identity (thread counts,
 * plain copies). Failure messages name the worst element, so a tail or edge bug shows where.
 */
public final class Compare {
    private Compare() {}

    /**
     * ||actual - expected|| / ||expected|| in double. NaN must sit at the same places in both
     * (a 1-value plane's variance is NaN, as torch's; a poisoned output element that was never
     * written stays NaN) and is then left out; a NaN in one only gives +infinity.
     */
    public static double relL2(float[] actual, float[] expected) {
        if (actual.length != expected.length) throw new AssertionError("lengths differ: " + actual.length + " vs " + expected.length);
        double num = 0, den = 0;
        for (int i = 0; i < actual.length; i++) {
            boolean na = Float.isNaN(actual[i]), ne = Float.isNaN(expected[i]);
            if (na || ne) {
                if (na != ne) return Double.POSITIVE_INFINITY;
                continue;
            }
            double d = (double) actual[i] - expected[i];
            num += d * d;
            den += (double) expected[i] * expected[i];
        }
        if (Double.isNaN(num) || Double.isInfinite(num)) return Double.POSITIVE_INFINITY;
        return den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(num / den);
    }

    /** Fails unless relL2(actual, expected) <= tol; tol 0 asks for bit-identity (NaN equal to NaN). */
    public static void assertClose(float[] actual, float[] expected, double tol, String what) {
        assertClose(actual, expected, tol, 0, what);
    }

    /**
     * As {@link #assertClose(float[], float[], double, String)}, with the error taken relative to
     * {@code max(||expected||, floor)}: for a sum that cancels to far below its terms (a bias
     * gradient of a single channel can), float rounding is relative to the terms, not the sum,
     * and {@code floor} gives the terms' scale.
     */
    public static void assertClose(float[] actual, float[] expected, double tol, double floor, String what) {
        if (tol == 0) {
            assertBitIdentical(actual, expected, what);
            return;
        }
        double err = relL2(actual, expected);
        double norm = norm(expected);
        if (floor > norm && Double.isFinite(err)) err = err * norm / floor;
        if (norm == 0 && floor > 0 && Double.isInfinite(err)) err = norm(diff(actual, expected)) / floor;
        if (err <= tol) return;
        fail(what + ": rel. L2 error " + err + " > " + tol + (floor > norm ? " (relative to the floor " + floor + ")" : "") + "; "
                + worst(actual, expected));
    }

    /** The L2 norm in double, NaN entries left out. */
    public static double norm(float[] a) {
        double s = 0;
        for (float v : a) if (!Float.isNaN(v)) s += (double) v * v;
        return Math.sqrt(s);
    }

    private static float[] diff(float[] a, float[] b) {
        float[] d = new float[a.length];
        for (int i = 0; i < a.length; i++) d[i] = (float) ((double) a[i] - b[i]);
        return d;
    }

    /** Every element the same bits ({@link Float#floatToIntBits}: all NaNs alike, +0 and -0 distinct). */
    public static void assertBitIdentical(float[] actual, float[] expected, String what) {
        if (actual.length != expected.length) fail(what + ": lengths differ: " + actual.length + " vs " + expected.length);
        int diffs = 0, first = -1;
        for (int i = 0; i < actual.length; i++)
            if (Float.floatToIntBits(actual[i]) != Float.floatToIntBits(expected[i])) {
                if (first < 0) first = i;
                diffs++;
            }
        if (diffs > 0)
            fail(what + ": " + diffs + " of " + actual.length + " elements not bit-identical; first at [" + first + "]: "
                    + actual[first] + " vs expected " + expected[first] + "; " + worst(actual, expected));
    }

    /** The element with the largest disagreement, NaN mismatches first. */
    static String worst(float[] actual, float[] expected) {
        int nanAt = -1, nanCount = 0, at = -1;
        double worst = -1, scale = 0;
        for (int i = 0; i < actual.length; i++) {
            scale = Math.max(scale, Float.isFinite(expected[i]) ? Math.abs(expected[i]) : 0);
            if (Float.isNaN(actual[i]) != Float.isNaN(expected[i])) {
                if (nanAt < 0) nanAt = i;
                nanCount++;
                continue;
            }
            double d = Math.abs((double) actual[i] - expected[i]);
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        StringBuilder s = new StringBuilder();
        if (nanCount > 0)
            s.append(nanCount).append(" NaN mismatches, first at [").append(nanAt).append("]: ").append(actual[nanAt])
                    .append(" vs expected ").append(expected[nanAt]).append(" (a NaN in one only: where actual is NaN, an element never written?); ");
        if (at >= 0)
            s.append("largest |diff| ").append(worst).append(" at [").append(at).append("]: ").append(actual[at])
                    .append(" vs expected ").append(expected[at]).append(", max |expected| ").append(scale)
                    .append(", n = ").append(actual.length);
        return s.toString();
    }
}
