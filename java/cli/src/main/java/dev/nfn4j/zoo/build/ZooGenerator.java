package dev.nfn4j.zoo.build;

import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.ops.Parallel;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.zoo.GeneratedZoo;
import dev.nfn4j.zoo.MlpHyperparameters;
import dev.nfn4j.zoo.MlpHyperparameters.Activation;
import dev.nfn4j.zoo.MlpHyperparameters.InitDistribution;
import dev.nfn4j.zoo.MlpHyperparameters.Optimizer;
import dev.nfn4j.zoo.ZooRandom;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.logging.Logger;

/**
 * The built-in model zoo: about a thousand small MLPs trained in Java on one {@link SyntheticTask}
 * with hyperparameters drawn per network in the spirit of Unterthiner et al. 2020 ("Predicting
 * Neural Network Accuracy from Weights"), so test accuracies spread from chance to near the best
 * achievable, and cached on disk as one safetensors file ({@link GeneratedZoo}).
 *
 * <p>Deterministic: network i draws its hyperparameters, initialisation and data order from
 * streams seeded by (zoo seed, i) alone, so the zoo is bit-identical for any thread count or
 * schedule. The cache file's name and its {@code cache_key} hold everything the result depends
 * on (generator version, seed, N, architecture, task); a file whose key, format or content hash
 * does not match is regenerated with a logged reason, never used.
 *
 * <p>Besides the training hyperparameters, each network draws how strongly a spurious shortcut in
 * its training data agrees with the label ({@link MlpHyperparameters#shortcutCorrelation()}); the
 * test set has no such correlation, so test accuracy also depends on which input columns the first
 * layer relies on, not only on the scale of the weights (see {@link SyntheticTask} for why).
 *
 * <p>Cost: the default zoo (1,000 networks of 12-32-32-4, on average about 7,600 training examples
 * each) takes about 28 s of CPU, i.e. about 15 s on two free cores; reading it back from the
 * cache takes about 0.1 s.
 */
public final class ZooGenerator {
    private static final Logger LOG = Logger.getLogger(ZooGenerator.class.getName());

    public static final String GENERATOR = "nfn4j.mlp_zoo";
    /** Bump whenever anything that changes the generated numbers changes (trainer, sampling, task). */
    public static final int GENERATOR_VERSION = 2;
    public static final int DEFAULT_NETWORKS = 1000;
    /** System property overriding the default cache folder. */
    public static final String CACHE_DIR_PROPERTY = "nfn4j.zoo.cacheDir";

    /** The hyperparameter distributions (documentation, also written into the file's metadata). */
    public static final String HPARAM_SPACE = "optimizer: sgd (momentum 0.9) or adam, 1/2 each; "
            + "lr: log-uniform [1e-3, 0.3] for sgd, [1e-4, 1e-1] for adam; activation: relu or tanh, 1/2 each; "
            + "init: normal, uniform or truncated_normal (at 2 sigma), 1/3 each, zero biases; init_std: log-uniform [1e-2, 1]; "
            + "l2: log-uniform [1e-6, 1e-1]; batch_size: 16, 32 or 64, 1/3 each; "
            + "steps: ceil(E / batch_size) with E (examples seen) log-uniform [500, 32000]; "
            + "label_noise: uniform [0, 0.5]; train_fraction: uniform [0.1, 1]; shortcut_correlation: uniform [0, 1]; "
            + "gradient norm clipped at " + MlpTrainer.GRAD_CLIP;

    /**
     * What to generate.
     *
     * @param seed     zoo seed: network i's streams derive from (seed, i)
     * @param networks N
     * @param hidden   hidden-layer widths (the same for every network; the spec is
     *                 inputs-hidden...-classes)
     * @param task     the shared classification task
     * @param threads  worker threads (0: {@link Parallel#configuredThreads()}); does not change the result
     */
    public record Config(long seed, int networks, List<Integer> hidden, SyntheticTask.Config task, int threads) {
        public Config {
            if (networks < 1) throw new IllegalArgumentException("networks must be >= 1, got " + networks);
            hidden = List.copyOf(hidden);
            for (int h : hidden) if (h < 1) throw new IllegalArgumentException("hidden widths must be positive, got " + hidden);
            if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
            java.util.Objects.requireNonNull(task, "task");
        }

        /** The default zoo: seed 0, 1,000 networks of 12-32-32-4 on {@link SyntheticTask.Config#defaults()}. */
        public static Config defaults() {
            return new Config(0, DEFAULT_NETWORKS, List.of(32, 32), SyntheticTask.Config.defaults(), 0);
        }

        public Config withSeed(long s) {
            return new Config(s, networks, hidden, task, threads);
        }

        public Config withNetworks(int n) {
            return new Config(seed, n, hidden, task, threads);
        }

        public Config withThreads(int t) {
            return new Config(seed, networks, hidden, task, t);
        }

        public Config withHidden(List<Integer> h) {
            return new Config(seed, networks, h, task, threads);
        }

        public Config withTask(SyntheticTask.Config t) {
            return new Config(seed, networks, hidden, t, threads);
        }

        public NetworkSpec spec() {
            int[] sizes = new int[hidden.size() + 2];
            sizes[0] = task.inputDim();
            for (int i = 0; i < hidden.size(); i++) sizes[i + 1] = hidden.get(i);
            sizes[sizes.length - 1] = task.classes();
            return NetworkSpec.mlp(sizes);
        }

        int[] hiddenArray() {
            return hidden.stream().mapToInt(Integer::intValue).toArray();
        }

        /** Everything the zoo's contents depend on (not the thread count). */
        public String cacheKey() {
            return GENERATOR + "/" + GENERATOR_VERSION + ";seed=" + seed + ";networks=" + networks + ";architecture="
                    + GeneratedZoo.architecture(spec()) + ";task=" + task.key();
        }
    }

    private ZooGenerator() {}

    /** {@code -Dnfn4j.zoo.cacheDir}, else {@code ${user.home}/.cache/nfn4j/zoo}. */
    public static Path defaultCacheDir() {
        String p = System.getProperty(CACHE_DIR_PROPERTY, "").trim();
        return p.isEmpty() ? Path.of(System.getProperty("user.home"), ".cache", "nfn4j", "zoo") : Path.of(p);
    }

    /** The cache file of {@code c} in {@code dir}: {@code zoo-<seed>-<N>-<first 16 hex digits of SHA-256(cache key)>.safetensors}. */
    public static Path cacheFile(Config c, Path dir) {
        String hash = HexFormat.of().formatHex(sha256(c.cacheKey())).substring(0, 16);
        return dir.resolve("zoo-" + c.seed() + "-" + c.networks() + "-" + hash + ".safetensors");
    }

    /** The default zoo ({@link Config#defaults()} with this seed and size), cached in {@code cacheDir} (null: the default folder). */
    public static GeneratedZoo defaultZoo(Path cacheDir, long seed, int n, IntConsumer progress) throws IOException {
        return loadOrGenerate(Config.defaults().withSeed(seed).withNetworks(n), cacheDir, progress);
    }

    /**
     * Reads the zoo from its cache file when that is present and valid; otherwise (missing,
     * stale, damaged: the reason is logged) generates it and writes the file atomically. A cache
     * folder that cannot be written is logged and the generated zoo returned anyway.
     *
     * @param progress receives the number of networks done (increasing, from worker threads; once
     *                 with N when read from the cache); may be null
     */
    public static GeneratedZoo loadOrGenerate(Config c, Path cacheDir, IntConsumer progress) throws IOException {
        Path dir = cacheDir == null ? defaultCacheDir() : cacheDir;
        Path file = cacheFile(c, dir);
        if (Files.exists(file)) {
            try {
                GeneratedZoo z = GeneratedZoo.load(file, c.cacheKey());
                if (z.size() != c.networks() || !z.spec().equals(c.spec()))
                    throw new NfnFormatException(file, "holds " + z.size() + " networks of " + z.spec() + ", expected " + c.networks()
                            + " of " + c.spec());
                LOG.info(() -> "zoo: read " + z.size() + " networks from cache " + file);
                if (progress != null) progress.accept(z.size());
                return z;
            } catch (NoSuchFileException e) {
                LOG.info(() -> "zoo: cache file vanished, regenerating: " + file);
            } catch (IOException | RuntimeException e) {
                LOG.warning(() -> "zoo: ignoring unusable cache file and regenerating: " + e.getMessage());
            }
        } else {
            LOG.info(() -> "zoo: no cache file " + file + ", generating " + c.networks() + " networks");
        }
        GeneratedZoo z = generate(c, progress);
        try {
            Files.createDirectories(dir);
            z.save(file);
            LOG.info(() -> "zoo: wrote " + file);
        } catch (IOException e) {
            LOG.warning(() -> "zoo: could not write cache file " + file + ": " + e);
        }
        return z;
    }

    /** Generates the zoo in memory (no cache). */
    public static GeneratedZoo generate(Config c, IntConsumer progress) {
        long t0 = System.nanoTime();
        SyntheticTask task = SyntheticTask.generate(c.task());
        NetworkSpec spec = c.spec();
        int N = c.networks(), L = spec.numLayers(), H = MlpHyperparameters.NAMES.size();
        int[] hidden = c.hiddenArray();
        float[][] ws = new float[L][], bs = new float[L][];
        for (int l = 0; l < L; l++) {
            ws[l] = new float[Math.multiplyExact(N, spec.rows(l) * spec.cols(l))];
            bs[l] = new float[N * spec.rows(l)];
        }
        float[] test = new float[N], train = new float[N], loss = new float[N], div = new float[N];
        float[][] hp = new float[H][N];

        IntConsumer one = i -> {
            MlpHyperparameters h = sampleHyperparameters(new ZooRandom(ZooRandom.seedFor(c.seed(), i, 0)));
            MlpTrainer.Result r = MlpTrainer.train(task, hidden, h, ZooRandom.seedFor(c.seed(), i, 1));
            for (int l = 0; l < L; l++) { // disjoint slices: no synchronisation needed
                System.arraycopy(r.weights()[l], 0, ws[l], i * r.weights()[l].length, r.weights()[l].length);
                System.arraycopy(r.biases()[l], 0, bs[l], i * r.biases()[l].length, r.biases()[l].length);
            }
            test[i] = r.testAccuracy();
            train[i] = r.trainAccuracy();
            loss[i] = r.trainLoss();
            div[i] = r.diverged() ? 1 : 0;
            float[] v = h.toFloats();
            for (int q = 0; q < H; q++) hp[q][i] = v[q];
        };
        int threads = c.threads() == 0 ? Parallel.configuredThreads() : c.threads();
        runAll(N, Math.min(threads, N), one, progress);

        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", GeneratedZoo.FORMAT);
        meta.put("format_version", String.valueOf(GeneratedZoo.FORMAT_VERSION));
        meta.put("generator", GENERATOR);
        meta.put("generator_version", String.valueOf(GENERATOR_VERSION));
        meta.put("cache_key", c.cacheKey());
        meta.put("seed", String.valueOf(c.seed()));
        meta.put("networks", String.valueOf(N));
        meta.put("architecture", GeneratedZoo.architecture(spec));
        meta.put("task", task.describe());
        meta.put("hparam_space", HPARAM_SPACE);
        for (String name : MlpHyperparameters.NAMES) {
            String codes = MlpHyperparameters.codes(name);
            if (codes != null) meta.put("hparam." + name + ".codes", codes);
        }
        GeneratedZoo z = new GeneratedZoo(spec, N, ws, bs, test, train, loss, div, hp, meta, null);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        LOG.info(() -> String.format(java.util.Locale.ROOT, "zoo: generated %d networks of %s in %d ms on %d threads", N,
                GeneratedZoo.architecture(spec), ms, threads));
        return z;
    }

    /** Network i's hyperparameters, from its own stream (see {@link #HPARAM_SPACE}). */
    static MlpHyperparameters sampleHyperparameters(ZooRandom r) {
        Optimizer opt = r.nextInt(2) == 0 ? Optimizer.SGD : Optimizer.ADAM;
        float lr = opt == Optimizer.SGD ? (float) r.logUniform(1e-3, 0.3) : (float) r.logUniform(1e-4, 1e-1);
        Activation act = Activation.values()[r.nextInt(2)];
        InitDistribution init = InitDistribution.values()[r.nextInt(3)];
        float initStd = (float) r.logUniform(1e-2, 1);
        float l2 = (float) r.logUniform(1e-6, 1e-1);
        int batch = 16 << r.nextInt(3);
        int steps = (int) StrictMath.ceil(r.logUniform(EXAMPLES_MIN, EXAMPLES_MAX) / batch);
        float noise = (float) r.uniform(0, 0.5);
        float frac = (float) r.uniform(0.1, 1);
        float shortcut = (float) r.uniform(0, 1);
        return new MlpHyperparameters(opt, lr, act, init, initStd, l2, steps, batch, noise, frac, shortcut);
    }

    /** Training length: examples seen (steps * batch size) are log-uniform in this range. */
    static final double EXAMPLES_MIN = 500, EXAMPLES_MAX = 32000;

    /** Runs one(0..n-1) on {@code threads} threads; progress gets 1..n in order, serialised. Shared with {@link CnnZooBuilder}. */
    static void runAll(int n, int threads, IntConsumer one, IntConsumer progress) {
        AtomicInteger next = new AtomicInteger();
        int[] done = {0};
        Runnable worker = () -> {
            for (int i; (i = next.getAndIncrement()) < n; ) {
                one.accept(i);
                if (progress != null) {
                    synchronized (done) {
                        progress.accept(++done[0]);
                    }
                }
            }
        };
        if (threads <= 1) {
            worker.run();
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "nfn4j-zoo");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) fs.add(pool.submit(worker));
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    next.set(n); // stop the others early
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    if (e.getCause() instanceof Error er) throw er;
                    throw new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    next.set(n);
                    throw new IllegalStateException("interrupted while generating the zoo", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
