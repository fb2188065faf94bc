package dev.nfn4j.zoo.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.zoo.GeneratedZoo;
import dev.nfn4j.zoo.MlpHyperparameters;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZooGeneratorTest {
    /** A small, fast zoo: 12 networks on a smaller copy of the default task. */
    private static final ZooGenerator.Config SMALL = ZooGenerator.Config.defaults().withNetworks(12)
            .withTask(SyntheticTask.Config.defaults().withSizes(1000, 500));

    @TempDir
    Path dir;

    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Logger log = Logger.getLogger(ZooGenerator.class.getName());
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            logged.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void listen() {
        log.addHandler(handler);
    }

    @AfterEach
    void stopListening() {
        log.removeHandler(handler);
    }

    private static void assertSameZoo(GeneratedZoo a, GeneratedZoo b) {
        assertEquals(a.spec(), b.spec());
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.weights(i), b.weights(i), "network " + i);
        assertArrayEquals(a.testAccuracy(), b.testAccuracy());
        assertArrayEquals(a.trainAccuracy(), b.trainAccuracy());
        assertArrayEquals(a.trainLoss(), b.trainLoss());
        for (String h : a.hparamNames()) assertArrayEquals(a.hparam(h), b.hparam(h), h);
        assertEquals(a.metadata(), b.metadata());
    }

    @Test
    void sameSeedGivesTheSameZooWhateverTheThreadCount() {
        GeneratedZoo one = ZooGenerator.generate(SMALL.withThreads(1), null);
        GeneratedZoo two = ZooGenerator.generate(SMALL.withThreads(2), null);
        GeneratedZoo five = ZooGenerator.generate(SMALL.withThreads(5), null);
        assertSameZoo(one, two);
        assertSameZoo(one, five);
        GeneratedZoo other = ZooGenerator.generate(SMALL.withSeed(1).withThreads(2), null);
        assertFalse(Arrays.equals(one.weights(0), other.weights(0)));
        assertNotEquals(one.metadata().get("content_sha256"), other.metadata().get("content_sha256"));
        // network i depends on (seed, i) only: a larger zoo starts with the same networks
        GeneratedZoo bigger = ZooGenerator.generate(SMALL.withNetworks(14), null);
        for (int i = 0; i < 12; i++) assertArrayEquals(one.weights(i), bigger.weights(i));
    }

    @Test
    void generatedNumbersArePinned() {
        // Only IEEE arithmetic and StrictMath: the same bits on every JVM, CPU and compilation
        // mode (checked once with -Xint). If this changes on purpose, bump
        // ZooGenerator.GENERATOR_VERSION so that old cache files are regenerated, then update it.
        GeneratedZoo z = ZooGenerator.generate(ZooGenerator.Config.defaults().withNetworks(4)
                .withTask(SyntheticTask.Config.defaults().withSizes(500, 200)), null);
        assertEquals("6210a0758da7c16b3f211d2fd010c86ad4f3913609a039d0afde71fe3cd73250", z.metadata().get("content_sha256"));
    }

    @Test
    void shapesSpecBatchAndHyperparametersAreConsistent() {
        GeneratedZoo z = ZooGenerator.generate(SMALL, null);
        assertEquals(NetworkSpec.mlp(12, 32, 32, 4), z.spec());
        assertEquals(12, z.size());
        assertEquals(z.spec().numParams(), z.weights(3).length);
        int[] idx = {3, 0, 3};
        HostWeights b = z.batch(idx);
        assertEquals(3, b.layout().batch());
        assertEquals(1, b.layout().channels());
        for (int l = 0; l < 3; l++) {
            float[] w = b.torchWeight(l), bias = b.torchBias(l);
            int wl = z.spec().rows(l) * z.spec().cols(l), bl = z.spec().rows(l);
            for (int q = 0; q < idx.length; q++) {
                assertArrayEquals(z.weight(l, idx[q]), Arrays.copyOfRange(w, q * wl, (q + 1) * wl));
                assertArrayEquals(z.bias(l, idx[q]), Arrays.copyOfRange(bias, q * bl, (q + 1) * bl));
            }
        }
        float[] lr = z.hparam("lr"), steps = z.hparam("steps"), batch = z.hparam("batch_size");
        for (int i = 0; i < z.size(); i++) {
            MlpHyperparameters h = z.hyperparameters(i);
            assertEquals(lr[i], h.learningRate());
            assertEquals(steps[i], h.steps());
            assertTrue(h.batchSize() == 16 || h.batchSize() == 32 || h.batchSize() == 64);
            double examples = (double) h.steps() * h.batchSize();
            assertTrue(examples >= ZooGenerator.EXAMPLES_MIN && examples < ZooGenerator.EXAMPLES_MAX + h.batchSize(), h.toString());
            assertTrue(h.labelNoise() >= 0 && h.labelNoise() <= 0.5f && h.trainFraction() >= 0.1f, h.toString());
            assertTrue(h.shortcutCorrelation() >= 0 && h.shortcutCorrelation() <= 1, h.toString());
            assertTrue(lr[i] >= 1e-4f && lr[i] <= 1f, h.toString());
            assertEquals(batch[i], h.batchSize());
        }
        assertThrows(IllegalArgumentException.class, () -> z.hparam("momentum"));
        assertThrows(IndexOutOfBoundsException.class, () -> z.weights(12));
        assertEquals("12-32-32-4", z.metadata().get("architecture"));
        assertEquals("12", z.metadata().get("networks"));
        assertEquals(SMALL.cacheKey(), z.metadata().get("cache_key"));
        assertNull(z.source());
    }

    @Test
    void cacheRoundTripReadsTheFileTheSecondTime() throws IOException {
        List<Integer> progress = new ArrayList<>();
        GeneratedZoo first = ZooGenerator.loadOrGenerate(SMALL, dir, progress::add);
        Path file = ZooGenerator.cacheFile(SMALL, dir);
        assertTrue(Files.exists(file));
        assertFalse(first.fromCache());
        List<Integer> expected = new ArrayList<>();
        for (int i = 1; i <= 12; i++) expected.add(i);
        assertEquals(expected, progress);

        progress.clear();
        GeneratedZoo second = ZooGenerator.loadOrGenerate(SMALL.withThreads(1), dir, progress::add);
        assertTrue(second.fromCache());
        assertEquals(file, second.source());
        assertEquals(List.of(12), progress);
        assertSameZoo(first, second);

        // the documented format, read with the plain safetensors reader
        SafetensorsFile f = Safetensors.read(file);
        assertArrayEquals(new int[]{12, 32, 12}, f.get("weight.0").shape());
        assertArrayEquals(new int[]{12, 4}, f.get("bias.2").shape());
        assertArrayEquals(first.testAccuracy(), f.get("test_accuracy", 12).toFloats());
        assertArrayEquals(first.hparam("lr"), f.get("hparam.lr", 12).toFloats());
        assertEquals("nfn4j.generated_zoo", f.metadata().get("format"));
        assertEquals(String.valueOf(ZooGenerator.GENERATOR_VERSION), f.metadata().get("generator_version"));
        assertEquals("0=relu,1=tanh", f.metadata().get("hparam.activation.codes"));
        assertTrue(f.metadata().get("task").startsWith("gaussian_blobs("), f.metadata().get("task"));
    }

    @Test
    void aDamagedCacheFileIsRegeneratedWithALoggedReason() throws IOException {
        GeneratedZoo good = ZooGenerator.loadOrGenerate(SMALL, dir, null);
        Path file = ZooGenerator.cacheFile(SMALL, dir);
        long size = Files.size(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) { // flip a bit in a weight
            raf.seek(size / 2);
            int v = raf.read();
            raf.seek(size / 2);
            raf.write(v ^ 0x10);
        }
        assertThrows(NfnFormatException.class, () -> GeneratedZoo.load(file, SMALL.cacheKey()));
        logged.clear();
        GeneratedZoo again = ZooGenerator.loadOrGenerate(SMALL, dir, null);
        assertFalse(again.fromCache());
        assertTrue(warned("content hash mismatch"), "logged: " + messages());
        assertSameZoo(good, again);
        assertTrue(ZooGenerator.loadOrGenerate(SMALL, dir, null).fromCache(), "the rewritten file is used");

        // truncated, then garbage
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size / 2);
        }
        logged.clear();
        assertFalse(ZooGenerator.loadOrGenerate(SMALL, dir, null).fromCache());
        assertTrue(logged.stream().anyMatch(r -> r.getLevel() == Level.WARNING), "logged: " + messages());
        Files.writeString(file, "not a safetensors file");
        logged.clear();
        assertFalse(ZooGenerator.loadOrGenerate(SMALL, dir, null).fromCache());
        assertTrue(logged.stream().anyMatch(r -> r.getLevel() == Level.WARNING), "logged: " + messages());
        assertTrue(ZooGenerator.loadOrGenerate(SMALL, dir, null).fromCache());
    }

    @Test
    void aStaleCacheFileIsNeverUsed() throws IOException {
        ZooGenerator.loadOrGenerate(SMALL, dir, null);
        ZooGenerator.Config other = SMALL.withSeed(7);
        // a file for another config under this config's name (as after a generator-version bump)
        Files.copy(ZooGenerator.cacheFile(SMALL, dir), ZooGenerator.cacheFile(other, dir));
        logged.clear();
        GeneratedZoo z = ZooGenerator.loadOrGenerate(other, dir, null);
        assertFalse(z.fromCache());
        assertEquals(other.cacheKey(), z.metadata().get("cache_key"));
        assertTrue(warned("stale"), "logged: " + messages());

        // a well-formed file whose metadata names another format version
        SafetensorsFile f = Safetensors.read(ZooGenerator.cacheFile(SMALL, dir));
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        for (String name : f.names()) tensors.put(name, f.get(name));
        Map<String, String> meta = new LinkedHashMap<>(f.metadata());
        meta.put("format_version", "99");
        Safetensors.write(ZooGenerator.cacheFile(SMALL, dir), tensors, meta);
        logged.clear();
        assertFalse(ZooGenerator.loadOrGenerate(SMALL, dir, null).fromCache());
        assertTrue(warned("format_version"), "logged: " + messages());
    }

    @Test
    void cacheKeyHoldsEverythingThatChangesTheZooAndNothingElse() {
        ZooGenerator.Config c = ZooGenerator.Config.defaults();
        Path d = Path.of("cache");
        assertEquals(ZooGenerator.cacheFile(c, d), ZooGenerator.cacheFile(c.withThreads(1), d));
        List<ZooGenerator.Config> variants = List.of(c.withSeed(1), c.withNetworks(999), c.withHidden(List.of(32, 16)),
                c.withTask(c.task().withSizes(4000, 2001)), c.withTask(c.task().withShortcut(4, 2f)));
        for (ZooGenerator.Config v : variants) {
            assertNotEquals(c.cacheKey(), v.cacheKey());
            assertNotEquals(ZooGenerator.cacheFile(c, d), ZooGenerator.cacheFile(v, d));
        }
        assertTrue(c.cacheKey().startsWith(ZooGenerator.GENERATOR + "/" + ZooGenerator.GENERATOR_VERSION + ";"), c.cacheKey());
        assertEquals(1000, c.networks());
        assertEquals(NetworkSpec.mlp(12, 32, 32, 4), c.spec());
        String old = System.getProperty(ZooGenerator.CACHE_DIR_PROPERTY);
        try {
            System.setProperty(ZooGenerator.CACHE_DIR_PROPERTY, "/tmp/somewhere");
            assertEquals(Path.of("/tmp/somewhere"), ZooGenerator.defaultCacheDir());
            System.clearProperty(ZooGenerator.CACHE_DIR_PROPERTY);
            assertEquals(Path.of(System.getProperty("user.home"), ".cache", "nfn4j", "zoo"), ZooGenerator.defaultCacheDir());
        } finally {
            if (old != null) System.setProperty(ZooGenerator.CACHE_DIR_PROPERTY, old);
        }
    }

    @Test
    void accuraciesSpreadFromChanceToHighOnA200NetworkZoo() {
        long t0 = System.nanoTime();
        GeneratedZoo z = ZooGenerator.generate(ZooGenerator.Config.defaults().withNetworks(200), null);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        float[] acc = z.testAccuracy();
        float[] s = acc.clone();
        Arrays.sort(s);
        double mean = 0, sq = 0;
        for (float a : acc) mean += a;
        mean /= acc.length;
        for (float a : acc) sq += (a - mean) * (a - mean);
        double std = Math.sqrt(sq / acc.length);
        System.out.printf("200 networks in %d ms: test accuracy min %.3f q1 %.3f median %.3f q3 %.3f max %.3f, mean %.3f std %.3f%n", ms, s[0],
                s[50], s[100], s[150], s[199], mean, std);
        assertTrue(std > 0.1, "std " + std);
        assertTrue(s[0] < 0.35, "min " + s[0] + " (chance 0.25)");
        assertTrue(s[199] > 0.85, "max " + s[199]);
        // networks that learned the shortcut crowd the lower half (measured: q1 0.30, median 0.38, q3 0.47)
        assertTrue(s[150] - s[50] > 0.12, "interquartile range " + (s[150] - s[50]));
        for (int i = 0; i < z.size(); i++)
            for (float w : z.weights(i)) assertTrue(Float.isFinite(w), "network " + i);
        // train accuracy tracks test accuracy (the same task), but only loosely: networks that
        // learned the shortcut fit their training data and fail the test set (measured: 0.56)
        float[] train = z.trainAccuracy();
        double corr = correlation(acc, train);
        assertTrue(corr > 0.4 && corr < 0.8, "corr(train, test) " + corr);
    }

    private static double correlation(float[] a, float[] b) {
        double ma = 0, mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= a.length;
        mb /= b.length;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }

    private boolean warned(String text) {
        return logged.stream().anyMatch(r -> r.getLevel() == Level.WARNING && r.getMessage().contains(text));
    }

    private List<String> messages() {
        return logged.stream().map(LogRecord::getMessage).toList();
    }
}
