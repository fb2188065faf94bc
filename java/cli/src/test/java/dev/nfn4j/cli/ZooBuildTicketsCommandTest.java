package dev.nfn4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.testing.TestBackends;
import dev.nfn4j.train.TicketMasks;
import dev.nfn4j.train.TicketPredictor;
import dev.nfn4j.train.TicketTrainer;
import dev.nfn4j.zoo.TicketZoo;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nfn4j zoo build-tickets}: a tiny build, then bad input (one line, exit 2, nothing written). */
class ZooBuildTicketsCommandTest {
    @TempDir
    Path tmp;

    private Path images() throws IOException {
        Path data = tmp.resolve("data");
        Files.createDirectories(data);
        Random r = new Random(1);
        for (String[] s : new String[][]{{"train", "30"}, {"t10k", "20"}}) {
            int n = Integer.parseInt(s[1]);
            byte[] px = new byte[n * 784], labels = new byte[n];
            r.nextBytes(px);
            for (int i = 0; i < n; i++) labels[i] = (byte) r.nextInt(10);
            for (String[] f : new String[][]{{"images-idx3", "2051"}, {"labels-idx1", "2049"}})
                try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(data.resolve(s[0] + "-" + f[0] + "-ubyte.gz")));
                     DataOutputStream d = new DataOutputStream(o)) {
                    d.writeInt(Integer.parseInt(f[1]));
                    d.writeInt(n);
                    if (f[0].startsWith("images")) {
                        d.writeInt(28);
                        d.writeInt(28);
                        d.write(px);
                    } else d.write(labels);
                }
        }
        return data;
    }

    @Test
    void buildsBothArchitecturesAndResumesNothingTwice() throws IOException {
        Path data = images();
        for (String arch : new String[]{"mlp", "cnn"}) {
            Path zoo = tmp.resolve("zoo-" + arch);
            String[] args = {"zoo", "build-tickets", "--data", data.toString(), "--out", zoo.toString(), "--arch", arch, "--networks", "3",
                    "--sparsities", "0.5,0.1", "--steps", "2", "--batch", "4", "--test-images", "10", "--threads", "2"};
            Object[] b = CliTest.run(args);
            assertEquals(0, b[0], b[2].toString());
            assertTrue(b[1].toString().contains("3 " + arch + " networks") && b[1].toString().contains("density 0.100"), b[1].toString());
            assertTrue(Files.exists(zoo.resolve("tickets.safetensors")));
            Object[] again = CliTest.run(args);
            assertEquals(0, again[0], again[2].toString());
            assertTrue(again[1].toString().contains("already complete"), again[1].toString());
        }
    }

    @Test
    void badInputIsOneLineExitTwoAndWritesNothing() throws IOException {
        Path data = images();
        String[][] bad = {{"--sparsities", "0.5,1.5"}, {"--sparsities", "0"}, {"--sparsities", "0.1,0.2"}, {"--arch", "resnet"},
                {"--steps", "-1"}, {"--networks", "0"}};
        String[] expect = {"(0, 1)", "(0, 1)", "decreasing", "mlp or cnn", "steps", "networks"};
        for (int i = 0; i < bad.length; i++) {
            Path out = tmp.resolve("bad" + i);
            Object[] r = CliTest.run("zoo", "build-tickets", "--data", data.toString(), "--out", out.toString(), bad[i][0], bad[i][1]);
            assertEquals(2, r[0], String.join(" ", bad[i]) + ": " + r[2]);
            String err = r[2].toString().strip();
            assertFalse(err.contains("\n"), err);
            assertTrue(err.contains(expect[i]), err);
            assertFalse(Files.exists(out), out + " was written");
        }
        Object[] missing = CliTest.run("zoo", "build-tickets", "--data", tmp.resolve("none").toString(), "--out", tmp.resolve("o").toString());
        assertEquals(2, missing[0]);
        assertTrue(missing[2].toString().contains("dataset-fashion-mnist"), missing[2].toString());
        assertFalse(Files.exists(tmp.resolve("o")));
    }

    /** demo --task names accuracy, ticket or inr; anything else is one line, exit 2. */
    @Test
    void demoRefusesAnUnknownTask() {
        Path out = tmp.resolve("demo");
        Object[] r = CliTest.run("demo", "--task", "tickets", "--out", out.toString());
        assertEquals(2, r[0], r[2].toString());
        String err = r[2].toString().strip();
        assertFalse(err.contains("\n"), err);
        assertTrue(err.contains("accuracy, ticket or inr"), err);
        assertFalse(Files.exists(out));
    }

    /**
     * train --task ticket on a built zoo: a checkpoint and the IoU line; without --model, --hidden and
     * --lr the task's defaults (NP_IO 16, 16 at lr 3e-3); a density the zoo lacks or outside (0, 1), and
     * options the task does not read, are refused.
     */
    @Test
    void trainTaskTicketOnTheBuiltZoo() throws IOException {
        Path data = images(), zoo = tmp.resolve("zoo");
        Object[] b = CliTest.run("zoo", "build-tickets", "--data", data.toString(), "--out", zoo.toString(), "--networks", "12", "--sparsities", "0.5,0.1",
                "--steps", "2", "--batch", "4", "--test-images", "10", "--threads", "2");
        assertEquals(0, b[0], b[2].toString());
        Path run = tmp.resolve("run");
        Object[] t = CliTest.run("train", "--task", "ticket", "--zoo", zoo.toString(), "--sparsity", "0.1", "--model", "np", "--hidden", "4",
                "--epochs", "2", "--batch", "4", "--out", run.toString());
        assertEquals(0, t[0], t[2].toString());
        assertTrue(t[1].toString().contains("mask IoU with IMP: nfn") && t[1].toString().contains("12 mlp networks"), t[1].toString());
        assertTrue(Files.exists(run.resolve("best.safetensors")));
        Path byDefault = tmp.resolve("run-default");
        Object[] d = CliTest.run("train", "--task", "ticket", "--zoo", zoo.toString(), "--epochs", "1", "--batch", "4", "--out", byDefault.toString());
        assertEquals(0, d[0], d[2].toString());
        assertTrue(d[1].toString().contains("NP_IO [16, 16, 1]") && d[1].toString().contains("lr 0.003"), d[1].toString());
        String[][] bad = {{"--sparsity", "1.5"}, {"--sparsity", "0.2"}, {"--model", "statnn"}, {"--pool", "np"}, {"--weight-decay", "0.1"},
                {"--epochs", "0"}};
        String[] expect = {"(0, 1)", "not one of the zoo's densities", "hnp, np or np_io", "--pool does not apply to --task ticket",
                "--weight-decay does not apply to --task ticket", "--epochs must be >= 1"};
        for (int i = 0; i < bad.length; i++) {
            Path out = tmp.resolve("bad-run" + i);
            Object[] r = CliTest.run("train", "--task", "ticket", "--zoo", zoo.toString(), "--out", out.toString(), bad[i][0], bad[i][1]);
            assertEquals(2, r[0], String.join(" ", bad[i]) + ": " + r[2]);
            String err = r[2].toString().strip();
            assertFalse(err.contains("\n"), err);
            assertTrue(err.contains(expect[i]), err);
            assertFalse(Files.exists(out), out + " was written");
        }
        Object[] none = CliTest.run("train", "--task", "ticket", "--zoo", tmp.resolve("nothing").toString(), "--out", tmp.resolve("r2").toString());
        assertEquals(2, none[0]);
        assertTrue(none[2].toString().contains("zoo build-tickets"), none[2].toString());
        maskCommand(zoo, run.resolve("best.safetensors"));
        evalCommand(data, zoo, run.resolve("best.safetensors"));
    }

    /** eval on mask predictors: the MLP baseline trains as the NFN does; the table has every source and the plot is written; bad input refused. */
    private void evalCommand(Path data, Path zoo, Path np) throws IOException {
        Path mlp = tmp.resolve("run-mlp");
        Object[] t = CliTest.run("train", "--task", "ticket", "--zoo", zoo.toString(), "--sparsity", "0.1", "--model", "mlp", "--hidden", "4",
                "--epochs", "2", "--batch", "4", "--out", mlp.toString());
        assertEquals(0, t[0], t[2].toString());
        assertTrue(t[1].toString().contains("MLP baseline"), t[1].toString());
        Path png = tmp.resolve("tickets.png");
        Object[] r = CliTest.run("eval", np.toString(), mlp.resolve("best.safetensors").toString(), "--zoo", zoo.toString(), "--data", data.toString(),
                "--limit", "2", "--threads", "2", "--plot", png.toString());
        assertEquals(0, r[0], r[2].toString());
        String table = r[1].toString();
        for (String row : List.of("IMP ", "NP ", "MLP ", "magnitude ", "random ", "target   NP   density 0.1"))
            assertTrue(table.contains(row), row + " missing from\n" + table);
        assertTrue(Files.size(png) > 0);
        assertTrue(table.contains("predictors' masks: drawn at temperature 2.0"), table);
        Object[] topK = CliTest.run("eval", np.toString(), "--zoo", zoo.toString(), "--data", data.toString(), "--limit", "2", "--threads", "2",
                "--temperature", "0");
        assertEquals(0, topK[0], topK[2].toString());
        assertTrue(topK[1].toString().contains("predictors' masks: top-k logits"), topK[1].toString());
        String[][] bad = {{"--limit", "0"}, {"--zoo", tmp.resolve("nothing").toString()}, {"--data", tmp.resolve("none").toString()}, {"--temperature", "-1"}};
        String[] expect = {"--limit", "zoo build-tickets", "dataset-fashion-mnist", "--temperature"};
        for (int i = 0; i < bad.length; i++) {
            Path o = tmp.resolve("bad-eval" + i + ".png");
            Map<String, String> opts = new LinkedHashMap<>(Map.of("--zoo", zoo.toString(), "--data", data.toString(), "--plot", o.toString()));
            opts.put(bad[i][0], bad[i][1]);
            List<String> args = new java.util.ArrayList<>(List.of("eval", np.toString()));
            opts.forEach((k, v) -> args.addAll(List.of(k, v)));
            Object[] b = CliTest.run(args.toArray(String[]::new));
            assertEquals(2, b[0], String.join(" ", bad[i]) + ": " + b[2]);
            String err = b[2].toString().strip();
            assertFalse(err.contains("\n"), err);
            assertTrue(err.contains(expect[i]), err);
            assertFalse(Files.exists(o), o + " was written");
        }
    }

    /** nfn4j mask: a state_dict in, masks under its weight names out, equal to the predictor's; bad input refused. */
    private void maskCommand(Path zoo, Path ckpt) throws IOException {
        TicketZoo z = TicketZoo.read(zoo.resolve("tickets.safetensors"));
        WsLayout one = new WsLayout(z.spec(), 1, 1);
        HostWeights w = new HostWeights(one, z.init(3));
        Map<String, HostTensor> sd = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            sd.put(2 * i + ".weight", HostTensor.f32(z.spec().weightShape(i), w.torchWeight(i)));
            sd.put(2 * i + ".bias", HostTensor.f32(new int[]{z.spec().rows(i)}, w.torchBias(i)));
        }
        Path init = tmp.resolve("init.safetensors"), out = tmp.resolve("mask.safetensors");
        Safetensors.write(init, sd, Map.of());
        Object[] r = CliTest.run("mask", ckpt.toString(), init.toString(), "--sparsity", "0.1", "--out", out.toString());
        assertEquals(0, r[0], r[2].toString());
        SafetensorsFile m = Safetensors.read(out);
        assertEquals(List.of("0.weight", "2.weight", "4.weight"), m.names());
        TicketPredictor p = TicketPredictor.load(ckpt, TestBackends.reference());
        HostWeights want = new HostWeights(one, p.mask(z.init(3), 0.1));
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(z.spec().weightShape(i), m.get(2 * i + ".weight").shape());
            assertArrayEquals(want.torchWeight(i), m.get(2 * i + ".weight").toFloats());
            int kept = 0;
            for (float v : want.torchWeight(i)) kept += (int) v;
            int size = want.torchWeight(i).length;
            assertEquals(TicketMasks.keepCount(TicketTrainer.layerDensity(z, 1)[i], size), kept);
        }
        // --temperature draws from the keep probabilities, the same mask for the same seed.
        Path drawn = tmp.resolve("drawn.safetensors");
        Object[] d = CliTest.run("mask", ckpt.toString(), init.toString(), "--sparsity", "0.1", "--temperature", "2", "--seed", "7", "--out", drawn.toString());
        assertEquals(0, d[0], d[2].toString());
        HostWeights wantDrawn = new HostWeights(one, p.mask(z.init(3), 0.1, 2, 7));
        for (int i = 0; i < 3; i++) assertArrayEquals(wantDrawn.torchWeight(i), Safetensors.read(drawn).get(2 * i + ".weight").toFloats());
        assertEquals("2.0", Safetensors.read(drawn).metadata().get("temperature"));
        Path hot = tmp.resolve("bad-temperature.safetensors");
        Object[] h = CliTest.run("mask", ckpt.toString(), init.toString(), "--temperature", "NaN", "--out", hot.toString());
        assertEquals(2, h[0], h[2].toString());
        assertTrue(h[2].toString().strip().contains("--temperature"), h[2].toString());
        assertFalse(Files.exists(hot));
        // Bad input: one line, exit 2, nothing written.
        Map<String, HostTensor> other = new LinkedHashMap<>();
        other.put("0.weight", HostTensor.f32(new int[]{5, 784}, new float[5 * 784]));
        other.put("0.bias", HostTensor.f32(new int[]{5}, new float[5]));
        other.put("2.weight", HostTensor.f32(new int[]{10, 5}, new float[50]));
        other.put("2.bias", HostTensor.f32(new int[]{10}, new float[10]));
        Path wrong = tmp.resolve("wrong.safetensors");
        Safetensors.write(wrong, other, Map.of());
        String[][] bad = {{ckpt.toString(), wrong.toString(), "--sparsity", "0.1"}, {ckpt.toString(), init.toString(), "--sparsity", "1.5"},
                {ckpt.toString(), init.toString(), "--sparsity", "0"}, {init.toString(), init.toString(), "--sparsity", "0.1"}};
        String[] expect = {"wrong.safetensors", "(0, 1)", "(0, 1)", "not a mask predictor"};
        for (int i = 0; i < bad.length; i++) {
            Path o = tmp.resolve("bad-mask" + i + ".safetensors");
            Object[] b = CliTest.run("mask", bad[i][0], bad[i][1], bad[i][2], bad[i][3], "--out", o.toString());
            assertEquals(2, b[0], String.join(" ", bad[i]) + ": " + b[2]);
            String err = b[2].toString().strip();
            assertFalse(err.contains("\n"), err);
            assertTrue(err.contains(expect[i]), err);
            assertFalse(Files.exists(o), o + " was written");
        }
    }
}
