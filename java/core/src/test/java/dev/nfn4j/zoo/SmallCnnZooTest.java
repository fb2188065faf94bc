package dev.nfn4j.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Npy;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SmallCnnZooTest {
    @TempDir
    Path dir;

    private static final NetworkSpec SPEC = new NetworkSpec(new int[]{1, 4, 4, 4, 10}, new int[][]{{3, 3}, {3, 3}, {3, 3}, null});

    @Test
    void readsTheSpecTheFinalStepAndTheMetrics() throws IOException {
        ZooDataset zoo = SmallCnnZoo.read(TinyZoo.write(dir));
        assertEquals(SPEC, zoo.spec());
        assertEquals(TinyZoo.P, zoo.paramsPerNetwork());
        assertEquals(TinyZoo.NETS, zoo.size());
        assertEquals(List.of("test_accuracy", "test_loss", "train_accuracy", "train_loss"), List.copyOf(zoo.metricNames()));
        assertEquals("test_accuracy", zoo.target());
        for (int n = 0; n < zoo.size(); n++) {
            int row = 2 * n + 1; // the step-86 checkpoint of network n
            assertEquals(row, zoo.sourceRow(n));
            assertEquals(TinyZoo.testAccuracy(row), zoo.metric("test_accuracy", n));
            assertEquals((float) (2.5 - row * 0.01), zoo.metric("test_loss", n));
            assertEquals((float) (0.3 + row * 0.01), zoo.metric("train_accuracy", n));
        }
        assertArrayEquals(zoo.metric("test_accuracy"), zoo.targets());
    }

    @Test
    void networksByRowMatchTheDatasetAndNeedNoMetrics() throws IOException {
        ZooDataset zoo = SmallCnnZoo.read(TinyZoo.write(dir));
        java.nio.file.Files.delete(dir.resolve("metrics.csv.gz")); // predicting needs weights and layout only
        HostWeights rows = SmallCnnZoo.networks(dir, new long[]{5, 1});
        assertEquals(2, rows.layout().batch());
        HostWeights all = SmallCnnZoo.networks(dir, null);
        assertEquals(TinyZoo.ROWS, all.layout().batch());
        for (int l = 0; l < 4; l++) {
            int w = zoo.network(0).torchWeight(l).length, b = zoo.network(0).torchBias(l).length;
            // row 5 is network 2's final checkpoint, row 1 network 0's
            assertArrayEquals(zoo.network(2).torchWeight(l), java.util.Arrays.copyOfRange(rows.torchWeight(l), 0, w));
            assertArrayEquals(zoo.network(0).torchBias(l), java.util.Arrays.copyOfRange(rows.torchBias(l), b, 2 * b));
            assertArrayEquals(zoo.network(0).torchWeight(l), java.util.Arrays.copyOfRange(all.torchWeight(l), w, 2 * w));
        }
        var e = assertThrows(IllegalArgumentException.class, () -> SmallCnnZoo.networks(dir, new long[]{TinyZoo.ROWS}));
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
    }

    @Test
    void convertsTensorFlowLayoutsToPyTorchElementByElement() throws IOException {
        ZooDataset zoo = SmallCnnZoo.read(TinyZoo.write(dir));
        int[][] tf = {{3, 3, 1, 4}, {3, 3, 4, 4}, {3, 3, 4, 4}, {4, 10}};
        int[] kernelStart = {0, 40, 188, 336}, biasStart = {36, 184, 332, 376};
        int checked = 0;
        for (int n = 0; n < zoo.size(); n++) {
            long row = zoo.sourceRow(n);
            HostWeights net = zoo.network(n);
            for (int l = 0; l < 4; l++) {
                float[] w = net.torchWeight(l), b = net.torchBias(l);
                if (tf[l].length == 4) { // TF (kh, kw, in, out) -> PyTorch (out, in, kh, kw)
                    int kh = tf[l][0], kw = tf[l][1], in = tf[l][2], out = tf[l][3];
                    assertArrayEquals(new int[]{out, in, kh, kw}, zoo.spec().weightShape(l));
                    for (int o = 0; o < out; o++)
                        for (int i = 0; i < in; i++)
                            for (int y = 0; y < kh; y++)
                                for (int x = 0; x < kw; x++, checked++)
                                    assertEquals(TinyZoo.weight(row, kernelStart[l] + ((y * kw + x) * in + i) * out + o),
                                            w[((o * in + i) * kh + y) * kw + x], "layer " + l + " W[" + o + "," + i + "," + y + "," + x + "]");
                } else { // TF (in, out) -> PyTorch (out, in)
                    int in = tf[l][0], out = tf[l][1];
                    assertArrayEquals(new int[]{out, in}, zoo.spec().weightShape(l));
                    for (int o = 0; o < out; o++)
                        for (int i = 0; i < in; i++, checked++)
                            assertEquals(TinyZoo.weight(row, kernelStart[l] + i * out + o), w[o * in + i], "dense W[" + o + "," + i + "]");
                }
                for (int o = 0; o < b.length; o++, checked++) assertEquals(TinyZoo.weight(row, biasStart[l] + o), b[o]);
            }
        }
        assertEquals(TinyZoo.NETS * TinyZoo.P, checked, "every parameter of every network");
        // And the canonical layout itself: W_1[s = 1*3+2][o = 2][i = 3] of network 0 (row 1).
        WsLayout one = new WsLayout(SPEC, 1, 1);
        assertEquals(TinyZoo.weight(1, 40 + ((1 * 3 + 2) * 4 + 3) * 4 + 2), zoo.network(0).data()[(int) one.wOffset(1) + 5 * 16 + 2 * 4 + 3]);
    }

    @Test
    void theStepFilterIsConfigurable() throws IOException {
        TinyZoo.write(dir);
        ZooDataset initial = SmallCnnZoo.read(dir, SmallCnnZoo.Options.defaults().withStep(0));
        assertEquals(TinyZoo.NETS, initial.size());
        for (int n = 0; n < initial.size(); n++) {
            assertEquals(2L * n, initial.sourceRow(n));
            assertEquals(TinyZoo.weight(2L * n, 36), initial.network(n).torchBias(0)[0]);
        }
        NfnFormatException e = assertThrows(NfnFormatException.class,
                () -> SmallCnnZoo.read(dir, SmallCnnZoo.Options.defaults().withStep(5)));
        assertTrue(e.getMessage().contains("no row has step 5 (steps present: [0, 86])"), e.getMessage());
    }

    @Test
    void splitsFollowNfnAndAreDisjointCoveringAndDeterministic() throws IOException {
        ZooDataset zoo = SmallCnnZoo.read(TinyZoo.write(dir));
        Splits s = zoo.splits();
        // nfn: test = second half in order; random.Random(0).shuffle(list(range(6))) == [4, 2, 1, 0, 5, 3], train = first int(0.8 * 6).
        assertArrayEquals(new int[]{6, 7, 8, 9, 10, 11}, s.test());
        assertArrayEquals(new int[]{4, 2, 1, 0}, s.train());
        assertArrayEquals(new int[]{5, 3}, s.val());
        assertDisjointAndCovering(s, zoo.size());
        assertEquals(s, SmallCnnZoo.read(dir).splits(), "same files, same seed: same split");
        Splits other = SmallCnnZoo.read(dir, SmallCnnZoo.Options.defaults().withSeed(1)).splits();
        assertArrayEquals(s.test(), other.test());
        assertDisjointAndCovering(other, zoo.size());
    }

    @Test
    void earlierCheckpointsOfTheTrainingRunsJoinTheTrainingSplitOnly() throws IOException {
        ZooDataset plain = SmallCnnZoo.read(TinyZoo.write(dir));
        ZooDataset zoo = SmallCnnZoo.read(dir, SmallCnnZoo.Options.defaults().withExtraTrainSteps(List.of(0)));
        // The final-step networks and nfn's split come first, unchanged; run n's step-0 row is 2n.
        assertEquals(TinyZoo.NETS + 4, zoo.size());
        assertArrayEquals(new int[]{4, 2, 1, 0, 12, 13, 14, 15}, zoo.splits().train());
        assertArrayEquals(plain.splits().val(), zoo.splits().val());
        assertArrayEquals(plain.splits().test(), zoo.splits().test());
        int[] trainRuns = {4, 2, 1, 0};
        for (int i = 0; i < trainRuns.length; i++) {
            int n = TinyZoo.NETS + i, row = 2 * trainRuns[i];
            assertEquals(row, zoo.sourceRow(n));
            assertEquals(TinyZoo.testAccuracy(row), zoo.metric("test_accuracy", n));
            assertEquals(TinyZoo.weight(row, 36), zoo.network(n).torchBias(0)[0]);
        }
        for (int n = 0; n < TinyZoo.NETS; n++) assertEquals(plain.sourceRow(n), zoo.sourceRow(n));
        assertDisjointAndCovering(zoo.splits(), zoo.size());

        NfnFormatException missing = assertThrows(NfnFormatException.class,
                () -> SmallCnnZoo.read(dir, SmallCnnZoo.Options.defaults().withExtraTrainSteps(List.of(0, 40))));
        assertTrue(missing.getMessage().contains("run '/zoo/run 4, seed 42' (row 9) has no step 40 checkpoint"), missing.getMessage());
        IllegalArgumentException same = assertThrows(IllegalArgumentException.class,
                () -> SmallCnnZoo.Options.defaults().withExtraTrainSteps(List.of(86)));
        assertTrue(same.getMessage().contains("extra training step 86 is the selected step itself"), same.getMessage());
    }

    @Test
    void pythonCompatibleSplitOfARealSizedZoo() {
        // Values from CPython 3.11: random.Random(0).shuffle(list(range(14999))) for nfn's split of 29999 networks.
        Splits s = Splits.nfn(29_999, 0);
        assertEquals(11_999, s.train().length);
        assertEquals(3_000, s.val().length);
        assertEquals(15_000, s.test().length);
        assertArrayEquals(new int[]{8277, 12729, 8976, 9169, 1374, 7200, 3901, 1608}, Arrays.copyOf(s.train(), 8));
        assertArrayEquals(new int[]{14704, 918, 9783, 4252, 2294, 8464, 11342, 4076}, Arrays.copyOf(s.val(), 8));
        int[] all = IntStream.concat(Arrays.stream(s.train()), Arrays.stream(s.val())).toArray();
        long checksum = 0;
        for (int k = 0; k < all.length; k++) checksum += (long) all[k] * (k + 1);
        assertEquals(839_874_804_403L, checksum, "the whole shuffled order");
        assertDisjointAndCovering(s, 29_999);
        // Seeds that need one and two 32-bit key words.
        int[] x = IntStream.range(0, 10).toArray();
        new PythonRandom(7).shuffle(x);
        assertArrayEquals(new int[]{8, 3, 1, 4, 7, 0, 9, 6, 2, 5}, x);
        x = IntStream.range(0, 10).toArray();
        new PythonRandom((1L << 40) + 5).shuffle(x);
        assertArrayEquals(new int[]{1, 2, 3, 6, 7, 0, 5, 4, 9, 8}, x);
    }

    @Test
    void aSplitOrderFileReordersTheRowsBeforeTheStepFilter() throws IOException {
        TinyZoo.write(dir);
        Path order = dir.resolve("split.csv");
        List<String> lines = new ArrayList<>();
        for (int r = TinyZoo.ROWS - 1; r >= 0; r--) lines.add(String.valueOf(r)); // one index per line, as nfn's files
        Files.write(order, lines);
        ZooDataset zoo = SmallCnnZoo.read(dir, SmallCnnZoo.Options.defaults().withSplitOrder(order));
        assertEquals(TinyZoo.NETS, zoo.size());
        for (int n = 0; n < zoo.size(); n++) {
            long row = TinyZoo.ROWS - 1 - 2L * n; // 23, 21, ..., 1
            assertEquals(row, zoo.sourceRow(n));
            assertEquals(TinyZoo.testAccuracy((int) row), zoo.metric("test_accuracy", n));
            assertEquals(TinyZoo.weight(row, 376), zoo.network(n).torchBias(3)[0]);
        }
        assertArrayEquals(new int[]{6, 7, 8, 9, 10, 11}, zoo.splits().test());

        // A subset is fine; bad entries are errors naming the file and line.
        Files.write(order, List.of("1", "3, 5"));
        assertEquals(3, SmallCnnZoo.read(dir, SmallCnnZoo.Options.defaults().withSplitOrder(order)).size());
        for (var bad : List.of(List.of("1", "x"), List.of("1", "24"), List.of("1", "-1"), List.of("3", "5", "3"))) {
            Files.write(order, bad);
            NfnFormatException e = assertThrows(NfnFormatException.class,
                    () -> SmallCnnZoo.read(dir, SmallCnnZoo.Options.defaults().withSplitOrder(order)), bad.toString());
            assertTrue(e.getMessage().startsWith("line " + bad.size() + ": ") && e.getMessage().endsWith(" (" + order + ")"), e.getMessage());
        }
    }

    @Test
    void batchesAreCanonicalWithOneChannel() throws IOException {
        ZooDataset zoo = SmallCnnZoo.read(TinyZoo.write(dir));
        int[] idx = {3, 0, 7};
        ZooDataset.Batch batch = zoo.batch(idx);
        assertEquals(new WsLayout(SPEC, 3, 1), batch.weights().layout());
        for (int l = 0; l < SPEC.numLayers(); l++) {
            float[] w = batch.weights().torchWeight(l), b = batch.weights().torchBias(l);
            int wl = w.length / 3, bl = b.length / 3;
            for (int k = 0; k < idx.length; k++) {
                assertArrayEquals(zoo.network(idx[k]).torchWeight(l), Arrays.copyOfRange(w, k * wl, (k + 1) * wl));
                assertArrayEquals(zoo.network(idx[k]).torchBias(l), Arrays.copyOfRange(b, k * bl, (k + 1) * bl));
            }
        }
        assertArrayEquals(new float[]{zoo.metric("test_accuracy", 3), zoo.metric("test_accuracy", 0), zoo.metric("test_accuracy", 7)},
                batch.targets());
        float[] into = new float[3 * TinyZoo.P], t = new float[3];
        zoo.batchInto(idx, into, t);
        assertArrayEquals(batch.weights().data(), into);
        assertThrows(IllegalArgumentException.class, () -> zoo.batchInto(idx, new float[10], t));
        assertThrows(IndexOutOfBoundsException.class, () -> zoo.batch(new int[]{12}));
        assertArrayEquals(new float[]{zoo.metric("test_loss", 3)}, zoo.withTarget("test_loss").batch(new int[]{3}).targets());
    }

    @Test
    void theDatasetChecksWhatItIsGiven() {
        int p = (int) SPEC.numParams();
        float[] w = new float[2 * p];
        Splits ok = new Splits(new int[]{0}, new int[0], new int[]{1});
        var acc = java.util.Map.of("test_accuracy", new float[]{0.5f, 0.6f});
        assertEquals(2, new ZooDataset(SPEC, w, acc, "test_accuracy", ok, null).size());
        assertThrows(IllegalArgumentException.class, () -> new ZooDataset(SPEC, new float[p + 1], acc, "test_accuracy", ok, null));
        assertThrows(IllegalArgumentException.class, () -> new ZooDataset(SPEC, w, java.util.Map.of("test_accuracy", new float[3]), "test_accuracy", ok, null));
        assertThrows(IllegalArgumentException.class, () -> new ZooDataset(SPEC, w, acc, "train_loss", ok, null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ZooDataset(SPEC, w, acc, "test_accuracy", new Splits(new int[]{0}, new int[]{0}, new int[]{1}), null));
        assertTrue(e.getMessage().contains("network 0 is already in split train"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ZooDataset(SPEC, w, acc, "test_accuracy", new Splits(new int[]{2}, new int[0], new int[0]), null));
    }

    // ---- malformed zoos: each error names the file and the row ----

    static Stream<Arguments> malformedZoos() {
        return Stream.of(
                layout("size does not match the shape", l -> l.set(2, "1,sequential/conv2d/bias:0,36,40,4,\"(5,)\""), "layout.csv", "row 1 ('sequential/conv2d/bias:0'): shape (5,) has 5 elements but columns [36, 40) hold 4"),
                layout("ranges overlap", l -> {
                    l.set(1, "0,sequential/conv2d/kernel:0,0,36,36,\"(3, 3, 1, 4)\"");
                    l.set(2, "1,sequential/conv2d/bias:0,35,39,4,\"(4,)\"");
                }, "layout.csv", "overlaps row 0"),
                layout("a missing bias", l -> l.remove(8), "layout.csv", "4 kernels but 3 biases"),
                layout("shapes that do not chain", l -> l.set(3, "2,sequential/conv2d_1/kernel:0,40,184,144,\"(1, 1, 36, 4)\""), "layout.csv", "takes 36 inputs but layer 0's kernel row 0"),
                layout("a bias of the wrong length", l -> {
                    l.set(2, "1,sequential/conv2d/bias:0,36,40,4,\"(2, 2)\"");
                }, "layout.csv", "bias row 1 ('sequential/conv2d/bias:0', shape (2, 2)) does not match kernel"),
                layout("an unknown variable", l -> l.set(2, "1,sequential/conv2d/gamma:0,36,40,4,\"(4,)\""), "layout.csv", "row 1: varname 'sequential/conv2d/gamma:0' is neither a kernel"),
                layout("kernel and bias of different layers", l -> {
                    l.set(2, "1,sequential/conv2d_9/bias:0,36,40,4,\"(4,)\"");
                }, "layout.csv", "different scopes"),
                layout("a 3-d kernel", l -> l.set(1, "0,sequential/conv2d/kernel:0,0,36,36,\"(9, 1, 4)\""), "layout.csv", "must be (kh, kw, in, out)"),
                layout("a shape that is no tuple", l -> l.set(2, "1,sequential/conv2d/bias:0,36,40,4,4"), "layout.csv", "row 1: shape '4' is not a tuple"),
                layout("(4) is not a tuple", l -> l.set(2, "1,sequential/conv2d/bias:0,36,40,4,\"(4)\""), "layout.csv", "written (4,)"),
                layout("a column missing", l -> l.replaceAll(s -> s.substring(0, s.lastIndexOf(','))), "layout.csv", "no column 'shape'"),
                layout("end past the row", l -> l.set(8, "7,sequential/dense/bias:0,376,387,11,\"(11,)\""), "layout.csv", "row 7 ('sequential/dense/bias:0'): columns [376, 387) are not a non-empty range within the 386 columns"),
                metrics("one row short", l -> l.remove(l.size() - 1), "metrics.csv.gz", "has 23 rows but weights.npy has 24"),
                metrics("one row too many", l -> l.add(l.get(1)), "metrics.csv.gz", "has more rows than weights.npy's 24"),
                metrics("no test_accuracy", l -> l.replaceAll(s -> s.replace("test_accuracy", "acc")), "metrics.csv.gz", "no column 'test_accuracy'"),
                metrics("a word for a number", l -> l.set(4, l.get(4).replace(",86,", ",86,high,")), "metrics.csv.gz", "row 3: test_accuracy 'high' is not a number"),
                metrics("a kept network without accuracy", l -> l.set(4, l.get(4).replace(",86," + TinyZoo.testAccuracy(3) + ",", ",86,nan,")), "metrics.csv.gz", "row 3: test_accuracy is NaN"));
    }

    private static Arguments layout(String what, Consumer<List<String>> edit, String file, String expected) {
        return Arguments.of(what, (ZooEdit) dir -> {
            List<String> lines = new ArrayList<>(TinyZoo.layoutLines());
            edit.accept(lines);
            Files.writeString(dir.resolve("layout.csv"), String.join("\n", lines) + "\n");
        }, file, expected);
    }

    private static Arguments metrics(String what, Consumer<List<String>> edit, String file, String expected) {
        return Arguments.of(what, (ZooEdit) dir -> {
            List<String> lines = new ArrayList<>(TinyZoo.metricsLines());
            edit.accept(lines);
            TinyZoo.writeMetrics(dir.resolve("metrics.csv.gz"), lines);
        }, file, expected);
    }

    interface ZooEdit {
        void apply(Path dir) throws IOException;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedZoos")
    void malformedZoosAreFormatErrorsNamingFileAndRow(String what, ZooEdit edit, String file, String expected) throws IOException {
        TinyZoo.write(dir);
        edit.apply(dir);
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> SmallCnnZoo.read(dir), what);
        assertEquals(dir.resolve(file), e.file(), e.getMessage());
        assertTrue(e.getMessage().contains(expected), what + ": " + e.getMessage());
    }

    @Test
    void nonFiniteWeightsAreErrorsOnlyInKeptRows() throws IOException {
        TinyZoo.write(dir);
        float[] w = Npy.read(dir.resolve("weights.npy")).toFloats();
        w[2 * TinyZoo.P + 5] = Float.NaN; // row 2: step 0, dropped by the filter
        Npy.write(dir.resolve("weights.npy"), HostTensor.f32(new int[]{TinyZoo.ROWS, TinyZoo.P}, w));
        assertEquals(TinyZoo.NETS, SmallCnnZoo.read(dir).size());

        w[5 * TinyZoo.P + 190] = Float.POSITIVE_INFINITY; // row 5 (step 86), column 190: conv2d_2 kernel element 2
        Npy.write(dir.resolve("weights.npy"), HostTensor.f32(new int[]{TinyZoo.ROWS, TinyZoo.P}, w));
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> SmallCnnZoo.read(dir));
        assertEquals(dir.resolve("weights.npy"), e.file());
        assertEquals("sequential/conv2d_2/kernel:0", e.tensor());
        assertTrue(e.getMessage().contains("row 5: non-finite value Infinity at column 190 (element 2 of shape (3, 3, 4, 4))"), e.getMessage());
    }

    @Test
    void weightsMustBeRows() throws IOException {
        TinyZoo.write(dir);
        Npy.write(dir.resolve("weights.npy"), HostTensor.f32(new int[]{TinyZoo.P}, new float[TinyZoo.P]));
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> SmallCnnZoo.read(dir));
        assertTrue(e.getMessage().contains("expected N x P rows of weights (N, P >= 1), got shape (386,)"), e.getMessage());
        Npy.write(dir.resolve("weights.npy"), HostTensor.f32(new int[]{TinyZoo.ROWS, TinyZoo.P + 1}, new float[TinyZoo.ROWS * (TinyZoo.P + 1)]));
        e = assertThrows(NfnFormatException.class, () -> SmallCnnZoo.read(dir));
        assertEquals(dir.resolve("layout.csv"), e.file());
        assertTrue(e.getMessage().contains("columns [386, 387) of the weights rows belong to no tensor"), e.getMessage());
    }

    private static void assertDisjointAndCovering(Splits s, int n) {
        s.validate(n); // in range, no network twice
        assertEquals(n, s.train().length + s.val().length + s.test().length);
        assertNotEquals(0, s.train().length);
    }
}
