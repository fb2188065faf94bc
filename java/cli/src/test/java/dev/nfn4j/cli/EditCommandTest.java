package dev.nfn4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.Safetensors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --task edit}, {@code eval} and {@code render} of its checkpoint on a tiny SIREN zoo, and bad input. */
class EditCommandTest {
    @TempDir
    Path tmp;

    private Path data(String name, long seed) throws IOException {
        return ZooBuildSirenCommandTest.data(tmp.resolve(name), seed);
    }

    /** 20 images x 2 SIRENs (16 train, 2 val, 2 test images), briefly fitted. */
    private Path zoo(Path data) {
        Path zoo = tmp.resolve("zoo");
        Object[] b = CliTest.run("zoo", "build-siren", "--data", data.toString(), "--out", zoo.toString(), "--images", "20", "--per-image", "2",
                "--steps", "5", "--batch", "40");
        assertEquals(0, b[0], b[2].toString());
        return zoo;
    }

    private static Object[] edit(Path zoo, Path data, Path out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--task", "edit", "--zoo", zoo.toString(), "--data", data.toString(),
                "--out", out.toString(), "--epochs", "2", "--batch", "8", "--warmup", "0", "--lr", "1e-2"));
        args.addAll(List.of(more));
        return CliTest.run(args.toArray(String[]::new));
    }

    @Test
    void trainsEvaluatesAndRendersAnEdit() throws IOException {
        Path data = data("data", 1), zoo = zoo(data), out = tmp.resolve("run");
        Object[] t = edit(zoo, data, out, "--style", "dilate", "--model", "hnp", "--hidden", "4,4", "--fourier", "2");
        assertEquals(0, t[0], t[2].toString());
        String text = t[1].toString();
        assertTrue(text.contains("train 32, val 2, test 2 (copy 0); style dilate") && text.contains("test     MSE"), text);
        assertTrue(Files.exists(out.resolve("best.safetensors")) && Files.exists(out.resolve("log.jsonl")));
        List<String> log = Files.readAllLines(out.resolve("log.jsonl"));
        assertEquals(3, log.size(), log.toString()); // two epochs and the test
        assertTrue(log.get(2).contains("test_mse_no_edit"), log.get(2));
        Map<String, String> md = Safetensors.read(out.resolve("best.safetensors")).metadata();
        assertEquals("edit", md.get("task"));
        assertEquals("dilate", md.get("style"));

        Object[] e = CliTest.run("eval", out.resolve("best.safetensors").toString());
        assertEquals(0, e[0], e[2].toString());
        assertTrue(e[1].toString().contains("on test split (2 SIRENs, copy 0): MSE") && e[1].toString().contains("no edit"), e[1].toString());
        // eval prints the numbers train printed for the test split
        String trainTest = text.substring(text.indexOf("test     MSE ") + 13, text.indexOf("test     MSE ") + 20);
        assertTrue(e[1].toString().contains("MSE " + trainTest), trainTest + " vs " + e[1]);

        Path png = tmp.resolve("edit.png");
        Object[] r = CliTest.run("render", out.resolve("best.safetensors").toString(), "--out", png.toString());
        assertEquals(0, r[0], r[2].toString());
        assertTrue(r[1].toString().contains("2 SIRENs (image | SIREN | edited SIREN | dilate target)"), r[1].toString());
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertEquals(8 + 4 * (8 * 4 + 8) + 150, img.getWidth());

        Object[] mlp = edit(zoo, data, tmp.resolve("mlp"), "--style", "gradient", "--model", "mlp", "--hidden", "16");
        assertEquals(0, mlp[0], mlp[2].toString());
        assertTrue(mlp[1].toString().contains("MLP [16]"), mlp[1].toString());
    }

    @Test
    void badInputIsOneLineExitTwoAndWritesNothing() throws IOException {
        Path data = data("data", 1), zoo = zoo(data);
        assertRefused(edit(zoo, data, tmp.resolve("o1"), "--style", "blur"), "unknown --style 'blur'", tmp.resolve("o1"));
        assertRefused(edit(zoo, data, tmp.resolve("o2")), "needs --style", tmp.resolve("o2"));
        assertRefused(edit(zoo, data, tmp.resolve("o3"), "--style", "erode", "--model", "statnn"), "hnp, np or mlp", tmp.resolve("o3"));
        assertRefused(edit(zoo, data("other", 2), tmp.resolve("o4"), "--style", "erode"), "the images given are", tmp.resolve("o4"));
        assertRefused(edit(zoo, data, tmp.resolve("o7"), "--style", "erode", "--pool", "np"), "--pool does not apply to --task edit", tmp.resolve("o7"));

        // another task's checkpoint: not overwritten by training, refused by render
        Path other = tmp.resolve("acc");
        Files.createDirectories(other);
        Path ckpt = other.resolve("best.safetensors");
        Safetensors.write(ckpt, Map.of("x", HostTensor.f32(new int[]{1}, new float[]{1})), Map.of("format", "nfn4j-checkpoint/1", "task", "classify"));
        byte[] before = Files.readAllBytes(ckpt);
        Object[] t = edit(zoo, data, other, "--style", "dilate");
        assertEquals(2, t[0], t[2].toString());
        assertTrue(t[2].toString().contains("a 'classify' checkpoint"), t[2].toString());
        assertArrayEquals(before, Files.readAllBytes(ckpt));
        assertFalse(Files.exists(other.resolve("log.jsonl")));
        Safetensors.write(ckpt, Map.of("x", HostTensor.f32(new int[]{1}, new float[]{1})), Map.of("format", "nfn4j-checkpoint/1"));
        Object[] r = CliTest.run("render", ckpt.toString(), "--zoo", zoo.toString(), "--out", tmp.resolve("r.png").toString());
        assertEquals(2, r[0], r[2].toString());
        assertTrue(r[2].toString().contains("a 'accuracy' checkpoint") && r[2].toString().contains("or an INR-editing one"), r[2].toString());
        assertFalse(Files.exists(tmp.resolve("r.png")));

        // zoo pieces that disagree: a label that is not its image's, a row count that is not the weights'
        Path table = zoo.resolve("sirens.csv");
        List<String> rows = Files.readAllLines(table);
        String[] f = rows.get(1).split(",");
        f[4] = String.valueOf((Integer.parseInt(f[4]) + 1) % 10);
        List<String> changed = new java.util.ArrayList<>(rows);
        changed.set(1, String.join(",", f));
        Files.write(table, changed, StandardCharsets.UTF_8);
        assertRefused(edit(zoo, data, tmp.resolve("o5"), "--style", "sharpen"), "row 0: label", tmp.resolve("o5"));
        Files.write(table, rows.subList(0, rows.size() - 1), StandardCharsets.UTF_8);
        assertRefused(edit(zoo, data, tmp.resolve("o6"), "--style", "sharpen"), "holds 39 SIRENs but weights.npy holds 40", tmp.resolve("o6"));
    }

    private static void assertRefused(Object[] r, String message, Path out) {
        assertEquals(2, r[0], r[1] + " " + r[2]);
        String err = r[2].toString();
        assertTrue(err.contains(message), err);
        assertEquals(1, err.strip().lines().count(), err);
        assertFalse(Files.exists(out), out + " written");
    }
}
