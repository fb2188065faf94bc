package dev.nfn4j.train;

import org.apache.commons.math3.stat.correlation.KendallsCorrelation;

/**
 * The predicting-generalization scores nfn reports (its {@code evaluate}): Kendall's tau
 * (scipy's {@code kendalltau}, the tau-b variant that corrects for ties), the coefficient of
 * determination R² (sklearn's {@code r2_score}) and the mean absolute (L1) error.
 * Arguments are {@code (actual, predicted)} as in sklearn. A NaN anywhere gives NaN, as scipy
 * propagates it; lengths that differ and empty input are errors.
 */
public final class Metrics {
    private Metrics() {
    }

    /** Kendall's tau-b rank correlation in [-1, 1]; NaN when either side is constant (as scipy). */
    public static double kendallTau(double[] actual, double[] predicted) {
        check("Kendall's tau", actual, predicted);
        if (hasNaN(actual) || hasNaN(predicted)) return Double.NaN; // sorting NaNs would give a meaningless number
        return new KendallsCorrelation().correlation(actual, predicted);
    }

    /**
     * R² = 1 - SS_res / SS_tot with SS_res = Σ(actual - predicted)², SS_tot = Σ(actual - mean)².
     * For constant {@code actual} (SS_tot = 0), as sklearn: 1 for a perfect prediction, else 0.
     * Negative when the prediction is worse than predicting the mean.
     */
    public static double r2(double[] actual, double[] predicted) {
        check("R^2", actual, predicted);
        double mean = 0;
        for (double a : actual) mean += a;
        mean /= actual.length;
        double ssRes = 0, ssTot = 0;
        for (int i = 0; i < actual.length; i++) {
            double r = actual[i] - predicted[i], t = actual[i] - mean;
            ssRes += r * r;
            ssTot += t * t;
        }
        if (ssTot == 0) return ssRes == 0 ? 1 : ssRes > 0 ? 0 : Double.NaN;
        return 1 - ssRes / ssTot;
    }

    /**
     * Mean |actual - predicted| over all samples. (nfn averages per-batch means, which differs
     * only when the last batch is smaller.)
     */
    public static double meanAbsError(double[] actual, double[] predicted) {
        check("mean L1 error", actual, predicted);
        double sum = 0;
        for (int i = 0; i < actual.length; i++) sum += Math.abs(actual[i] - predicted[i]);
        return sum / actual.length;
    }

    /** Kendall's tau-b between the two rankings. */
    public static double kendallTau(float[] actual, float[] predicted) {
        return kendallTau(widen(actual), widen(predicted));
    }

    /** The coefficient of determination of the predictions. */
    public static double r2(float[] actual, float[] predicted) {
        return r2(widen(actual), widen(predicted));
    }

    /** The mean absolute error. */
    public static double meanAbsError(float[] actual, float[] predicted) {
        return meanAbsError(widen(actual), widen(predicted));
    }

    private static void check(String metric, double[] actual, double[] predicted) {
        if (actual.length != predicted.length)
            throw new IllegalArgumentException(metric + ": " + actual.length + " actual values but " + predicted.length + " predictions");
        if (actual.length == 0) throw new IllegalArgumentException(metric + " of empty input");
    }

    private static boolean hasNaN(double[] a) {
        for (double v : a) if (Double.isNaN(v)) return true;
        return false;
    }

    private static double[] widen(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
