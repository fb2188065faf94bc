package dev.nfn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

/** {@code nfn4j zoo build-cnn}, then {@code nfn4j train --zoo} on what it wrote. */
class ZooBuildCnnCommandTest {
    @TempDir
    Path tmp;

    private static void idx(Path file, int magic, int[] dims, byte[] data) throws IOException {
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(file)); DataOutputStream d = new DataOutputStream(o)) {
            d.writeInt(magic);
            for (int x : dims) d.writeInt(x);
            d.write(data);
        }
    }

    @Test
    void buildsAZooThatTrainReadsUnchanged() throws IOException {
        Path data = tmp.resolve("data");
        Files.createDirectories(data);
        Random r = new Random(1);
        for (String[] s : new String[][]{{"train", "30"}, {"t10k", "20"}}) {
            int n = Integer.parseInt(s[1]);
            byte[] px = new byte[n * 64], labels = new byte[n];
            r.nextBytes(px);
            for (int i = 0; i < n; i++) labels[i] = (byte) r.nextInt(10);
            idx(data.resolve(s[0] + "-images-idx3-ubyte.gz"), 0x803, new int[]{n, 8, 8}, px);
            idx(data.resolve(s[0] + "-labels-idx1-ubyte.gz"), 0x801, new int[]{n}, labels);
        }
        Path zoo = tmp.resolve("zoo");
        Object[] b = CliTest.run("zoo", "build-cnn", "--data", data.toString(), "--out", zoo.toString(), "--networks", "12", "--steps", "1,3",
                "--batch", "4", "--test-images", "10", "--threads", "2");
        assertEquals(0, b[0], b[2].toString());
        assertTrue(b[1].toString().contains("12 networks x 2 checkpoints") && b[1].toString().contains("--step 3"), b[1].toString());
        Object[] t = CliTest.run("train", "--zoo", zoo.toString(), "--step", "3", "--out", tmp.resolve("run").toString(), "--model", "statnn",
                "--epochs", "1", "--head", "8", "--batch", "2");
        assertEquals(0, t[0], t[2].toString());
        assertTrue(t[1].toString().contains("12 networks"), t[1].toString());
    }

    @Test
    void helpAndBadInputAreClear() {
        Object[] h = CliTest.run("zoo", "build-cnn", "--help");
        assertEquals(0, h[0]);
        assertTrue(h[1].toString().contains("--networks") && h[1].toString().contains("--steps"), h[1].toString());
        Object[] missing = CliTest.run("zoo", "build-cnn", "--data", tmp.resolve("none").toString(), "--out", tmp.resolve("o").toString());
        assertEquals(2, missing[0]);
        assertTrue(missing[2].toString().contains("dataset-fashion-mnist"), missing[2].toString());
        Object[] steps = CliTest.run("zoo", "build-cnn", "--out", tmp.resolve("o").toString(), "--steps", "5,3");
        assertEquals(2, steps[0]);
        assertTrue(steps[2].toString().contains("ascending"), steps[2].toString());
    }
}
