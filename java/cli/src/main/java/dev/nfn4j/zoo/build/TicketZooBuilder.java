package dev.nfn4j.zoo.build;

import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.ops.Parallel;
import dev.nfn4j.zoo.BuildSettings;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.TicketArch;
import dev.nfn4j.zoo.TicketZoo;
import dev.nfn4j.zoo.ZooRandom;
import java.io.IOException;
import java.io.UncheckedIOException;
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

/**
 * Builds a zoo of lottery tickets: for each network a random initialisation (family and scale
 * drawn per network) and the masks that iterative magnitude pruning with rewinding to the
 * initialisation (Frankle and Carbin 2019) finds for it on Fashion-MNIST.
 *
 * <p>Per network: train the dense network T steps ({@link TicketArch.Recipe}); then for each
 * requested density, prune the smallest-magnitude surviving weights of the last trained network
 * per layer to the {@link Imp#schedule} target, rewind the survivors to the initialisation and
 * train T steps under the mask. Every training run uses the same recipe and the same data
 * stream, so the accuracy recorded for a density is that of the masked network trained from
 * the initialisation, as an evaluation of any other mask would measure it.
 *
 * <p>Output: {@code tickets.safetensors} ({@link TicketZoo} reads it) and {@code build.json}.
 * Deterministic and resumable as {@link CnnZooBuilder}: network i's draws derive from (zoo
 * seed, i) alone, each finished network is written atomically to {@code parts/}, a restarted
 * build trains only what is missing, and a folder built with other settings is refused.
 */
public final class TicketZooBuilder {
    private static final Logger LOG = Logger.getLogger(TicketZooBuilder.class.getName());

    public static final String GENERATOR = "nfn4j.ticket_zoo";
    /** Bump whenever anything that changes the numbers changes (trainers, pruning, sampling). */
    public static final int GENERATOR_VERSION = 1;
    public static final String ZOO_FILE = "tickets.safetensors";
    static final String PARTS = "parts", BUILD_FILE = BuildSettings.FILE;

    /**
     * What to build.
     *
     * @param arch      the architecture
     * @param seed      zoo seed: network i's streams derive from (seed, i)
     * @param networks  N
     * @param densities fractions of weights kept, strictly decreasing in (0, 1), one IMP round each
     * @param recipe    how every network is trained, dense and masked
     * @param threads   worker threads (0: {@link Parallel#configuredThreads()}); does not change the result
     */
    public record Config(TicketArch arch, long seed, int networks, double[] densities, TicketArch.Recipe recipe, int threads) {
        public Config {
            if (networks < 1) throw new IllegalArgumentException("networks must be >= 1, got " + networks);
            if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
            densities = densities.clone();
            Imp.checkDensities(densities);
        }

        /** The default zoo of an architecture (sized for two cores in 30 minutes, see BENCHMARKS.md). */
        public static Config defaults(TicketArch arch) {
            return new Config(arch, 0, DEFAULT_NETWORKS, DEFAULT_DENSITIES, defaultRecipe(arch), 0);
        }
    }

    public static final int DEFAULT_NETWORKS = 500;
    public static final double[] DEFAULT_DENSITIES = {0.5, 0.2, 0.1, 0.05};

    /**
     * The default recipe of an architecture: Adam, batch 64, accuracy on the first 1,000 test
     * images; the MLP 150 steps at 2e-3, the CNN 60 steps at 1e-2 (five runs per network: dense
     * and one per default density), sized so that the default zoo of 500 builds in under 30
     * minutes on two cores (BENCHMARKS.md).
     */
    public static TicketArch.Recipe defaultRecipe(TicketArch arch) {
        return arch instanceof TicketArch.Cnn ? new TicketArch.Recipe(60, 64, 1e-2f, 1000) : new TicketArch.Recipe(150, 64, 2e-3f, 1000);
    }

    private TicketZooBuilder() {
    }

    /** What {@link #build} did; accuracy[n] is {dense, density 0, density 1, ...}. */
    public record Summary(int networks, int trained, int resumed, boolean alreadyComplete, float[][] accuracy) {
    }

    /** One network's IMP: initialisation (trainer order), rounds survived per parameter (trainer order), accuracies. */
    record Network(TicketArch.Init init, float[] initial, float[] survived, float[] accuracy, int diverged) {
    }

    /**
     * IMP on network i of the zoo: dense training, then one prune-rewind-train round per density.
     * {@code survived[q]} counts the rounds weight q survived (biases: all of them), so the mask of
     * density k is {@code survived > k}.
     */
    static Network imp(ImageData.Split data, Config c, int i) {
        TicketArch arch = c.arch();
        TicketArch.Init init = TicketArch.Init.sample(new ZooRandom(ZooRandom.seedFor(c.seed(), i, 0)));
        float[] initial = arch.initialise(init, new ZooRandom(ZooRandom.seedFor(c.seed(), i, 1)));
        long dataSeed = TicketZoo.dataSeed(c.seed(), i);
        int D = c.densities().length, P = initial.length;
        int[][] ranges = arch.weightRanges();
        double[][] targets = Imp.schedule(c.densities(), ranges.length);
        float[] accuracy = new float[D + 1], keep = new float[P], survived = new float[P];
        Arrays.fill(keep, 1f);
        Arrays.fill(survived, D);
        int diverged = 0;
        TicketArch.Trained t = TicketArchTraining.train(arch, data, initial, null, c.recipe(), dataSeed);
        accuracy[0] = t.testAccuracy();
        if (t.diverged()) diverged |= 1;
        for (int k = 0; k < D; k++) {
            for (int l = 0; l < ranges.length; l++) {
                int a = ranges[l][0], b = ranges[l][1];
                float[] w = Arrays.copyOfRange(t.params(), a, b);
                boolean[] alive = new boolean[b - a];
                for (int q = 0; q < alive.length; q++) alive[q] = keep[a + q] != 0;
                boolean[] next = Imp.prune(w, alive, Imp.keepCount(targets[k][l], b - a));
                for (int q = 0; q < alive.length; q++)
                    if (!next[q] && alive[q]) {
                        keep[a + q] = 0f;
                        survived[a + q] = k;
                    }
            }
            t = TicketArchTraining.train(arch, data, initial, keep, c.recipe(), dataSeed);
            accuracy[k + 1] = t.testAccuracy();
            if (t.diverged()) diverged |= 1 << (k + 1);
        }
        return new Network(init, initial, survived, accuracy, diverged);
    }

    /**
     * Builds (or finishes) the zoo in {@code out}.
     *
     * @param progress receives the number of networks done, resumed ones included; may be null
     */
    public static Summary build(ImageData.Split data, Path out, Config c, IntConsumer progress) throws IOException {
        if (c.recipe().testImages() > data.test().count())
            throw new IllegalArgumentException("--test-images " + c.recipe().testImages() + " exceeds the " + data.test().count() + " test images");
        if (c.arch() instanceof TicketArch.Mlp m && m.sizes()[0] != data.train().pixels())
            throw new IllegalArgumentException("the MLP takes " + m.sizes()[0] + " inputs but the images have " + data.train().pixels() + " pixels");
        Path parts = out.resolve(PARTS), zooFile = out.resolve(ZOO_FILE);
        String settings = settings(data, c);
        if (BuildFolder.claim(out, settings, "a ticket zoo", parts, zooFile, List.of(ZOO_FILE, PARTS))) {
            LOG.info(() -> "ticket zoo: " + out + " is already complete");
            if (progress != null) progress.accept(c.networks());
            return new Summary(c.networks(), 0, c.networks(), true, TicketZoo.read(zooFile).accuracies());
        }
        int N = c.networks();
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < N; i++) if (readPart(parts, i, c) == null) todo.add(i);
        int resumed = N - todo.size();
        if (resumed > 0) LOG.info(() -> "ticket zoo: resuming, " + resumed + " of " + N + " networks already done");
        if (progress != null && resumed > 0) progress.accept(resumed);
        int threads = Math.min(c.threads() == 0 ? Parallel.configuredThreads() : c.threads(), Math.max(1, todo.size()));
        long t0 = System.nanoTime();
        ZooGenerator.runAll(todo.size(), threads, t -> {
            int i = todo.get(t);
            Network n = imp(data, c, i);
            try {
                writePart(parts, i, c, n);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, progress == null ? null : done -> progress.accept(resumed + done));
        if (!todo.isEmpty())
            LOG.info(() -> String.format(Locale.ROOT, "ticket zoo: %d networks in %.1f s on %d threads", todo.size(), (System.nanoTime() - t0) / 1e9, threads));
        float[][] acc = assemble(zooFile, parts, c, settings);
        try (Stream<Path> s = Files.list(parts)) {
            for (Path p : s.toList()) Files.delete(p);
        }
        Files.delete(parts);
        return new Summary(N, todo.size(), resumed, false, acc);
    }

    /** build.json: everything the zoo depends on (not the thread count), one key per line. */
    static String settings(ImageData.Split data, Config c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("generator", GENERATOR);
        m.put("generator_version", GENERATOR_VERSION);
        m.put("architecture", c.arch().describe());
        m.put("seed", c.seed());
        m.put("networks", c.networks());
        m.put("densities", Arrays.toString(c.densities()));
        m.put("pruning", "per layer by magnitude, the last layer at half the rate; biases kept; rewind to the initialisation");
        m.put("steps", c.recipe().steps());
        m.put("batch_size", c.recipe().batch());
        m.put("learning_rate", c.recipe().learningRate());
        m.put("optimizer", "adam (0.9, 0.999)");
        m.put("test_images", c.recipe().testImages());
        m.put("init", TicketArch.Init.SPACE);
        m.put("data", BuildSettings.data(data));
        if (c.arch() instanceof TicketArch.Cnn) m.put("products_backend", LayerProduct.backendName());
        return BuildFolder.json(m);
    }

    static Path partFile(Path parts, int i) {
        return PartFiles.file(parts, "net", i);
    }

    private static void writePart(Path parts, int i, Config c, Network n) throws IOException {
        TicketArch a = c.arch();
        Map<String, HostTensor> t = new LinkedHashMap<>();
        int P = n.initial().length;
        t.put("init", HostTensor.f32(new int[]{P}, a.toCanonical(n.initial())));
        t.put("survived", HostTensor.f32(new int[]{P}, a.toCanonical(n.survived())));
        t.put("test_accuracy", HostTensor.f32(new int[]{n.accuracy().length}, n.accuracy()));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("init_family", n.init().family().name().toLowerCase(Locale.ROOT));
        meta.put("init_gain", Float.toString(n.init().gain()));
        meta.put("diverged", Integer.toString(n.diverged()));
        Safetensors.write(partFile(parts, i), t, meta);
    }

    /** Network i's part, or null when it is missing or unusable (logged: it is redone). */
    private static SafetensorsFile readPart(Path parts, int i, Config c) {
        Path f = partFile(parts, i);
        return PartFiles.read(f, s -> {
            int P = c.arch().numParams();
            s.get("init", P);
            s.get("survived", P);
            s.get("test_accuracy", c.densities().length + 1);
            PartFiles.requireMetadata(f, s, List.of("init_family", "init_gain", "diverged"));
            return s;
        }, LOG, "ticket zoo: redoing network " + i);
    }

    private static float[][] assemble(Path zooFile, Path parts, Config c, String settings) throws IOException {
        int N = c.networks(), P = c.arch().numParams(), D = c.densities().length;
        float[] init = new float[Math.multiplyExact(N, P)], survived = new float[N * P], acc = new float[N * (D + 1)];
        float[] family = new float[N], gain = new float[N], diverged = new float[N];
        float[][] accOut = new float[N][];
        for (int n = 0; n < N; n++) {
            SafetensorsFile s = readPart(parts, n, c);
            if (s == null) throw new NfnFormatException(partFile(parts, n), "missing or unreadable after training");
            System.arraycopy(s.get("init").toFloats(), 0, init, n * P, P);
            System.arraycopy(s.get("survived").toFloats(), 0, survived, n * P, P);
            accOut[n] = s.get("test_accuracy").toFloats();
            System.arraycopy(accOut[n], 0, acc, n * (D + 1), D + 1);
            family[n] = TicketArch.Family.valueOf(s.metadata().get("init_family").toUpperCase(Locale.ROOT)).ordinal();
            gain[n] = Float.parseFloat(s.metadata().get("init_gain"));
            diverged[n] = Integer.parseInt(s.metadata().get("diverged"));
        }
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put(TicketZoo.INIT, HostTensor.f32(new int[]{N, P}, init));
        t.put(TicketZoo.SURVIVED, HostTensor.f32(new int[]{N, P}, survived));
        t.put(TicketZoo.ACCURACY, HostTensor.f32(new int[]{N, D + 1}, acc));
        float[] dens = new float[D];
        for (int k = 0; k < D; k++) dens[k] = (float) c.densities()[k];
        t.put(TicketZoo.DENSITIES, HostTensor.f32(new int[]{D}, dens));
        double[][] sched = Imp.schedule(c.densities(), c.arch().weightRanges().length);
        int L = sched[0].length;
        float[] ld = new float[D * L];
        for (int k = 0; k < D; k++) for (int l = 0; l < L; l++) ld[k * L + l] = (float) sched[k][l];
        t.put(TicketZoo.LAYER_DENSITY, HostTensor.f32(new int[]{D, L}, ld));
        t.put("init_family", HostTensor.f32(new int[]{N}, family));
        t.put("init_gain", HostTensor.f32(new int[]{N}, gain));
        t.put("diverged", HostTensor.f32(new int[]{N}, diverged));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", TicketZoo.FORMAT);
        meta.put("format_version", Integer.toString(TicketZoo.FORMAT_VERSION));
        meta.put("architecture", c.arch().name());
        meta.put("sizes", Arrays.toString(c.arch().spec().sizes()));
        meta.put("init_families", "normal,truncated_normal,uniform");
        meta.put("build", settings);
        Safetensors.write(zooFile, t, meta);
        return accOut;
    }
}
