package dev.nfn4j.zoo.build;

import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.simd.SimdOps;
import dev.nfn4j.testing.TestBackends;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.SirenZoo;
import dev.nfn4j.zoo.Sirens;
import dev.nfn4j.zoo.TinyImages;
import dev.nfn4j.zoo.ZooRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SirenZooBuilderTest {
    @TempDir
    static Path tmp;
    static ImageData.Split data;
    /** 12 images (10 train, 1 val, 1 test) x 2 SIRENs, 5 steps, chunks of 7 (the last one of 3). */
    static final SirenZooBuilder.Config CONFIG = new SirenZooBuilder.Config(3, 12, 2, 5, 7);

    @BeforeAll
    static void images() throws IOException {
        data = ImageData.load(TinyImages.write(tmp.resolve("images"), 40, 16, 11, 9, 4));
    }

    /** Build, read back: splits from the right files without overlap, labels, copies; with 0 steps the weights are the initialisations. */
    @Test
    void roundTripAndSplits() throws IOException {
        Path out = tmp.resolve("zoo");
        SirenZooBuilder.Summary s = SirenZooBuilder.build(data, out, CONFIG, TestBackends.fast().getFirst(), null);
        assertEquals(24, s.fitted());
        assertFalse(Files.exists(out.resolve(SirenZooBuilder.PARTS)));
        SirenZoo z = SirenZoo.read(out);
        assertEquals(24, z.size());
        for (int i = 0; i < 24; i++) {
            int slot = i / 2;
            String split = slot < 10 ? "train" : slot == 10 ? "val" : "test";
            assertEquals(split, z.split()[i]);
            assertEquals(slot == 11 ? "test" : "train", z.source()[i]);
            assertEquals(slot == 11 ? 0 : slot, z.image()[i]);
            assertEquals((slot == 11 ? data.test() : data.train()).label(z.image()[i]), z.label()[i]);
            assertEquals(i % 2, z.copy()[i]);
            assertTrue(Float.isFinite(z.psnr()[i]), "psnr " + z.psnr()[i]);
        }
        assertArrayEquals(new int[]{20, 21}, z.indices("val"));
        assertEquals(s.meanPsnr(), avg(z.psnr()), 1e-6);
        assertTrue(SirenZooBuilder.build(data, out, CONFIG, TestBackends.fast().getFirst(), null).alreadyComplete());

        Path init = tmp.resolve("init");
        SirenZoo z0 = SirenZoo.read(init(init));
        for (int i = 0; i < 24; i++) assertArrayEquals(Sirens.init(ZooRandom.seedFor(3, i)), z0.siren(i), "SIREN " + i);
        assertTrue(s.meanPsnr() > avg(z0.psnr()) + 0.5, s.meanPsnr() + " dB after 5 steps vs " + avg(z0.psnr()) + " at the start");
    }

    private static Path init(Path out) throws IOException {
        SirenZooBuilder.build(data, out, new SirenZooBuilder.Config(3, 12, 2, 0, 7), TestBackends.fast().getFirst(), null);
        return out;
    }

    private static double avg(float[] v) {
        double s = 0;
        for (float x : v) s += x;
        return s / v.length;
    }

    /** One thread or two, interrupted and resumed or not: the same files, byte for byte. */
    @Test
    void resumedAndSingleThreadedBuildsEqualTheUninterruptedOne() throws IOException {
        TestBackends.assumeSimd();
        Ops two = new SimdOps(2), one = new SimdOps(1);
        Path whole = tmp.resolve("whole"), resumed = tmp.resolve("resumed");
        SirenZooBuilder.build(data, whole, CONFIG, two, null);
        RuntimeException stop = assertThrows(RuntimeException.class, () -> SirenZooBuilder.build(data, resumed, CONFIG, one, done -> {
            if (done == 14) throw new IllegalStateException("stopped after 14 SIRENs");
        }));
        assertTrue(stop.getMessage().contains("stopped"), stop.getMessage());
        assertFalse(Files.exists(resumed.resolve("weights.npy")));
        SirenZooBuilder.Summary s = SirenZooBuilder.build(data, resumed, CONFIG, one, null);
        assertEquals(14, s.resumed());
        assertEquals(10, s.fitted());
        for (String f : List.of("weights.npy", "sirens.csv", "build.json"))
            assertArrayEquals(Files.readAllBytes(whole.resolve(f)), Files.readAllBytes(resumed.resolve(f)), f);
    }

    @Test
    void otherSettingsAndTooFewImagesAreRefused() throws IOException {
        Path out = tmp.resolve("other");
        SirenZooBuilder.build(data, out, CONFIG, TestBackends.fast().getFirst(), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SirenZooBuilder.build(data, out, new SirenZooBuilder.Config(3, 12, 2, 6, 7), TestBackends.fast().getFirst(), null));
        assertTrue(e.getMessage().contains("other settings") && e.getMessage().contains("\"steps\": 6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SirenZooBuilder.build(data, tmp.resolve("big"),
                new SirenZooBuilder.Config(3, 300, 1, 1, 7), TestBackends.fast().getFirst(), null)); // 30 test images, 16 there
        assertThrows(IllegalArgumentException.class, () -> new SirenZooBuilder.Config(0, 10, 0, 1, 1));
    }

    /** Pieces that disagree: fewer rows than SIRENs, a label out of range. */
    @Test
    void aZooWhosePiecesDisagreeIsRefused() throws IOException {
        Path out = init(tmp.resolve("broken"));
        Path csv = out.resolve("sirens.csv");
        List<String> lines = Files.readAllLines(csv);
        Files.write(csv, lines.subList(0, lines.size() - 1));
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> SirenZoo.read(out));
        assertTrue(e.getMessage().contains("holds 23 SIRENs but weights.npy holds 24"), e.getMessage());
        String[] f = lines.get(1).split(",");
        f[4] = "12";
        lines.set(1, String.join(",", f));
        Files.write(csv, lines);
        e = assertThrows(NfnFormatException.class, () -> SirenZoo.read(out));
        assertTrue(e.getMessage().contains("label 12 outside [0, 10)"), e.getMessage());
    }

    /** nfn's state_dict names in, the flattened SIREN out; a wrong shape or a missing tensor named. */
    @Test
    void sirensReadFromNfnStateDicts() throws IOException {
        float[] p = Sirens.init(42);
        int[][] shapes = {{32, 2}, {32}, {32, 32}, {32}, {1, 32}, {1}};
        Map<String, HostTensor> sd = new LinkedHashMap<>();
        int at = 0;
        for (int t = 0; t < 6; t++) {
            int n = Arrays.stream(shapes[t]).reduce(1, (a, b) -> a * b);
            sd.put(Sirens.STATE_DICT_NAMES.get(t), HostTensor.f32(shapes[t], Arrays.copyOfRange(p, at, at + n)));
            at += n;
        }
        Path f = tmp.resolve("siren.safetensors");
        Safetensors.write(f, sd, Map.of());
        assertArrayEquals(p, Sirens.fromStateDict(Safetensors.read(f), ""));
        sd.put("net.1.linear.weight", HostTensor.f32(new int[]{32, 31}, new float[32 * 31]));
        Safetensors.write(f, sd, Map.of());
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> Sirens.fromStateDict(Safetensors.read(f), ""));
        assertTrue(e.getMessage().contains("net.1.linear.weight") && e.getMessage().contains("[32, 31]") && e.getMessage().contains("[32, 32]"),
                e.getMessage());
        sd.put("net.1.linear.weight", HostTensor.f32(new int[]{32, 32}, new float[32 * 32]));
        sd.remove("net.2.bias");
        Safetensors.write(f, sd, Map.of());
        e = assertThrows(NfnFormatException.class, () -> Sirens.fromStateDict(Safetensors.read(f), ""));
        assertTrue(e.getMessage().contains("net.2.bias") && e.getMessage().contains("missing"), e.getMessage());
    }

    /** nfn's grid: point r * cols + c at (linspace[r], linspace[c]). */
    @Test
    void theGridIsNfns() {
        float[] g = Sirens.grid(28, 28);
        assertEquals(-1f, g[0]);
        assertEquals(-1f, g[1]);
        assertEquals(-1f, g[2 * 27]);
        assertEquals(1f, g[2 * 27 + 1]);
        assertEquals((float) (-1 + 2.0 * 5 / 27), g[2 * (5 * 28 + 3)]);
        assertEquals(1f, g[2 * 783 + 1]);
    }
}
