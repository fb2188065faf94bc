package dev.nfn4j.zoo.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.space.HostWeights;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.SmallCnnZoo;
import dev.nfn4j.zoo.TinyImages;
import dev.nfn4j.zoo.ZooDataset;
import dev.nfn4j.zoo.ZooRandom;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CnnZooBuilderTest {
    @TempDir
    static Path tmp;
    static ImageData.Split data;
    /** 5 networks, checkpoints at steps 0, 2 and 5 of batch 4, accuracy on 12 test images. */
    static final CnnZooBuilder.Config CONFIG = new CnnZooBuilder.Config(3, 5, 4, List.of(0, 2, 5), 12, 2);

    @BeforeAll
    static void images() throws IOException {
        data = ImageData.load(TinyImages.write(tmp.resolve("images"), 40, 16, 11, 9, 4));
    }

    /** Build, read back with SmallCnnZoo: the weights are the trained networks' (TF to PyTorch), the metrics theirs. */
    @Test
    void roundTripThroughTheSmallCnnZooReader() throws IOException {
        Path out = tmp.resolve("zoo");
        CnnZooBuilder.Summary s = CnnZooBuilder.build(data, out, CONFIG, null);
        assertEquals(5, s.trained());
        assertFalse(Files.exists(out.resolve(CnnZooBuilder.PARTS)));
        for (int step : CONFIG.checkpoints()) {
            int k = CONFIG.checkpoints().indexOf(step);
            ZooDataset z = SmallCnnZoo.read(out, SmallCnnZoo.Options.defaults().withStep(step));
            assertEquals(5, z.size());
            for (int n = 0; n < 5; n++) {
                CnnHyperparameters hp = CnnHyperparameters.sample(new ZooRandom(ZooRandom.seedFor(CONFIG.seed(), n, 0)));
                CnnTrainer.Result r = CnnTrainer.train(data, hp, 4, new int[]{0, 2, 5}, 12, ZooRandom.seedFor(CONFIG.seed(), n, 1));
                float[] tf = r.params()[k];
                HostWeights net = z.network(n);
                // conv kernel (kh, kw, in, out) -> PyTorch (out, in, kh, kw)
                float[] w1 = net.torchWeight(1);
                for (int o = 0; o < 16; o++)
                    for (int i = 0; i < 16; i++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++)
                                assertEquals(tf[160 + ((ky * 3 + kx) * 16 + i) * 16 + o], w1[((o * 16 + i) * 3 + ky) * 3 + kx]);
                float[] dense = net.torchWeight(3); // (in, out) -> (out, in)
                for (int o = 0; o < 10; o++) for (int i = 0; i < 16; i++) assertEquals(tf[4800 + i * 10 + o], dense[o * 16 + i]);
                assertArrayEquals(java.util.Arrays.copyOfRange(tf, 4960, 4970), net.torchBias(3));
                assertEquals(r.testAccuracy()[k], z.metric(ZooDataset.TEST_ACCURACY, n));
                assertEquals(r.trainLoss()[k], z.metric("train_loss", n));
                assertEquals(n * 3L + k, z.sourceRow(n));
            }
        }
        // A complete zoo is not rebuilt.
        assertTrue(CnnZooBuilder.build(data, out, CONFIG, null).alreadyComplete());
    }

    /** One thread or two, interrupted and resumed or not: the same files, byte for byte. */
    @Test
    void resumedAndSingleThreadedBuildsEqualTheUninterruptedOne() throws IOException {
        Path whole = tmp.resolve("whole"), resumed = tmp.resolve("resumed");
        CnnZooBuilder.build(data, whole, CONFIG, null);
        CnnZooBuilder.Config one = new CnnZooBuilder.Config(3, 5, 4, List.of(0, 2, 5), 12, 1);
        RuntimeException stop = assertThrows(RuntimeException.class, () -> CnnZooBuilder.build(data, resumed, one, done -> {
            if (done == 2) throw new IllegalStateException("stopped after 2 networks");
        }));
        assertTrue(stop.getMessage().contains("stopped"), stop.getMessage());
        assertFalse(Files.exists(resumed.resolve("weights.npy")));
        CnnZooBuilder.Summary s = CnnZooBuilder.build(data, resumed, one, null);
        assertEquals(2, s.resumed());
        assertEquals(3, s.trained());
        for (String f : List.of("weights.npy", "layout.csv", "metrics.csv.gz", "build.json"))
            assertArrayEquals(Files.readAllBytes(whole.resolve(f)), Files.readAllBytes(resumed.resolve(f)), f);
    }

    @Test
    void otherSettingsInTheSameFolderAreRefused() throws IOException {
        Path out = tmp.resolve("other");
        CnnZooBuilder.build(data, out, CONFIG, null);
        CnnZooBuilder.Config more = new CnnZooBuilder.Config(3, 6, 4, List.of(0, 2, 5), 12, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CnnZooBuilder.build(data, out, more, null));
        assertTrue(e.getMessage().contains("other settings") && e.getMessage().contains("\"networks\": 6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CnnZooBuilder.Config(0, 5, 4, List.of(5, 2), 12, 1));
        assertThrows(IllegalArgumentException.class, () -> CnnZooBuilder.build(data, tmp.resolve("x"),
                new CnnZooBuilder.Config(0, 5, 4, List.of(2), 17, 1), null));
        assertThrows(IllegalArgumentException.class, () -> new CnnZooBuilder.Config(0, 5, 4, List.of(0), 12, 1), "a last step of 0");
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class, () -> CnnZooBuilder.build(data, tmp.resolve("b"),
                new CnnZooBuilder.Config(0, 5, 100_000, List.of(2), 12, 1), null));
        assertTrue(batch.getMessage().contains("--batch 100000 exceeds"), batch.getMessage());
    }
}
