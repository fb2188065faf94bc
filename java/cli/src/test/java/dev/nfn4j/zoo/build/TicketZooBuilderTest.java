package dev.nfn4j.zoo.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.TfLayout;
import dev.nfn4j.zoo.TicketArch;
import dev.nfn4j.zoo.TicketZoo;
import dev.nfn4j.zoo.TinyImages;
import dev.nfn4j.zoo.ZooRandom;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TicketZooBuilderTest {
    @TempDir
    static Path tmp;
    static ImageData.Split data;
    static final TicketArch.Mlp MLP = new TicketArch.Mlp(new int[]{99, 12, 8, 10});
    static final TicketArch.Recipe RECIPE = new TicketArch.Recipe(6, 4, 1e-2f, 12);
    static final double[] DENSITIES = {0.5, 0.2};
    static final TicketZooBuilder.Config CONFIG = new TicketZooBuilder.Config(MLP, 7, 4, DENSITIES, RECIPE, 2);

    @BeforeAll
    static void images() throws IOException {
        data = ImageData.load(TinyImages.write(tmp.resolve("images"), 40, 16, 11, 9, 4));
    }

    /** Network i's IMP redone by hand from the trainer and Imp: the same masks and accuracies. */
    @Test
    void impRoundsAreTrainPruneRewindRetrain() {
        for (TicketArch arch : List.of(MLP, TicketArch.Cnn.INSTANCE)) {
            TicketZooBuilder.Config c = new TicketZooBuilder.Config(arch, 7, 4, DENSITIES, RECIPE, 1);
            TicketZooBuilder.Network n = TicketZooBuilder.imp(data, c, 3);
            long dataSeed = ZooRandom.seedFor(7, 3, 2);
            TicketArch.Init init = TicketArch.Init.sample(new ZooRandom(ZooRandom.seedFor(7, 3, 0)));
            float[] initial = arch.initialise(init, new ZooRandom(ZooRandom.seedFor(7, 3, 1)));
            assertArrayEquals(initial, n.initial());
            int[][] ranges = arch.weightRanges();
            double[][] targets = Imp.schedule(DENSITIES, ranges.length);
            float[] keep = new float[initial.length];
            Arrays.fill(keep, 1f);
            TicketArch.Trained t = TicketArchTraining.train(arch, data, initial, null, RECIPE, dataSeed);
            assertEquals(t.testAccuracy(), n.accuracy()[0]);
            for (int k = 0; k < DENSITIES.length; k++) {
                for (int l = 0; l < ranges.length; l++) {
                    int a = ranges[l][0], b = ranges[l][1];
                    boolean[] alive = new boolean[b - a];
                    for (int q = 0; q < alive.length; q++) alive[q] = keep[a + q] == 1f;
                    boolean[] next = Imp.prune(Arrays.copyOfRange(t.params(), a, b), alive, Imp.keepCount(targets[k][l], b - a));
                    int kept = 0;
                    for (int q = 0; q < alive.length; q++) {
                        keep[a + q] = next[q] ? 1f : 0f;
                        if (next[q]) kept++;
                    }
                    assertEquals(Imp.keepCount(targets[k][l], b - a), kept);
                }
                for (int q = 0; q < keep.length; q++) assertEquals(keep[q] == 1f, n.survived()[q] > k, arch.name() + " round " + k + " param " + q);
                t = TicketArchTraining.train(arch, data, initial, keep, RECIPE, dataSeed);
                assertEquals(t.testAccuracy(), n.accuracy()[k + 1]);
                for (int q = 0; q < keep.length; q++) if (keep[q] == 0f) assertEquals(0f, t.params()[q], "pruned weight " + q + " moved");
            }
        }
    }

    /** Build and read back: canonical init and masks, accuracies, per-layer densities; a complete zoo is not rebuilt. */
    @Test
    void roundTripThroughTheReader() throws IOException {
        Path out = tmp.resolve("zoo");
        TicketZooBuilder.Summary s = TicketZooBuilder.build(data, out, CONFIG, null);
        assertEquals(4, s.trained());
        assertFalse(Files.exists(out.resolve(TicketZooBuilder.PARTS)));
        TicketZoo z = TicketZoo.read(out.resolve(TicketZooBuilder.ZOO_FILE));
        assertEquals(4, z.size());
        assertEquals(MLP, z.arch());
        assertArrayEquals(new float[]{0.5f, 0.2f}, z.densities());
        for (int n = 0; n < 4; n++) {
            TicketZooBuilder.Network net = TicketZooBuilder.imp(data, CONFIG, n);
            assertArrayEquals(net.initial(), z.init(n));
            assertArrayEquals(net.accuracy(), z.accuracies()[n]);
            for (int k = 0; k < 2; k++) {
                float[] m = z.mask(n, k);
                int[][] ranges = MLP.weightRanges();
                for (int l = 0; l < ranges.length; l++) {
                    int kept = 0;
                    for (int q = ranges[l][0]; q < ranges[l][1]; q++) kept += (int) m[q];
                    assertEquals(Imp.keepCount(z.layerDensity(k, l), ranges[l][1] - ranges[l][0]), kept);
                }
                int bias = ranges[0][1]; // layer 0's bias follows its weight
                for (int q = bias; q < bias + 12; q++) assertEquals(1f, m[q], "biases are never pruned");
            }
        }
        assertTrue(TicketZooBuilder.build(data, out, CONFIG, null).alreadyComplete());
    }

    /** One thread or three, interrupted and resumed or not: the same files, byte for byte (both architectures). */
    @Test
    void resumedAndSingleThreadedBuildsEqualTheUninterruptedOne() throws IOException {
        for (TicketArch arch : List.of(MLP, TicketArch.Cnn.INSTANCE)) {
            Path whole = tmp.resolve("whole-" + arch.name()), resumed = tmp.resolve("resumed-" + arch.name());
            TicketZooBuilder.build(data, whole, new TicketZooBuilder.Config(arch, 7, 5, DENSITIES, RECIPE, 3), null);
            TicketZooBuilder.Config one = new TicketZooBuilder.Config(arch, 7, 5, DENSITIES, RECIPE, 1);
            RuntimeException stop = assertThrows(RuntimeException.class, () -> TicketZooBuilder.build(data, resumed, one, done -> {
                if (done == 2) throw new IllegalStateException("stopped after 2 networks");
            }));
            assertTrue(stop.getMessage().contains("stopped"), stop.getMessage());
            assertFalse(Files.exists(resumed.resolve(TicketZooBuilder.ZOO_FILE)));
            TicketZooBuilder.Summary s = TicketZooBuilder.build(data, resumed, one, null);
            assertEquals(2, s.resumed());
            assertEquals(3, s.trained());
            for (String f : List.of(TicketZooBuilder.ZOO_FILE, TicketZooBuilder.BUILD_FILE))
                assertArrayEquals(Files.readAllBytes(whole.resolve(f)), Files.readAllBytes(resumed.resolve(f)), arch.name() + " " + f);
        }
    }

    @Test
    void otherSettingsInTheSameFolderAreRefused() throws IOException {
        Path out = tmp.resolve("other");
        TicketZooBuilder.build(data, out, CONFIG, null);
        TicketZooBuilder.Config denser = new TicketZooBuilder.Config(MLP, 7, 4, new double[]{0.5, 0.3}, RECIPE, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TicketZooBuilder.build(data, out, denser, null));
        assertTrue(e.getMessage().contains("other settings") && e.getMessage().contains("[0.5, 0.3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TicketZooBuilder.Config(MLP, 7, 4, new double[]{0.5, 1.2}, RECIPE, 1));
        assertThrows(IllegalArgumentException.class, () -> TicketZooBuilder.build(data, tmp.resolve("x"),
                new TicketZooBuilder.Config(MLP, 7, 4, DENSITIES, new TicketArch.Recipe(6, 4, 1e-2f, 17), 1), null));
        assertThrows(IllegalArgumentException.class, () -> TicketZooBuilder.build(data, tmp.resolve("y"),
                new TicketZooBuilder.Config(TicketArch.Mlp.DEFAULT, 7, 4, DENSITIES, RECIPE, 1), null));
    }

    /** Masked training: pruned weights stay exactly zero (MLP and CNN); kept weights and biases do move. */
    @Test
    void maskedTrainingNeverUpdatesAPrunedWeight() {
        TicketArch.Recipe longer = new TicketArch.Recipe(20, 8, 1e-2f, 12);
        for (TicketArch arch : List.of(MLP, TicketArch.Cnn.INSTANCE)) {
            float[] init = arch.initialise(new TicketArch.Init(TicketArch.Family.NORMAL, 1f), new ZooRandom(5));
            float[] keep = new float[init.length];
            Random r = new Random(3);
            for (int q = 0; q < keep.length; q++) keep[q] = r.nextInt(4) == 0 ? 0f : 1f;
            TicketArch.Trained t = TicketArchTraining.train(arch, data, init, keep, longer, 99);
            int moved = 0, kept = 0;
            for (int q = 0; q < keep.length; q++) {
                if (keep[q] == 0f) assertEquals(0f, t.params()[q], arch.name() + " pruned parameter " + q);
                else {
                    kept++;
                    if (t.params()[q] != init[q]) moved++;
                }
            }
            assertTrue(moved > kept * 9 / 10, arch.name() + ": only " + moved + " of " + kept + " kept parameters moved");
            assertArrayEquals(init, arch.initialise(new TicketArch.Init(TicketArch.Family.NORMAL, 1f), new ZooRandom(5)), "init unchanged");
            // Same seed, same run; the dense run differs.
            assertArrayEquals(t.params(), TicketArchTraining.train(arch, data, init, keep, longer, 99).params());
            assertNotEquals(Arrays.hashCode(t.params()), Arrays.hashCode(TicketArchTraining.train(arch, data, init, null, longer, 99).params()));
        }
    }

    /** The CNN's TF-to-canonical map is the one the Small CNN Zoo reader uses, and trainerOrder inverts it. */
    @Test
    void cnnCanonicalOrderMatchesTheSmallCnnZooReader() throws IOException {
        Path layout = tmp.resolve("layout.csv");
        CnnZooBuilder.writeLayout(layout);
        TicketArch.Cnn cnn = TicketArch.Cnn.INSTANCE;
        TfLayout tf = TfLayout.read(layout, cnn.numParams());
        assertEquals(cnn.spec(), tf.spec());
        float[] p = new float[cnn.numParams()];
        for (int q = 0; q < p.length; q++) p[q] = q;
        float[] expected = new float[p.length];
        tf.toCanonical(p, 0, expected, 0);
        assertArrayEquals(expected, cnn.toCanonical(p));
        assertArrayEquals(p, cnn.trainerOrder(cnn.toCanonical(p)));
    }

    /** Per-layer scales: each layer's weights have about the requested std, biases are zero. */
    @Test
    void initialisationFollowsTheDrawnFamilyAndGain() {
        TicketArch.Mlp big = new TicketArch.Mlp(new int[]{400, 300, 10});
        for (TicketArch.Family f : TicketArch.Family.values()) {
            float[] p = big.initialise(new TicketArch.Init(f, 1.5f), new ZooRandom(1));
            int[][] w = big.weightRanges();
            int[] fanIn = {400, 300};
            for (int l = 0; l < 2; l++) {
                double sq = 0;
                for (int q = w[l][0]; q < w[l][1]; q++) sq += (double) p[q] * p[q];
                double std = Math.sqrt(sq / (w[l][1] - w[l][0])), want = 1.5 * Math.sqrt(2.0 / fanIn[l]);
                assertEquals(want, std, want * 0.05, f + " layer " + l);
                int bEnd = l + 1 < w.length ? w[l + 1][0] : p.length;
                for (int q = w[l][1]; q < bEnd; q++) assertEquals(0f, p[q]);
            }
        }
    }
}
