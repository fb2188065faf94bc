package dev.nfn4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliTest {
    @TempDir
    Path tmp;

    /** Runs the CLI in-process; returns {exit code, stdout, stderr}. Shared with the other CLI tests. */
    static Object[] run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true));
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args);
            return new Object[]{code, out.toString(), err.toString()};
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void demoTrainsThreeModelsAndReportsInvariance() throws Exception {
        // A small zoo and one epoch: the pipeline, not the quality (that is ZooQualityTest's job).
        Object[] r = run("demo", "--networks", "40", "--epochs", "1", "--head", "8", "--cache", tmp.resolve("cache").toString(),
                "--out", tmp.resolve("demo").toString());
        String out = (String) r[1];
        assertEquals(0, r[0], () -> "stdout: " + out + "\nstderr: " + r[2]);
        for (String m : new String[]{"HNP-NFN", "NP-NFN", "StatNN"}) assertTrue(out.contains(m), out);
        assertTrue(out.contains("invariance"), out);
        assertTrue(Files.exists(tmp.resolve("demo/hnp/best.safetensors")));
        assertTrue(Files.exists(tmp.resolve("demo/statnn/test_scatter.png")));
    }

    @Test
    void demoWithSeveralSeedsPrintsThePerSeedTableAndTheMeans() throws Exception {
        Object[] r = run("demo", "--networks", "40", "--epochs", "1", "--head", "8", "--seeds", "0,1", "--cache",
                tmp.resolve("cache").toString(), "--out", tmp.resolve("demo").toString());
        String out = (String) r[1];
        assertEquals(0, r[0], () -> "stdout: " + out + "\nstderr: " + r[2]);
        assertTrue(out.contains("mean test tau over 2 seeds"), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("mean ")), out);
        assertTrue(Files.exists(tmp.resolve("demo/seed-1/np/best.safetensors")));
    }

    @Test
    void trainThenEvalThenPredictOnTheBuiltinZoo() throws Exception {
        String cache = tmp.resolve("cache").toString();
        Object[] t = run("train", "--networks", "30", "--cache", cache, "--model", "np", "--hidden", "3", "--head", "8", "--epochs", "2",
                "--out", tmp.resolve("run").toString());
        assertEquals(0, t[0], () -> "stdout: " + t[1] + "\nstderr: " + t[2]);
        Path ckpt = tmp.resolve("run/best.safetensors");
        Object[] e = run("eval", ckpt.toString(), "--networks", "30", "--cache", cache);
        assertEquals(0, e[0], () -> "stdout: " + e[1] + "\nstderr: " + e[2]);
        assertTrue(((String) e[1]).contains("tau"), (String) e[1]);
        // several checkpoints: each one's metrics, their ensemble's, and the predictions per network
        Path csv = tmp.resolve("pred.csv");
        Object[] en = run("eval", ckpt.toString(), ckpt.toString(), "--networks", "30", "--cache", cache, "--predictions", csv.toString());
        assertEquals(0, en[0], () -> "stdout: " + en[1] + "\nstderr: " + en[2]);
        List<String> evalLines = ((String) en[1]).lines().toList();
        String tau = ((String) e[1]).strip().replaceAll(".*(tau \\S+).*", "$1");
        assertTrue(evalLines.stream().anyMatch(l -> l.startsWith("ensemble of 2") && l.contains(tau)),
                "a model's ensemble with itself predicts what it does: " + evalLines);
        List<String> rows = Files.readAllLines(csv);
        assertEquals("row,target,prediction,prediction.1,prediction.2", rows.get(0));
        assertTrue(rows.size() > 1, "one row per test network");
        for (String row : rows.subList(1, rows.size())) {
            String[] f = row.split(",");
            assertEquals(5, f.length, row);
            assertEquals(f[2], f[3], row);
            assertEquals(f[3], f[4], row);
        }
        // predict reads a weight-space batch file
        var zoo = dev.nfn4j.zoo.build.ZooGenerator.defaultZoo(tmp.resolve("cache"), 0, 30, n -> { });
        Path in = tmp.resolve("nets.safetensors");
        dev.nfn4j.io.Checkpoints.writeWeights(in, "input", zoo.batch(new int[]{0, 1, 2}), java.util.Map.of());
        Object[] p = run("predict", ckpt.toString(), in.toString());
        assertEquals(0, p[0], () -> "stdout: " + p[1] + "\nstderr: " + p[2]);
        assertEquals(3, ((String) p[1]).lines().count(), (String) p[1]);
        // --ensemble: the mean of several checkpoints' predictions (a model with itself predicts what it does)
        Object[] pe = run("predict", ckpt.toString(), in.toString(), "--ensemble", ckpt.toString());
        assertEquals(0, pe[0], () -> "stdout: " + pe[1] + "\nstderr: " + pe[2]);
        assertEquals(p[1], pe[1]);
        // a PyTorch state_dict of one network (nn.Sequential keys, in PyTorch layout) is accepted too
        java.util.Map<String, dev.nfn4j.io.HostTensor> sd = new java.util.LinkedHashMap<>();
        for (int i = 0; i < zoo.spec().numLayers(); i++) {
            sd.put(2 * i + ".weight", dev.nfn4j.io.HostTensor.f32(zoo.spec().weightShape(i), zoo.weight(i, 0)));
            sd.put(2 * i + ".bias", dev.nfn4j.io.HostTensor.f32(new int[]{zoo.spec().rows(i)}, zoo.bias(i, 0)));
        }
        Path sdFile = tmp.resolve("net0.safetensors");
        dev.nfn4j.io.Safetensors.write(sdFile, sd, java.util.Map.of());
        Object[] q = run("predict", ckpt.toString(), sdFile.toString());
        assertEquals(0, q[0], () -> "stdout: " + q[1] + "\nstderr: " + q[2]);
        assertEquals(((String) p[1]).lines().findFirst().orElseThrow().split("\t")[1], ((String) q[1]).strip().split("\t")[1],
                "the state_dict of network 0 predicts what its weight-space form does");
        // flattened state dicts in a .npy, rows picked with --rows
        int pp = (int) zoo.spec().numParams();
        float[] flat = new float[3 * pp];
        for (int n = 0, at = 0; n < 3; n++)
            for (int i = 0; i < zoo.spec().numLayers(); i++)
                for (float[] v : new float[][]{zoo.weight(i, n), zoo.bias(i, n)}) {
                    System.arraycopy(v, 0, flat, at, v.length);
                    at += v.length;
                }
        Path npy = tmp.resolve("flat.npy");
        dev.nfn4j.io.Npy.write(npy, dev.nfn4j.io.HostTensor.f32(new int[]{3, pp}, flat));
        Object[] f = run("predict", ckpt.toString(), npy.toString(), "--rows", "2,0");
        assertEquals(0, f[0], () -> "stdout: " + f[1] + "\nstderr: " + f[2]);
        List<String> batchLines = ((String) p[1]).lines().toList(), flatLines = ((String) f[1]).lines().toList();
        assertEquals(npy + "[row 2]", flatLines.get(0).split("\t")[0]);
        assertEquals(batchLines.get(2).split("\t")[1], flatLines.get(0).split("\t")[1]);
        assertEquals(batchLines.get(0).split("\t")[1], flatLines.get(1).split("\t")[1]);
        // a checkpoint that is not one is a clear error, exit code 2
        Object[] bad = run("predict", in.toString(), in.toString());
        assertEquals(2, bad[0]);
        assertTrue(((String) bad[2]).contains("not an nfn4j model checkpoint"), (String) bad[2]);
    }

    @Test
    void anNfnTrainedModelImportsByNameAndPredictsWhatNfnDid() throws Exception {
        Path fixture = dev.nfn4j.conformance.ConformanceFixtures.nfnFile("model_np_io_embed_invariant.safetensors.gz");
        // The fixture holds nfn's state_dict under "param." and a batch of networks under "input".
        Path ckpt = tmp.resolve("imported.safetensors");
        Object[] r = run("import", fixture.toString(), "--prefix", "param.", "--spec-from", fixture.toString(),
                "--model", "np_io", "--hidden", "16,16,5", "--head", "32,32", "--out", ckpt.toString());
        assertEquals(0, r[0], () -> "stdout: " + r[1] + "\nstderr: " + r[2]);
        var f = dev.nfn4j.io.Safetensors.read(fixture);
        var c = dev.nfn4j.io.Safetensors.read(ckpt);
        // export: the checkpoint holds exactly nfn's names and shapes, so nfn's load_state_dict takes it
        java.util.Set<String> nfnNames = new java.util.TreeSet<>();
        for (String n : f.names())
            if (n.startsWith("param.")) {
                nfnNames.add(n.substring(6));
                org.junit.jupiter.api.Assertions.assertArrayEquals(f.get(n).shape(), c.get(n.substring(6)).shape(), n);
            }
        assertEquals(nfnNames, new java.util.TreeSet<>(c.names()));
        // and it predicts what nfn computed for the fixture's networks
        Object[] p = run("predict", ckpt.toString(), fixture.toString());
        assertEquals(0, p[0], () -> "stdout: " + p[1] + "\nstderr: " + p[2]);
        float[] expected = f.get("output").toFloats();
        List<String> lines = ((String) p[1]).lines().toList();
        assertEquals(expected.length, lines.size(), (String) p[1]);
        for (int b = 0; b < expected.length; b++)
            assertEquals(expected[b], Float.parseFloat(lines.get(b).split("\t")[1]), 2e-6, "network " + b);
        // a state_dict of another architecture is refused naming the tensor
        Object[] bad = run("import", fixture.toString(), "--prefix", "param.", "--spec-from", fixture.toString(),
                "--model", "np_io", "--hidden", "16,16,4", "--head", "32,32", "--out", tmp.resolve("bad.safetensors").toString());
        assertEquals(2, bad[0]);
        assertTrue(((String) bad[2]).contains("expected shape"), (String) bad[2]);
    }

    @Test
    void infoNamesTheBackendsTheGpuTheKernelsAndTheVersions() {
        Object[] r = run("info");
        String out = (String) r[1];
        assertEquals(0, r[0], () -> "stdout: " + out + "\nstderr: " + r[2]);
        for (String key : new String[]{"nfn4j", "java", "cpus", "reference", "simd", "cuda", "chosen", "gpu", "kernels", "jcuda"})
            assertTrue(out.lines().anyMatch(l -> l.startsWith(key + " ") && l.length() > 11), key + " line missing or empty:\n" + out);
        // the kernels are described without a GPU: built (how many, by which nvcc) or why not
        String kernels = out.lines().filter(l -> l.startsWith("kernels ")).findFirst().orElseThrow();
        assertTrue(kernels.contains("kernels built by nvcc") || kernels.contains("not built into this jar"), kernels);
        assertTrue(out.lines().anyMatch(l -> l.matches("jcuda +\\d+\\.\\d+.*")), "JCuda's version from its jar:\n" + out);
    }

    @Test
    void trainStepsNeedASmallCnnZoo() {
        Object[] r = run("train", "--out", tmp.resolve("m").toString(), "--train-steps", "20,40", "--epochs", "1");
        assertEquals(2, r[0], (String) r[2]);
        assertTrue(((String) r[2]).contains("--train-steps needs --zoo DIR"), (String) r[2]);
    }

    @Test
    void conformanceOnAMissingFolderIsAClearError() {
        Object[] r = run("conformance", tmp.resolve("nope").toString());
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("no such file or folder"), (String) r[2]);
    }

    @Test
    void conformanceFailsOnAnUnreadableFixture() throws Exception {
        Files.write(tmp.resolve("broken.safetensors"), new byte[]{1, 2, 3});
        Object[] r = run("conformance", tmp.toString());
        assertEquals(1, r[0]);
        assertTrue(((String) r[1]).contains("broken") && ((String) r[1]).contains("FAIL"), (String) r[1]);
        assertTrue(((String) r[1]).contains("0 passed, 1 failed"), (String) r[1]);
    }

    @Test
    void conformanceOnTheNfnFixturesPasses() {
        Path dir = dev.nfn4j.conformance.ConformanceFixtures.nfnDir();
        Object[] r = run("conformance", dir.toString());
        assertEquals(0, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("17 passed, 0 failed"), (String) r[1]);
    }
}
