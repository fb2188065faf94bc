package dev.nfn4j.train;

import dev.nfn4j.io.Safetensors;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.testing.TestBackends;
import dev.nfn4j.zoo.Splits;
import dev.nfn4j.zoo.ZooDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainerTest {
    @TempDir
    Path tmp;

    /** 60 random MLPs 4-5-3 whose "accuracy" is a smooth function of their first-layer weights: learnable. */
    static ZooDataset toyZoo(long seed) {
        NetworkSpec spec = NetworkSpec.mlp(4, 5, 3);
        int n = 60, per = Math.toIntExact(new WsLayout(spec, 1, 1).size());
        Random rnd = new Random(seed);
        float[] w = new float[n * per], acc = new float[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int k = 0; k < per; k++) {
                w[i * per + k] = (float) rnd.nextGaussian();
                if (k < 20) s += w[i * per + k] * w[i * per + k];
            }
            acc[i] = (float) (1 / (1 + Math.exp(-(s / 20 - 1) * 3)));
        }
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        Splits splits = new Splits(java.util.Arrays.copyOfRange(idx, 0, 36), java.util.Arrays.copyOfRange(idx, 36, 44),
                java.util.Arrays.copyOfRange(idx, 44, 60));
        return new ZooDataset(spec, w, Map.of(ZooDataset.TEST_ACCURACY, acc), ZooDataset.TEST_ACCURACY, splits, null);
    }

    static Trainer.Config config(int epochs) {
        return new Trainer.Config(epochs, 6, 3e-3, 0, false, 3, Loss.BINARY_CROSS_ENTROPY, 7, 0, true, false);
    }

    static final ModelConfig SMALL = new ModelConfig("HNP", new int[]{4, 3}, "relu", dev.nfn4j.nn.InvariantNfn.Pool.HNP, new int[]{16});

    @Test
    void trainsLogsCheckpointsAndPlots() throws Exception {
        Ops ops = TestBackends.reference();
        Path out = tmp.resolve("run");
        List<Path> plots = new ArrayList<>();
        TrainingObserver observer = new TrainingObserver() {
            @Override
            public void testPlot(Path png, String title, float[] actual, float[] predicted) {
                assertEquals(actual.length, predicted.length);
                plots.add(png);
            }
        };
        Trainer.Result r = new Trainer(ops, SMALL, toyZoo(1), config(6), out, false).observedBy(observer).fit();
        List<Map<String, Object>> log = Trainer.readLog(out);
        assertEquals(7, log.size(), "6 epochs and the test row");
        assertEquals(List.of(out.resolve("test_scatter.png")), plots, "the test plotted once");
        var ckpt = Safetensors.read(out.resolve("best.safetensors"));
        assertEquals(SMALL, ModelConfig.fromJson(ckpt.metadata().get("model")));
        assertTrue(ckpt.has("0.w0_rpt.weight"), "parameters carry nfn's names");
        assertTrue(Double.isFinite(r.test().tau()));
        // the first epoch's training loss is above the last one's: it learns
        double first = ((Number) log.get(0).get("train_loss")).doubleValue(), last = ((Number) log.get(5).get("train_loss")).doubleValue();
        assertTrue(last < first, "train loss " + first + " -> " + last);
    }

    /** With channel dropout too: its masks depend on the optimizer step, which the state restores. */
    static final ModelConfig WITH_DROPOUT = new ModelConfig("NP", new int[]{4, 3}, "relu", dev.nfn4j.nn.InvariantNfn.Pool.HNP, new int[]{16}, 2, 1, 0.2);

    @Test
    void resumingGivesExactlyTheUninterruptedRun() throws Exception {
        for (ModelConfig model : new ModelConfig[]{SMALL, WITH_DROPOUT}) resumeMatches(model);
    }

    private void resumeMatches(ModelConfig model) throws Exception {
        Ops ops = TestBackends.reference();
        ZooDataset zoo = toyZoo(2);
        Path a0 = tmp.resolve(model.kind() + "a"), b0 = tmp.resolve(model.kind() + "b");
        Trainer straight = new Trainer(ops, model, zoo, config(4), a0, false);
        Trainer.Result a = straight.fit();

        new Trainer(ops, model, zoo, config(2), b0, false).fit(); // "stopped" after 2 epochs
        Trainer resumed = new Trainer(ops, model, zoo, config(4), b0, true);
        Trainer.Result b = resumed.fit();

        assertArrayEquals(a.test().predicted(), b.test().predicted(), model.toString());
        float[] pa = new float[(int) straight.params().count()], pb = new float[pa.length];
        ops.download(straight.params().valueBuffer().at(0), pa, 0, pa.length);
        ops.download(resumed.params().valueBuffer().at(0), pb, 0, pb.length);
        assertArrayEquals(pa, pb);
    }

    @Test
    void predictorReproducesTheTrainersTestPredictionsFromManyThreads() throws Exception {
        Ops ops = TestBackends.reference();
        ZooDataset zoo = toyZoo(3);
        Path out = tmp.resolve("p");
        Trainer.Result r = new Trainer(ops, SMALL, zoo, config(3), out, false).fit();
        Predictor pred = Predictor.load(out.resolve("best.safetensors"), ops);
        int[] test = zoo.splits().test();
        float[] want = r.test().predicted();
        Runnable check = () -> {
            for (int k = 0; k < test.length; k++) {
                float[] got = pred.predict(zoo.network(test[k]));
                assertEquals(want[k], got[0], 1e-6, "network " + test[k]);
            }
        };
        Thread[] ts = new Thread[3];
        for (int t = 0; t < ts.length; t++) (ts[t] = new Thread(check)).start();
        check.run();
        for (Thread t : ts) t.join();
        float[][] e = pred.embed(zoo.batch(new int[]{test[0], test[1]}).weights());
        assertEquals(2, e.length);
        assertTrue(e[0].length > 0);
    }

    /** nfn's append_stats: trains, the flag survives the checkpoint, and the embedding is the pooled features plus 14 statistics per layer. */
    @Test
    void aModelWithInputStatisticsTrainsAndReloads() throws Exception {
        Ops ops = TestBackends.reference();
        ModelConfig withStats = new ModelConfig("HNP", new int[]{4, 3}, "relu", dev.nfn4j.nn.InvariantNfn.Pool.HNP, new int[]{16}, 0, 1, 0, true);
        ZooDataset zoo = toyZoo(4);
        Path out = tmp.resolve("stats");
        Trainer.Result r = new Trainer(ops, withStats, zoo, config(3), out, false).fit();
        assertTrue(Double.isFinite(r.test().tau()));
        var ckpt = Safetensors.read(out.resolve("best.safetensors"));
        ModelConfig back = ModelConfig.fromJson(ckpt.metadata().get("model"));
        assertEquals(withStats, back);
        assertTrue(back.appendStats() && !back.equals(SMALL) && back.toString().contains("input stats"), back.toString());
        Predictor pred = Predictor.load(out.resolve("best.safetensors"), ops);
        int[] test = zoo.splits().test();
        assertEquals(r.test().predicted()[0], pred.predict(zoo.network(test[0]))[0], 1e-6);
        float[][] e = pred.embed(zoo.batch(new int[]{test[0]}).weights());
        int layers = zoo.spec().numLayers();
        int pooled = dev.nfn4j.nn.WeightPool.hnp(ops, zoo.spec()).width() * 3;
        assertEquals(pooled + 14 * layers, e[0].length, "HNP-pooled features of 3 channels, then 7 statistics of each W_i and b_i");
        assertTrue(ModelConfig.fromJson(SMALL.toJson().replace(",\"appendStats\":false", "")).equals(SMALL), "older checkpoints have no flag");
    }

    @Test
    void aModelConfigRefusesInputStatisticsWithoutAHead() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new ModelConfig("NP", new int[]{4, 1}, "relu", dev.nfn4j.nn.InvariantNfn.Pool.NONE, new int[0], 0, 1, 0, true));
        assertTrue(e.getMessage().contains("no head"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new ModelConfig("STATNN", new int[0], "relu", dev.nfn4j.nn.InvariantNfn.Pool.HNP, new int[]{8}, 0, 1, 0, true));
        assertTrue(e.getMessage().contains("STATNN"), e.getMessage());
    }

    @Test
    void predictorRefusesAFileThatIsNotAModelCheckpoint() throws Exception {
        Path f = tmp.resolve("x.safetensors");
        Safetensors.write(f, Map.of("a", dev.nfn4j.io.HostTensor.f32(new int[]{1}, new float[1])), Map.of());
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.nfn4j.io.NfnFormatException.class, () -> Predictor.load(f, TestBackends.reference()));
        assertTrue(e.getMessage().contains("not an nfn4j model checkpoint"), e.getMessage());
    }

    // ---- the equivariant NFN on a task that edits weights -------------------------------------

    /** The equivariant NFN (pool NONE): two NP-Layers, the last with one channel, so the output is a network. */
    static final ModelConfig EDITOR = new ModelConfig("NP", new int[]{4, 1}, "relu", dev.nfn4j.nn.InvariantNfn.Pool.NONE, new int[0]);

    /** The toy zoo with a weight-editing target: every network shrunk to 0.6 of its weights (learnable by the layers' own terms). */
    static ZooDataset shrinkTask(long seed) {
        ZooDataset zoo = toyZoo(seed);
        float[] target = zoo.canonicalRows().clone();
        for (int i = 0; i < target.length; i++) target[i] *= 0.6f;
        return zoo.withWeightTargets("shrunk_weights", target, 1);
    }

    static Trainer.Config mseConfig(int epochs) {
        return new Trainer.Config(epochs, 6, 1e-2, 0, false, 0, Loss.MSE, 7, 0, false, false);
    }

    @Test
    void trainsAnEquivariantNfnOnWeightSpaceTargets() throws Exception {
        Ops ops = TestBackends.reference();
        ZooDataset task = shrinkTask(5);
        Path out = tmp.resolve("edit");
        Trainer trainer = new Trainer(ops, EDITOR, task, mseConfig(15), out, false);
        double before = trainer.evaluate(task.splits().val()).loss();
        Trainer.Result r = trainer.fit();
        List<Map<String, Object>> log = Trainer.readLog(out);
        assertEquals(16, log.size(), "15 epochs and the test row");
        @SuppressWarnings("unchecked")
        Map<String, Object> val = (Map<String, Object>) log.get(14).get("val");
        assertTrue(!val.containsKey("tau"), "no Kendall's tau for weight-space targets: " + val);
        assertTrue(Double.isNaN(r.test().tau()));
        int entries = task.splits().test().length * task.targetsPerNetwork();
        assertEquals(entries, r.test().predicted().length, "every entry of every test network is evaluated");
        assertTrue(r.test().loss() < 0.2 * before, "test loss " + r.test().loss() + " vs untrained val loss " + before);
        assertTrue(r.test().r2() > 0.8, "R^2 " + r.test().r2());
        var ckpt = Safetensors.read(out.resolve("best.safetensors"));
        assertEquals(EDITOR, ModelConfig.fromJson(ckpt.metadata().get("model")));
        assertTrue(ckpt.metadata().containsKey("val_loss"), "the best epoch is chosen by validation loss");
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.nfn4j.io.NfnFormatException.class,
                () -> Predictor.load(out.resolve("best.safetensors"), ops));
        assertTrue(e.getMessage().contains("equivariant"), e.getMessage());
    }

    @Test
    void resumingAnEquivariantRunGivesExactlyTheUninterruptedRun() throws Exception {
        Ops ops = TestBackends.reference();
        Path full = tmp.resolve("eq-full"), part = tmp.resolve("eq-part");
        Trainer.Result whole = new Trainer(ops, EDITOR, shrinkTask(6), mseConfig(4), full, false).fit();
        new Trainer(ops, EDITOR, shrinkTask(6), mseConfig(2), part, false).fit();
        Trainer.Result resumed = new Trainer(ops, EDITOR, shrinkTask(6), mseConfig(4), part, true).fit();
        assertArrayEquals(whole.test().predicted(), resumed.test().predicted());
    }

    @Test
    void modelAndTargetsMustAgreeOnWhatIsPredicted() {
        Ops ops = TestBackends.reference();
        var e1 = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Trainer(ops, EDITOR, toyZoo(1), mseConfig(1), null, false));
        assertTrue(e1.getMessage().contains("needs weight-space targets"), e1.getMessage());
        var e2 = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Trainer(ops, SMALL, shrinkTask(1), mseConfig(1), null, false));
        assertTrue(e2.getMessage().contains("need an equivariant NFN"), e2.getMessage());
        ModelConfig twoChannels = new ModelConfig("NP", new int[]{4, 2}, "relu", dev.nfn4j.nn.InvariantNfn.Pool.NONE, new int[0]);
        var e3 = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Trainer(ops, twoChannels, shrinkTask(1), mseConfig(1), null, false));
        assertTrue(e3.getMessage().contains("floats per network"), e3.getMessage());
    }
}
