package dev.nfn4j.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Counts of (true class, predicted class) pairs: {@code counts[t][p]}; top-1 accuracy is its trace over its total. */
public final class ConfusionMatrix {
    private final int[][] counts;
    private int total;

    /** An empty matrix of {@code classes} classes. */
    public ConfusionMatrix(int classes) {
        counts = new int[classes][classes];
    }

    /** Counts one sample of true class {@code actual} predicted as {@code predicted}. */
    public void add(int actual, int predicted) {
        counts[actual][predicted]++;
        total++;
    }

    /** Adds each row of logits {@code z [B][K]}: its arg max against its label. */
    public void addLogits(float[] z, int[] labels) {
        int K = counts.length;
        for (int b = 0; b < labels.length; b++) add(labels[b], argMax(z, b * K, K));
    }

    /** Index of the largest of {@code z[from .. from + K)}, the first on ties. */
    public static int argMax(float[] z, int from, int K) {
        int arg = 0;
        for (int c = 1; c < K; c++) if (z[from + c] > z[from + arg]) arg = c;
        return arg;
    }

    /** Number of samples counted. */
    public int total() {
        return total;
    }

    /** Fraction of samples predicted right (NaN when empty). */
    public double accuracy() {
        int right = 0;
        for (int c = 0; c < counts.length; c++) right += counts[c][c];
        return total == 0 ? Double.NaN : (double) right / total;
    }

    /** Rows (true class) of counts (predicted class), for JSON. */
    public List<List<Integer>> rows() {
        List<List<Integer>> r = new ArrayList<>();
        for (int[] row : counts) {
            List<Integer> l = new ArrayList<>();
            for (int v : row) l.add(v);
            r.add(l);
        }
        return r;
    }

    /** A text table: one line per true class (named), one column per predicted class, then the class's recall. */
    public String table(String[] names) {
        int K = counts.length;
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-14s", "true \\ pred"));
        for (int p = 0; p < K; p++) s.append(String.format(Locale.ROOT, "%5d", p));
        s.append("  recall\n");
        for (int t = 0; t < K; t++) {
            String name = t + " " + (names != null && t < names.length ? names[t] : "");
            s.append(String.format(Locale.ROOT, "%-14.14s", name));
            int n = 0;
            for (int p = 0; p < K; p++) {
                s.append(String.format(Locale.ROOT, "%5d", counts[t][p]));
                n += counts[t][p];
            }
            s.append(n == 0 ? "       -" : String.format(Locale.ROOT, "  %5.1f%%", 100.0 * counts[t][t] / n)).append('\n');
        }
        return s.toString();
    }
}
