package dev.nfn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nfn4j zoo build-siren}: a small zoo, its summary line, and bad input. */
class ZooBuildSirenCommandTest {
    @TempDir
    Path tmp;

    private Path data() throws IOException {
        return data(tmp.resolve("data"), 1);
    }

    /** Random 8 x 8 images in the Fashion-MNIST file format in {@code data}: 30 training and 20 test images. */
    static Path data(Path data, long seed) throws IOException {
        Files.createDirectories(data);
        Random r = new Random(seed);
        for (String[] s : new String[][]{{"train", "30"}, {"t10k", "20"}}) {
            int n = Integer.parseInt(s[1]);
            byte[] px = new byte[n * 64], labels = new byte[n];
            r.nextBytes(px);
            for (int i = 0; i < n; i++) labels[i] = (byte) r.nextInt(10);
            idx(data.resolve(s[0] + "-images-idx3-ubyte.gz"), 0x803, new int[]{n, 8, 8}, px);
            idx(data.resolve(s[0] + "-labels-idx1-ubyte.gz"), 0x801, new int[]{n}, labels);
        }
        return data;
    }

    private static void idx(Path file, int magic, int[] dims, byte[] bytes) throws IOException {
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(file)); DataOutputStream d = new DataOutputStream(o)) {
            d.writeInt(magic);
            for (int x : dims) d.writeInt(x);
            d.write(bytes);
        }
    }

    @Test
    void buildsASmallZoo() throws IOException {
        Path zoo = tmp.resolve("zoo");
        Object[] b = CliTest.run("zoo", "build-siren", "--data", data().toString(), "--out", zoo.toString(), "--images", "10", "--per-image", "2",
                "--steps", "3", "--batch", "6", "--threads", "2");
        assertEquals(0, b[0], b[2].toString());
        assertTrue(b[1].toString().contains("20 SIRENs (10 images x 2), 20 fitted") && b[1].toString().contains("PSNR     mean"), b[1].toString());
        assertTrue(Files.exists(zoo.resolve("weights.npy")) && Files.exists(zoo.resolve("sirens.csv")));
        Object[] again = CliTest.run("zoo", "build-siren", "--data", data().toString(), "--out", zoo.toString(), "--images", "10", "--per-image", "2",
                "--steps", "3", "--batch", "6");
        assertEquals(0, again[0], again[2].toString());
        assertTrue(again[1].toString().contains("already complete"), again[1].toString());

        Path png = tmp.resolve("grid.png");
        Object[] r = CliTest.run("render", zoo.toString(), "--data", data().toString(), "--out", png.toString());
        assertEquals(0, r[0], r[2].toString());
        assertTrue(r[1].toString().contains("1 SIRENs") && r[1].toString().contains("[18]"), r[1].toString()); // copy 0 of the one test image
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertEquals(8 + 2 * (8 * 4 + 8) + 150, img.getWidth());
        Object[] bad = CliTest.run("render", zoo.toString(), "--data", data().toString(), "--out", tmp.resolve("b.png").toString(), "--rows", "3,20");
        assertEquals(2, bad[0]);
        assertTrue(bad[2].toString().contains("SIREN 20 is outside"), bad[2].toString());
        assertFalse(Files.exists(tmp.resolve("b.png")));
    }

    @Test
    void badInputIsOneLineAndExitTwo() throws IOException {
        Object[] missing = CliTest.run("zoo", "build-siren", "--data", tmp.resolve("none").toString(), "--out", tmp.resolve("o").toString());
        assertEquals(2, missing[0]);
        assertTrue(missing[2].toString().contains("dataset-fashion-mnist"), missing[2].toString());
        Object[] tooMany = CliTest.run("zoo", "build-siren", "--data", data().toString(), "--out", tmp.resolve("o2").toString(), "--images", "500");
        assertEquals(2, tooMany[0]);
        assertTrue(tooMany[2].toString().contains("--images 500 needs"), tooMany[2].toString());
        assertFalse(Files.exists(tmp.resolve("o2")));
        Object[] zero = CliTest.run("zoo", "build-siren", "--data", data().toString(), "--out", tmp.resolve("o3").toString(), "--per-image", "0");
        assertEquals(2, zero[0]);
    }
}
