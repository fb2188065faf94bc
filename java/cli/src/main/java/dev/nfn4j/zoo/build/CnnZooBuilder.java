package dev.nfn4j.zoo.build;

import dev.nfn4j.io.AtomicFile;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Npy;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.ops.Parallel;
import dev.nfn4j.zoo.BuildSettings;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.SmallCnn;
import dev.nfn4j.zoo.SmallCnnZoo;
import dev.nfn4j.zoo.TfLayout;
import dev.nfn4j.zoo.ZooDataset;
import dev.nfn4j.zoo.ZooRandom;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.logging.Logger;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Builds a zoo of Small CNN Zoo networks (Unterthiner et al. 2020) trained in Java on an image
 * dataset (Fashion-MNIST), written in the Small CNN Zoo format so that {@link SmallCnnZoo} (and
 * nfn) read it like the original: {@code weights.npy} (one row per checkpoint, TensorFlow
 * layout), {@code layout.csv}, {@code metrics.csv.gz} ({@code config.*}, {@code step},
 * {@code test_accuracy}, ...). Row {@code n * C + k} is checkpoint k of network n.
 *
 * <p>Per-network budget (the defaults; why): 86 steps of batch 64 (5,504 images, about a tenth
 * of an epoch) with checkpoints at steps 20, 40, 60 and 86 (the original saved every 20 epochs
 * up to 86), accuracy measured on the first 1,000 test images (±1.5% at 70%). That is about
 * 7 GFLOP per network: measured 0.73 s of wall time per network on 2 threads of the project's
 * 2-core machine while other jobs shared it (BENCHMARKS.md), so 2,000 networks in about 24
 * minutes; the test images are a fixed set so every network is ranked on the same images.
 *
 * <p>Deterministic and resumable: network i draws its hyperparameters and its training streams
 * from (zoo seed, i) alone, so the zoo does not depend on the thread count (it does on the
 * backend of its products, {@link LayerProduct#backendName}, which build.json records); each finished
 * network is written at once (atomically) to {@code parts/net-NNNNNN.safetensors}, and a
 * restarted build trains only the networks whose part is missing or unreadable. When all are
 * done the three zoo files are written (atomically) and {@code parts/} is removed.
 * {@code build.json} records the settings; a folder built with other settings is refused.
 */
public final class CnnZooBuilder {
    private static final Logger LOG = Logger.getLogger(CnnZooBuilder.class.getName());

    public static final String GENERATOR = "nfn4j.cnn_zoo";
    /** Bump whenever anything that changes the numbers changes (trainer, sampling). */
    public static final int GENERATOR_VERSION = 2;
    public static final int DEFAULT_NETWORKS = 2000, DEFAULT_BATCH = 64, DEFAULT_TEST_IMAGES = 1000;
    public static final List<Integer> DEFAULT_CHECKPOINTS = List.of(20, 40, 60, 86);
    static final String PARTS = "parts", BUILD_FILE = BuildSettings.FILE;

    /**
     * What to build.
     *
     * @param seed        zoo seed: network i's streams derive from (seed, i)
     * @param networks    N
     * @param batchSize   images per step
     * @param checkpoints steps at which a checkpoint is saved and measured, ascending; the last is
     *                    the final step (the reader's {@code --step})
     * @param testImages  accuracy is measured on the first this many test images
     * @param threads     worker threads (0: {@link Parallel#configuredThreads()}); does not change the result
     */
    public record Config(long seed, int networks, int batchSize, List<Integer> checkpoints, int testImages, int threads) {
        public Config {
            if (networks < 1) throw new IllegalArgumentException("networks must be >= 1, got " + networks);
            if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
            if (testImages < 1) throw new IllegalArgumentException("test images must be >= 1, got " + testImages);
            if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
            checkpoints = List.copyOf(checkpoints);
            if (checkpoints.isEmpty()) throw new IllegalArgumentException("need at least one checkpoint step");
            for (int k = 0; k < checkpoints.size(); k++)
                if (checkpoints.get(k) < 0 || (k > 0 && checkpoints.get(k) <= checkpoints.get(k - 1)))
                    throw new IllegalArgumentException("checkpoint steps must be ascending and >= 0, got " + checkpoints);
            if (checkpoints.getLast() < 1)
                throw new IllegalArgumentException("the last checkpoint step is the trained networks' and must be >= 1, got " + checkpoints);
        }

        public static Config defaults() {
            return new Config(0, DEFAULT_NETWORKS, DEFAULT_BATCH, DEFAULT_CHECKPOINTS, DEFAULT_TEST_IMAGES, 0);
        }

        public int finalStep() {
            return checkpoints.getLast();
        }

        int[] steps() {
            return checkpoints.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    private CnnZooBuilder() {
    }

    /** What {@link #build} did. */
    public record Summary(int networks, int trained, int resumed, boolean alreadyComplete, float[] finalTestAccuracy) {
    }

    /**
     * Builds (or finishes) the zoo in {@code out}.
     *
     * @param progress receives the number of networks done, resumed ones included (increasing,
     *                 serialised, from worker threads); may be null
     */
    public static Summary build(ImageData.Split data, Path out, Config c, IntConsumer progress) throws IOException {
        if (c.testImages() > data.test().count())
            throw new IllegalArgumentException("--test-images " + c.testImages() + " exceeds the " + data.test().count() + " test images");
        if (c.batchSize() > data.train().count())
            throw new IllegalArgumentException("--batch " + c.batchSize() + " exceeds the " + data.train().count() + " training images");
        Path parts = out.resolve(PARTS);
        if (BuildFolder.claim(out, settings(data, c), "a zoo", parts, out.resolve("metrics.csv.gz"), List.of("weights.npy", "metrics.csv.gz", PARTS))) {
            LOG.info(() -> "cnn zoo: " + out + " is already complete");
            if (progress != null) progress.accept(c.networks());
            return new Summary(c.networks(), 0, c.networks(), true, finalAccuracies(out, c));
        }

        int N = c.networks();
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < N; i++) if (readPart(parts, i, c) == null) todo.add(i);
        int resumed = N - todo.size();
        if (resumed > 0) LOG.info(() -> "cnn zoo: resuming, " + resumed + " of " + N + " networks already trained");
        if (progress != null && resumed > 0) progress.accept(resumed);
        int threads = Math.min(c.threads() == 0 ? Parallel.configuredThreads() : c.threads(), Math.max(1, todo.size()));
        int[] steps = c.steps();
        long t0 = System.nanoTime();
        ZooGenerator.runAll(todo.size(), threads, t -> {
            int i = todo.get(t);
            CnnHyperparameters hp = CnnHyperparameters.sample(new ZooRandom(ZooRandom.seedFor(c.seed(), i, 0)));
            long seed = ZooRandom.seedFor(c.seed(), i, 1);
            CnnTrainer.Result r = CnnTrainer.train(data, hp, c.batchSize(), steps, c.testImages(), seed);
            try {
                writePart(parts, i, hp, seed, r);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, progress == null ? null : done -> progress.accept(resumed + done));
        if (!todo.isEmpty())
            LOG.info(() -> String.format(Locale.ROOT, "cnn zoo: trained %d networks in %.1f s on %d threads", todo.size(),
                    (System.nanoTime() - t0) / 1e9, threads));
        float[] acc = assemble(out, parts, c);
        deleteParts(parts);
        return new Summary(N, todo.size(), resumed, false, acc);
    }

    /** build.json: everything the zoo's contents depend on (not the thread count), one key per line. */
    static String settings(ImageData.Split data, Config c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("generator", GENERATOR);
        m.put("generator_version", GENERATOR_VERSION);
        m.put("seed", c.seed());
        m.put("networks", c.networks());
        m.put("batch_size", c.batchSize());
        m.put("checkpoints", c.checkpoints());
        m.put("test_images", c.testImages());
        m.put("data", BuildSettings.data(data));
        m.put("architecture", "conv3x3s2(16)-conv3x3s2(16)-conv3x3s2(16)-gap-dense(10), TF same padding");
        m.put("hyperparameters", CnnHyperparameters.SPACE);
        m.put("products_backend", LayerProduct.backendName());
        return BuildFolder.json(m);
    }


    static Path partFile(Path parts, int i) {
        return PartFiles.file(parts, "net", i);
    }

    private static void writePart(Path parts, int i, CnnHyperparameters hp, long seed, CnnTrainer.Result r) throws IOException {
        int C = r.params().length, P = r.params()[0].length;
        float[] rows = new float[C * P];
        for (int k = 0; k < C; k++) System.arraycopy(r.params()[k], 0, rows, k * P, P);
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("params", HostTensor.f32(new int[]{C, P}, rows));
        t.put("test_accuracy", HostTensor.f32(new int[]{C}, r.testAccuracy()));
        t.put("test_loss", HostTensor.f32(new int[]{C}, r.testLoss()));
        t.put("train_accuracy", HostTensor.f32(new int[]{C}, r.trainAccuracy()));
        t.put("train_loss", HostTensor.f32(new int[]{C}, r.trainLoss()));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("config.activation", CnnHyperparameters.lower(hp.activation()));
        meta.put("config.dropout", Float.toString(hp.dropout()));
        meta.put("config.init_std", Float.toString(hp.initStd()));
        meta.put("config.l2reg", Float.toString(hp.l2()));
        meta.put("config.learning_rate", Float.toString(hp.learningRate()));
        meta.put("config.optimizer", CnnHyperparameters.lower(hp.optimizer()));
        meta.put("config.random_seed", Long.toString(seed));
        meta.put("config.train_fraction", Float.toString(hp.trainFraction()));
        meta.put("config.w_init", CnnHyperparameters.lower(hp.init()));
        meta.put("diverged_step", Integer.toString(r.divergedAt()));
        Safetensors.write(partFile(parts, i), t, meta);
    }

    /** Network i's part, or null when it is missing or unusable (logged: it is retrained). */
    private static SafetensorsFile readPart(Path parts, int i, Config c) {
        Path f = partFile(parts, i);
        return PartFiles.read(f, s -> {
            int C = c.checkpoints().size();
            s.get("params", C, CnnTrainer.numParams(1, ImageData.CLASSES));
            for (String m : METRICS) s.get(m, C);
            PartFiles.requireMetadata(f, s, CONFIG_COLUMNS);
            return s;
        }, LOG, "cnn zoo: retraining network " + i);
    }

    private static final List<String> METRICS = List.of("test_accuracy", "test_loss", "train_accuracy", "train_loss");
    private static final List<String> CONFIG_COLUMNS = List.of("config.activation", "config.dropout", "config.init_std", "config.l2reg",
            "config.learning_rate", "config.optimizer", "config.random_seed", "config.train_fraction", "config.w_init");

    /** Writes weights.npy, layout.csv and metrics.csv.gz from the parts; returns the final-step test accuracies. */
    private static float[] assemble(Path out, Path parts, Config c) throws IOException {
        int N = c.networks(), C = c.checkpoints().size(), P = CnnTrainer.numParams(1, ImageData.CLASSES);
        float[] weights = new float[Math.multiplyExact(N * C, P)];
        float[] finalAcc = new float[N];
        List<List<String>> rows = new ArrayList<>(N * C);
        for (int n = 0; n < N; n++) {
            SafetensorsFile s = readPart(parts, n, c);
            if (s == null) throw new NfnFormatException(partFile(parts, n), "missing or unreadable after training");
            System.arraycopy(s.get("params").toFloats(), 0, weights, n * C * P, C * P);
            float[][] m = new float[METRICS.size()][];
            for (int j = 0; j < m.length; j++) m[j] = s.get(METRICS.get(j)).toFloats();
            finalAcc[n] = m[0][C - 1];
            for (int k = 0; k < C; k++) {
                List<String> row = new ArrayList<>();
                row.add(Integer.toString(n * C + k));
                for (String col : CONFIG_COLUMNS) row.add(s.metadata().get(col));
                row.add(Integer.toString(c.batchSize()));
                row.add(Integer.toString(c.finalStep()));
                row.add(String.format(Locale.ROOT, "net-%06d", n));
                row.add(Integer.toString(c.checkpoints().get(k)));
                for (float[] v : m) row.add(Float.toString(v[k]));
                row.add(s.metadata().get("diverged_step"));
                row.add(k == C - 1 ? "True" : "False");
                rows.add(row);
            }
        }
        Npy.write(out.resolve("weights.npy"), HostTensor.f32(new int[]{N * C, P}, weights));
        writeLayout(out.resolve("layout.csv"));
        List<String> header = new ArrayList<>(List.of(""));
        header.addAll(CONFIG_COLUMNS);
        header.addAll(List.of("config.batch_size", "config.steps", "modeldir", "step"));
        header.addAll(METRICS);
        header.addAll(List.of("diverged_step", "laststep"));
        AtomicFile.write(out.resolve("metrics.csv.gz"), ch -> {
            OutputStream os = Channels.newOutputStream(ch); // not closed: AtomicFile syncs and closes the channel
            GZIPOutputStream gz = new GZIPOutputStream(os, 1 << 16);
            Writer w = new OutputStreamWriter(gz, StandardCharsets.UTF_8);
            CSVPrinter csv = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setRecordSeparator('\n').get());
            csv.printRecord(header);
            for (List<String> r : rows) csv.printRecord(r);
            csv.flush();
            gz.finish();
            os.flush();
        });
        return finalAcc;
    }

    /** layout.csv as pandas writes it: an unnamed index column, then varname, start_idx, end_idx, size, shape. */
    static void writeLayout(Path file) throws IOException {
        StringBuilder sb = new StringBuilder(",varname,start_idx,end_idx,size,shape\n");
        for (TfLayout.Tensor t : SmallCnn.tensors(1, ImageData.CLASSES))
            sb.append(t.row()).append(',').append(t.varname()).append(',').append(t.start()).append(',').append(t.end()).append(',')
                    .append(t.end() - t.start()).append(",\"").append(TfLayout.tuple(t.shape())).append("\"\n");
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, ch -> Channels.newOutputStream(ch).write(bytes));
    }

    /** The final-step test accuracies of a complete zoo, from its metrics file. */
    private static float[] finalAccuracies(Path out, Config c) throws IOException {
        ZooDataset z = SmallCnnZoo.read(out, SmallCnnZoo.Options.defaults().withStep(c.finalStep()));
        return z.metric(ZooDataset.TEST_ACCURACY);
    }

    private static void deleteParts(Path parts) throws IOException {
        try (Stream<Path> s = Files.list(parts)) {
            for (Path p : s.toList()) Files.delete(p);
        }
        Files.delete(parts);
    }

    /** min, quartiles and max of a sample, for a one-line report. */
    public static String quartiles(float[] v) {
        float[] a = v.clone();
        Arrays.sort(a);
        return String.format(Locale.ROOT, "min %.3f  q1 %.3f  median %.3f  q3 %.3f  max %.3f", a[0], a[a.length / 4], a[a.length / 2],
                a[3 * a.length / 4], a[a.length - 1]);
    }
}
