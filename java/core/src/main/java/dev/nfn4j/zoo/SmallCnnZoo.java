package dev.nfn4j.zoo;

import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Npy;
import dev.nfn4j.io.NpyHeader;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.WsLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads the Small CNN Zoo of Unterthiner et al. 2020 ("Predicting Neural Network Accuracy from
 * Weights") as nfn's {@code experiments/data_utils.py ZooDataset} does. A zoo folder holds
 * <ul>
 *   <li>{@code weights.npy}: N x P float32, one flattened TensorFlow checkpoint per row;</li>
 *   <li>{@code layout.csv}: which columns hold which tensor (see {@link TfLayout});</li>
 *   <li>{@code metrics.csv.gz}: row i describes weights row i ({@code config.*}, {@code step},
 *       {@code test_accuracy}, {@code test_loss}, {@code train_accuracy}, {@code train_loss}, ...).</li>
 * </ul>
 * Steps, in nfn's order: reorder the rows by the split-order file when one is given (nfn's
 * {@code idcs_file}: row indices into weights.npy), keep the rows whose {@code step} is the
 * final one (86), check they are finite, convert TensorFlow to PyTorch/canonical layout, and
 * split with {@link Splits#nfn}. Only the kept rows are read from weights.npy.
 * <p>
 * Optionally ({@link Options#extraTrainSteps}) the training split also gets the earlier
 * checkpoints of its own runs (rows with the same {@code modeldir}): more training pairs for the
 * same runs, while validation and test keep the final step only, so no run of theirs leaks in.
 */
public final class SmallCnnZoo {
    /** The step of the trained checkpoints (86 epochs). */
    public static final int FINAL_STEP = 86;
    /** Read when present if no metrics are named; test_accuracy is always required. */
    public static final List<String> DEFAULT_METRICS = List.of(ZooDataset.TEST_ACCURACY, "test_loss", "train_accuracy", "train_loss");

    private SmallCnnZoo() {
    }

    /**
     * How to read a zoo.
     *
     * @param step       keep the rows with this {@code step} ({@link #FINAL_STEP})
     * @param seed       seed of the train/val shuffle (0, as nfn)
     * @param splitOrder nfn's split-order CSV (a list of weights.npy row indices), or null to keep file order
     * @param metrics    metric columns to read (all required), or null for {@link #DEFAULT_METRICS} as present;
     *                   test_accuracy is always read, as the target
     * @param extraTrainSteps earlier checkpoint steps whose rows join the training split, for the
     *                   training runs only (matched by {@code modeldir}); empty for none
     */
    public record Options(int step, long seed, Path splitOrder, List<String> metrics, List<Integer> extraTrainSteps) {
        /** Checks the options. */
        public Options {
            if (seed < 0) throw new IllegalArgumentException("seed must be >= 0, got " + seed);
            metrics = metrics == null ? null : List.copyOf(metrics);
            extraTrainSteps = List.copyOf(new TreeSet<>(extraTrainSteps));
            if (extraTrainSteps.contains(step))
                throw new IllegalArgumentException("extra training step " + step + " is the selected step itself");
        }

        /** The options {@code train} uses unless told otherwise. */
        public static Options defaults() {
            return new Options(FINAL_STEP, 0, null, null, List.of());
        }

        /** These options at checkpoint step {@code s}. */
        public Options withStep(int s) {
            return new Options(s, seed, splitOrder, metrics, extraTrainSteps);
        }

        /** These options with split seed {@code s}. */
        public Options withSeed(long s) {
            return new Options(step, s, splitOrder, metrics, extraTrainSteps);
        }

        /** These options with the split order of a CSV file. */
        public Options withSplitOrder(Path file) {
            return new Options(step, seed, file, metrics, extraTrainSteps);
        }

        /** These options reading the named metrics. */
        public Options withMetrics(List<String> names) {
            return new Options(step, seed, splitOrder, names, extraTrainSteps);
        }

        /** These options adding earlier checkpoints to the training split. */
        public Options withExtraTrainSteps(List<Integer> steps) {
            return new Options(step, seed, splitOrder, metrics, steps);
        }
    }

    /** Reads a zoo folder with the default options. */
    public static ZooDataset read(Path dir) throws IOException {
        return read(dir, Options.defaults());
    }

    /** Reads a zoo folder; throws naming the file and field when it is malformed. */
    public static ZooDataset read(Path dir, Options options) throws IOException {
        Path weightsFile = dir.resolve("weights.npy");
        NpyHeader h = rowsHeader(weightsFile);
        long rows = h.shape()[0], columns = h.shape()[1];
        if (columns > Integer.MAX_VALUE - 8) throw new NfnFormatException(weightsFile, "rows of " + columns + " floats are too long");

        TfLayout layout = TfLayout.read(dir.resolve("layout.csv"), columns);
        Path metricsFile = Files.exists(dir.resolve("metrics.csv.gz")) || !Files.exists(dir.resolve("metrics.csv"))
                ? dir.resolve("metrics.csv.gz") : dir.resolve("metrics.csv");
        if (rows > Integer.MAX_VALUE - 8) throw new NfnFormatException(weightsFile, rows + " rows are more than one Java array indexes");
        boolean extras = !options.extraTrainSteps().isEmpty();
        MetricsTable table = MetricsTable.read(metricsFile, options.metrics(), (int) rows, extras);

        long[] order = options.splitOrder() == null ? identity(rows) : readOrder(options.splitOrder(), rows);
        long[] finalRows = Arrays.stream(order).filter(r -> table.step()[(int) r] == options.step()).toArray();
        if (finalRows.length == 0)
            throw new NfnFormatException(metricsFile, "no row has step " + options.step() + " (steps present: " + table.steps() + ")");
        Splits splits = Splits.nfn(finalRows.length, options.seed());
        long[] extra = extras ? earlierCheckpoints(metricsFile, table, finalRows, splits.train(), options) : new long[0];
        // The extra rows go after the final-step ones, so nfn's split indices stay as they are.
        long[] kept = Arrays.copyOf(finalRows, finalRows.length + extra.length);
        System.arraycopy(extra, 0, kept, finalRows.length, extra.length);
        if (extra.length > 0) {
            int[] train = Arrays.copyOf(splits.train(), splits.train().length + extra.length);
            for (int i = 0; i < extra.length; i++) train[splits.train().length + i] = finalRows.length + i;
            splits = new Splits(train, splits.val(), splits.test());
        }

        float[] weights = Npy.readRows(weightsFile, kept);
        toCanonical(weightsFile, layout, weights, kept);

        Map<String, float[]> metrics = new LinkedHashMap<>();
        table.columns().forEach((name, all) -> {
            float[] v = new float[kept.length];
            for (int n = 0; n < kept.length; n++) v[n] = all[(int) kept[n]];
            metrics.put(name, v);
        });
        float[] acc = metrics.get(ZooDataset.TEST_ACCURACY);
        for (int n = 0; n < kept.length; n++)
            if (!Float.isFinite(acc[n]))
                throw new NfnFormatException(metricsFile, "row " + kept[n] + ": test_accuracy is " + acc[n]);
        return new ZooDataset(layout.spec(), weights, metrics, ZooDataset.TEST_ACCURACY, splits, kept);
    }

    /**
     * The rows at {@code options.extraTrainSteps()} of the training networks' runs, in training
     * order and by step within a run; every requested step must exist for every training run.
     */
    private static long[] earlierCheckpoints(Path metricsFile, MetricsTable table, long[] kept, int[] train, Options options)
            throws NfnFormatException {
        Map<String, Map<Integer, Long>> byRun = new LinkedHashMap<>();
        for (int r = 0; r < table.step().length; r++) {
            double st = table.step()[r];
            int step = (int) st;
            if (st != step || !options.extraTrainSteps().contains(step)) continue;
            Long before = byRun.computeIfAbsent(table.modeldir()[r], k -> new LinkedHashMap<>()).put(step, (long) r);
            if (before != null)
                throw new NfnFormatException(metricsFile, "rows " + before + " and " + r + " are both step " + step + " of run '" + table.modeldir()[r] + "'");
        }
        List<Long> extra = new ArrayList<>();
        for (int n : train) {
            String run = table.modeldir()[(int) kept[n]];
            Map<Integer, Long> steps = byRun.getOrDefault(run, Map.of());
            for (int step : options.extraTrainSteps()) {
                Long r = steps.get(step);
                if (r == null)
                    throw new NfnFormatException(metricsFile, "run '" + run + "' (row " + kept[n] + ") has no step " + step
                            + " checkpoint (steps present: " + table.steps() + ")");
                extra.add(r);
            }
        }
        return extra.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * Networks of a zoo folder by row of {@code weights.npy} (all rows when {@code rows} is null),
     * converted to the canonical layout as one batch {@code [rows.length]} of one channel, with
     * no metrics needed: what {@code nfn4j predict} reads from a zoo.
     */
    public static HostWeights networks(Path dir, long[] rows) throws IOException {
        Path weightsFile = dir.resolve("weights.npy");
        NpyHeader h = rowsHeader(weightsFile);
        TfLayout layout = TfLayout.read(dir.resolve("layout.csv"), h.shape()[1]);
        long[] kept = rows == null ? identity(h.shape()[0]) : rows;
        if (kept.length == 0) throw new NfnFormatException(weightsFile, "no rows selected");
        float[] weights = Npy.readRows(weightsFile, kept);
        toCanonical(weightsFile, layout, weights, kept);
        WsLayout batch = new WsLayout(layout.spec(), kept.length, 1);
        float[] out = new float[Math.toIntExact(batch.size())];
        batch.gather(weights, java.util.stream.IntStream.range(0, kept.length).toArray(), out);
        return new HostWeights(batch, out);
    }

    /**
     * The header of weights.npy, checked to be N x P with N, P >= 1. With P >= 1 the file's own
     * size bounds N, so what is sized by N (metrics, row lists) is bounded by the bytes present.
     */
    private static NpyHeader rowsHeader(Path weightsFile) throws IOException {
        NpyHeader h = Npy.header(weightsFile);
        if (h.ndim() != 2 || h.shape()[0] < 1 || h.shape()[1] < 1)
            throw new NfnFormatException(weightsFile, "expected N x P rows of weights (N, P >= 1), got shape " + h.shapeString());
        return h;
    }

    /** Checks each kept row is finite (nfn asserts it) and rewrites it in place from TensorFlow to canonical order. */
    private static void toCanonical(Path weightsFile, TfLayout layout, float[] weights, long[] kept) throws NfnFormatException {
        int p = layout.columns();
        float[] row = new float[p];
        for (int n = 0; n < kept.length; n++) {
            System.arraycopy(weights, n * p, row, 0, p);
            for (int c = 0; c < p; c++)
                if (!Float.isFinite(row[c])) {
                    TfLayout.Tensor t = layout.tensorAt(c);
                    throw new NfnFormatException(weightsFile, t.varname(), "row " + kept[n] + ": non-finite value " + row[c] + " at column " + c
                            + " (element " + (c - t.start()) + " of shape " + TfLayout.tuple(t.shape()) + ")");
                }
            layout.toCanonical(row, 0, weights, n * p);
        }
    }

    /** nfn's split-order file: row indices of weights.npy, one or more per line, each at most once. */
    private static long[] readOrder(Path file, long rows) throws IOException {
        List<Long> order = new ArrayList<>();
        long[] firstLine = new long[Math.toIntExact(rows)];
        CsvTable.readFields(file, (line, field) -> {
            String s = field.strip();
            if (s.isEmpty()) return;
            long r;
            try {
                r = Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new NfnFormatException(file, "line " + line + ": '" + s + "' is not a row index");
            }
            if (r < 0 || r >= rows)
                throw new NfnFormatException(file, "line " + line + ": row " + r + " is outside weights.npy's " + rows + " rows");
            if (firstLine[(int) r] != 0)
                throw new NfnFormatException(file, "line " + line + ": row " + r + " already listed on line " + firstLine[(int) r]);
            firstLine[(int) r] = line;
            order.add(r);
        });
        if (order.isEmpty()) throw new NfnFormatException(file, "lists no rows");
        return order.stream().mapToLong(Long::longValue).toArray();
    }

    private static long[] identity(long n) {
        long[] a = new long[Math.toIntExact(n)];
        for (int i = 0; i < a.length; i++) a[i] = i;
        return a;
    }

    /** The columns of metrics.csv.gz we keep: step, and the metrics as floats, one value per weights row. */
    private record MetricsTable(double[] step, String[] modeldir, Map<String, float[]> columns) {
        String steps() {
            TreeSet<Double> s = new TreeSet<>();
            for (double v : step) if (s.size() < 20) s.add(v);
            return s.stream().map(v -> v == Math.rint(v) ? String.valueOf(v.longValue()) : String.valueOf(v)).toList().toString();
        }

        /** Reads {@code rows} rows (weights.npy's count: one more or fewer is an error); modeldir only when asked. */
        static MetricsTable read(Path file, List<String> requested, int rows, boolean runs) throws IOException {
            double[] step = new double[rows];
            String[] modeldir = runs ? new String[rows] : null;
            int[] runCol = {-1};
            Map<String, float[]> columns = new LinkedHashMap<>();
            Map<String, Integer> at = new LinkedHashMap<>();
            int[] stepCol = new int[1];
            int[] count = new int[1];
            CsvTable.read(file, header -> {
                stepCol[0] = CsvTable.column(file, header, "step");
                if (runs) runCol[0] = CsvTable.column(file, header, "modeldir");
                List<String> wanted = new ArrayList<>(List.of(ZooDataset.TEST_ACCURACY));
                for (String m : requested == null ? DEFAULT_METRICS : requested) if (!wanted.contains(m)) wanted.add(m);
                for (String m : wanted) {
                    if (requested == null && !m.equals(ZooDataset.TEST_ACCURACY) && !header.containsKey(m)) continue; // optional default
                    at.put(m, CsvTable.column(file, header, m));
                    columns.put(m, new float[rows]);
                }
            }, row -> {
                int r = count[0]++;
                if (r >= rows) throw new NfnFormatException(file, "has more rows than weights.npy's " + rows + "; row i must describe weights row i");
                step[r] = CsvTable.number(row, stepCol[0], "step");
                if (runs) modeldir[r] = row.get(runCol[0], "modeldir").strip();
                for (var e : at.entrySet()) columns.get(e.getKey())[r] = (float) CsvTable.number(row, e.getValue(), e.getKey());
            });
            if (count[0] != rows)
                throw new NfnFormatException(file, "has " + count[0] + " rows but weights.npy has " + rows + "; row i must describe weights row i");
            return new MetricsTable(step, modeldir, columns);
        }
    }
}
