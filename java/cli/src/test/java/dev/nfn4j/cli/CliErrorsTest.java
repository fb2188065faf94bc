package dev.nfn4j.cli;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.nn.Params;
import dev.nfn4j.ops.reference.ReferenceOps;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.train.Predictor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every error of the command line is one line, {@code nfn4j: <what is wrong> (<file>[: <tensor or field>])}, exit 2 for bad input. */
class CliErrorsTest {
    @TempDir
    Path tmp;

    private static final NetworkSpec SPEC = NetworkSpec.mlp(4, 5, 3);

    private Path checkpoint() throws Exception {
        ModelConfig model = new ModelConfig("hnp", new int[]{3}, "relu", InvariantNfn.Pool.HNP, new int[]{4});
        Params params = new Params(new ReferenceOps());
        model.build(params, SPEC, 1);
        params.allocate(1);
        Path file = tmp.resolve("model.safetensors");
        Checkpoints.saveParams(file, "", params, Predictor.checkpointMetadata(model, SPEC, "test_accuracy", null));
        return file;
    }

    private Path networks(float value) throws Exception {
        WsLayout lay = new WsLayout(SPEC, 2, 1);
        float[] d = new float[Math.toIntExact(lay.size())];
        Arrays.fill(d, value);
        Path file = tmp.resolve("nets-" + value + ".safetensors");
        Checkpoints.writeWeights(file, "input", new HostWeights(lay, d), Map.of());
        return file;
    }

    private Path withMetadata(Path from, String key, String value) throws Exception {
        SafetensorsFile f = Safetensors.read(from);
        Map<String, String> md = new LinkedHashMap<>(f.metadata());
        md.put(key, value);
        Map<String, HostTensor> t = new LinkedHashMap<>();
        for (String n : f.names()) t.put(n, f.get(n));
        Path to = tmp.resolve("bad.safetensors");
        Safetensors.write(to, t, md);
        return to;
    }

    /** Runs the command, checks exit 2 and one error line, and returns that line. */
    private static String error(String... args) {
        Object[] r = CliTest.run(args);
        String err = ((String) r[2]).strip();
        assertEquals(2, r[0], () -> List.of(args) + " stdout: " + r[1] + " stderr: " + err);
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.startsWith("nfn4j: "), err);
        assertTrue(!err.contains("Exception") && !err.contains("[Source") && !err.contains("\tat "), err);
        return err;
    }

    @Test
    void missingFilesAndFoldersAreNamed() throws Exception {
        Path ckpt = checkpoint(), in = networks(0.5f);
        assertEquals("nfn4j: no such file or folder (/nonexistent)", error("predict", "/nonexistent", in.toString()));
        assertEquals("nfn4j: no such file or folder (/nonexistent)", error("predict", ckpt.toString(), "/nonexistent"));
        assertEquals("nfn4j: is a folder, not a checkpoint file (" + tmp + ")", error("predict", tmp.toString(), in.toString()));
        assertEquals("nfn4j: no such file or folder (" + tmp.resolve("nope") + ")", error("conformance", tmp.resolve("nope").toString()));
    }

    @Test
    void badMetadataNamesTheFileAndTheField() throws Exception {
        Path ckpt = checkpoint(), in = networks(0.5f);
        assertEquals("nfn4j: expected a JSON object, got nothing (" + tmp.resolve("bad.safetensors") + ": model)",
                error("predict", withMetadata(ckpt, "model", "").toString(), in.toString()));
        String syntax = error("predict", withMetadata(ckpt, "model", "{\"kind\": ").toString(), in.toString());
        assertTrue(syntax.startsWith("nfn4j: not valid JSON: ") && syntax.endsWith(": model)"), syntax);
        String filter = error("predict", withMetadata(ckpt, "network_spec", "{\"sizes\":[4,5,3],\"filters\":[\"zz\",null]}").toString(), in.toString());
        assertTrue(filter.endsWith(": network_spec.filters[0])"), filter);
    }

    @Test
    void inputsAModelCannotReadAreRefusedNeverPredictedAsNaN() throws Exception {
        Path ckpt = checkpoint();
        for (float v : new float[]{3e38f, 1e30f}) {
            Path in = networks(v);
            String e = error("predict", ckpt.toString(), in.toString());
            assertTrue(e.contains("holds " + v) && e.endsWith("(" + in + ")"), e);
        }
        Object[] ok = CliTest.run("predict", ckpt.toString(), networks(0.5f).toString());
        assertEquals(0, ok[0], (String) ok[2]);
        assertTrue(!((String) ok[1]).contains("NaN"), (String) ok[1]);
    }

    @Test
    void outputsThatCannotBeWrittenAreNamed() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        String cache = tmp.resolve("cache").toString();
        assertEquals("nfn4j: not a folder (" + file + ")",
                error("train", "--networks", "20", "--cache", cache, "--epochs", "1", "--hidden", "3", "--head", "8", "--out", file.toString()));
        Object[] diverged = CliTest.run("train", "--networks", "20", "--cache", cache, "--lr", "1e30", "--epochs", "1", "--hidden", "3",
                "--head", "8", "--out", tmp.resolve("div").toString());
        assertEquals(1, diverged[0], (String) diverged[2]);
        String line = ((String) diverged[2]).strip();
        assertTrue(line.startsWith("nfn4j: training diverged") && line.lines().count() == 1, line);
    }

    @Test
    void nonsenseSettingsAreRefusedNamingTheOption() {
        String out = tmp.resolve("run").toString();
        assertTrue(error("train", "--out", out, "--patience", "-1").contains("--patience"));
        assertTrue(error("train", "--out", out, "--epochs", "0").contains("--epochs"));
        assertTrue(error("train", "--out", out, "--lr", "0").contains("--lr"));
        assertTrue(error("train", "--out", out, "--lr", "Infinity").contains("--lr"));
        assertTrue(error("train", "--out", out, "--lr", "nan").contains("--lr"));
        assertTrue(error("train", "--out", out, "--normalize", "sideways").contains("normalization 'sideways'"));
        assertTrue(error("zoo", "build-cnn", "--out", out, "--steps", "0").contains("must be >= 1"));
        assertTrue(!Files.exists(tmp.resolve("run")), "nothing written");
    }

    @Test
    void resumingAFinishedRunSaysSoAndOtherSettingsAreRefused() throws Exception {
        String cache = tmp.resolve("cache").toString(), out = tmp.resolve("run").toString();
        String[] train = {"train", "--networks", "20", "--cache", cache, "--hidden", "3", "--head", "8", "--epochs", "2", "--out", out};
        Object[] first = CliTest.run(train);
        assertEquals(0, first[0], (String) first[2]);
        byte[] log = Files.readAllBytes(tmp.resolve("run/log.jsonl"));
        String[] resume = Arrays.copyOf(train, train.length + 1);
        resume[train.length] = "--resume";
        Object[] again = CliTest.run(resume);
        assertEquals(0, again[0], (String) again[2]);
        assertTrue(((String) again[1]).contains("is finished (2 epochs): nothing to resume, no file changed"), (String) again[1]);
        assertTrue(Arrays.equals(log, Files.readAllBytes(tmp.resolve("run/log.jsonl"))), "log.jsonl unchanged");
        String[] otherLr = Arrays.copyOf(resume, resume.length + 2);
        otherLr[resume.length] = "--lr";
        otherLr[resume.length + 1] = "0.5";
        String e = error(otherLr);
        assertTrue(e.contains("--lr 0.5 (the run has 0.001)"), e);
        assertTrue(error("train", "--networks", "20", "--cache", cache, "--batch", "100000", "--out", tmp.resolve("b").toString())
                .contains("larger than the training split"));
    }
}
