package dev.nfn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.Npy;
import dev.nfn4j.zoo.SirenZoo;
import dev.nfn4j.zoo.Sirens;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --task classify}, then {@code eval} and {@code predict}, on a tiny synthetic SIREN zoo; and bad input. */
class ClassifyCommandTest {
    @TempDir
    Path tmp;

    /**
     * A SIREN zoo folder of freshly initialised SIRENs whose class shows in the last bias
     * (easy to learn): 3 images per class in train (2 copies each), 1 in val and in test (2 copies).
     */
    static Path tinyZoo(Path dir, int labelOverride) throws IOException {
        Files.createDirectories(dir);
        StringBuilder csv = new StringBuilder(SirenZoo.HEADER).append('\n');
        int n = 0, P = Sirens.PARAMS;
        String[] splits = {"train", "train", "train", "val", "test"};
        float[] w = new float[10 * splits.length * 2 * P];
        for (int c = 0; c < 10; c++)
            for (int s = 0; s < splits.length; s++)
                for (int copy = 0; copy < 2; copy++) {
                    float[] siren = Sirens.init(n * 31L + 5);
                    siren[P - 1] = (c - 4.5f) / 3;
                    System.arraycopy(siren, 0, w, n * P, P);
                    int label = n == 7 && labelOverride >= 0 ? labelOverride : c;
                    csv.append(String.format(Locale.ROOT, "%d,%s,%s,%d,%d,%d,%.2f%n", n, splits[s], splits[s].equals("test") ? "test" : "train",
                            c * splits.length + s, label, copy, 30.0));
                    n++;
                }
        Npy.write(dir.resolve("weights.npy"), HostTensor.f32(new int[]{n, P}, w));
        Files.writeString(dir.resolve("sirens.csv"), csv.toString(), StandardCharsets.UTF_8);
        return dir;
    }

    private static List<String> train(Path zoo, Path out, String... more) {
        return train(zoo, out, 8, more);
    }

    private static List<String> train(Path zoo, Path out, int epochs, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--task", "classify", "--zoo", zoo.toString(), "--out", out.toString(),
                "--epochs", String.valueOf(epochs), "--batch", "8", "--hidden", "8,8", "--fourier", "4", "--head", "32", "--head-dropout", "0", "--lr", "3e-3"));
        args.addAll(List.of(more));
        return args;
    }

    @Test
    void trainsEvaluatesAndPredicts() throws IOException {
        Path zoo = tinyZoo(tmp.resolve("zoo"), -1), out = tmp.resolve("run");
        Object[] r = CliTest.run(train(zoo, out).toArray(String[]::new));
        assertEquals(0, r[0], r[2].toString());
        String text = r[1].toString();
        assertTrue(text.contains("train 60 (all copies), val 10, test 10 (copy 0)") && text.contains("test     accuracy"), text);
        assertTrue(text.contains("recall") && text.contains("9 Ankle boot"), text);
        assertTrue(Files.exists(out.resolve("best.safetensors")));
        List<String> log = Files.readAllLines(out.resolve("log.jsonl"));
        assertEquals(9, log.size());
        assertTrue(log.getFirst().contains("\"val_accuracy\"") && log.getLast().contains("\"test_confusion\""), log.getLast());
        double acc = Double.parseDouble(log.getLast().replaceAll(".*\"test_accuracy\":([0-9.Ee-]+).*", "$1"));
        assertTrue(acc >= 0.5, "the class is in the last bias: test accuracy " + acc);

        Object[] e = CliTest.run("eval", out.resolve("best.safetensors").toString(), "--zoo", zoo.toString());
        assertEquals(0, e[0], e[2].toString());
        assertTrue(e[1].toString().contains("on test split (10 SIRENs, copy 0): accuracy " + String.format(Locale.ROOT, "%.2f%%", 100 * acc)),
                e[1].toString() + " vs " + acc);

        Object[] p = CliTest.run("predict", out.resolve("best.safetensors").toString(), zoo.toString(), "--rows", "0,99");
        assertEquals(0, p[0], p[2].toString());
        String[] lines = p[1].toString().strip().split("\n");
        assertEquals(2, lines.length, p[1].toString());
        assertTrue(lines[1].matches(".*\\[99]\t\\d [^\t]+\t[01]\\.\\d{4}"), lines[1]);

        Path png = tmp.resolve("grid.png");
        Object[] g = CliTest.run("render", out.resolve("best.safetensors").toString(), "--zoo", zoo.toString(), "--out", png.toString(), "--count", "3");
        assertEquals(0, g[0], g[2].toString());
        assertTrue(g[1].toString().contains("3 SIRENs (image | reconstruction | predicted class)"), g[1].toString());
        assertTrue(Files.size(png) > 0);
        Object[] noZoo = CliTest.run("render", out.resolve("best.safetensors").toString(), "--out", tmp.resolve("x.png").toString());
        assertEquals(2, noZoo[0]);
        assertFalse(Files.exists(tmp.resolve("x.png")));

        for (String kind : new String[]{"mlp", "statnn", "np"}) {
            Object[] b = CliTest.run(train(zoo, tmp.resolve(kind), 1, "--model", kind, "--io-encoding").toArray(String[]::new));
            assertEquals(0, b[0], kind + ": " + b[2]);
        }
    }

    @Test
    void badInputIsOneLineExitTwoAndWritesNothing() throws IOException {
        Path out = tmp.resolve("never");
        Path badLabel = tinyZoo(tmp.resolve("badlabel"), 12);
        Object[] r = CliTest.run(train(badLabel, out).toArray(String[]::new));
        assertEquals(2, r[0]);
        assertTrue(r[2].toString().contains("label 12 outside [0, 10)") && r[2].toString().strip().lines().count() == 1, r[2].toString());
        assertFalse(Files.exists(out));

        Path disagree = tinyZoo(tmp.resolve("disagree"), -1);
        List<String> rows = Files.readAllLines(disagree.resolve("sirens.csv"));
        Files.write(disagree.resolve("sirens.csv"), rows.subList(0, rows.size() - 1));
        r = CliTest.run(train(disagree, out).toArray(String[]::new));
        assertEquals(2, r[0]);
        assertTrue(r[2].toString().contains("holds 99 SIRENs but weights.npy holds 100"), r[2].toString());
        assertFalse(Files.exists(out));

        r = CliTest.run(train(tmp.resolve("nozoo"), out).toArray(String[]::new));
        assertEquals(2, r[0]);
        assertFalse(Files.exists(out));

        r = CliTest.run(train(disagree, out, "--pool", "np").toArray(String[]::new));
        assertEquals(2, r[0]);
        assertTrue(r[2].toString().contains("--pool does not apply to --task classify"), r[2].toString());
    }

    @Test
    void aClassifierCheckpointIsRefusedByTheOtherTasks() throws IOException {
        Path zoo = tinyZoo(tmp.resolve("zoo"), -1), out = tmp.resolve("run");
        assertEquals(0, CliTest.run(train(zoo, out, 1).toArray(String[]::new))[0]);
        String ckpt = out.resolve("best.safetensors").toString();
        Object[] mask = CliTest.run("mask", ckpt, zoo.resolve("weights.npy").toString(), "--out", tmp.resolve("m.safetensors").toString());
        assertEquals(2, mask[0]);
        assertTrue(mask[2].toString().contains("not a mask predictor (metadata task is classify"), mask[2].toString());
        assertFalse(Files.exists(tmp.resolve("m.safetensors")));
        dev.nfn4j.io.NfnFormatException e = org.junit.jupiter.api.Assertions.assertThrows(dev.nfn4j.io.NfnFormatException.class,
                () -> dev.nfn4j.train.Predictor.load(Path.of(ckpt), dev.nfn4j.ops.Backends.get()));
        assertTrue(e.getMessage().contains("a classifier (metadata task classify)"), e.getMessage());
        Object[] noZoo = CliTest.run("eval", ckpt);
        assertEquals(2, noZoo[0]);
        assertTrue(noZoo[2].toString().contains("give --zoo DIR"), noZoo[2].toString());
        Object[] ens = CliTest.run("predict", ckpt, zoo.toString(), "--ensemble", ckpt);
        assertEquals(2, ens[0]);
        Object[] cnn = CliTest.run("predict", ckpt, tmp.resolve("zoo").resolve("sirens.csv").toString());
        assertEquals(2, cnn[0]);
        assertTrue(cnn[2].toString().contains("unknown input kind"), cnn[2].toString());
    }
}
