package dev.nfn4j.train;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.testing.TestBackends;
import dev.nfn4j.zoo.ZooDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NormalizationTest {
    @TempDir
    Path tmp;

    private final Ops ops = TestBackends.reference();

    private static ModelConfig model(String kind) {
        return new ModelConfig(kind, new int[]{4, 3}, "relu", InvariantNfn.Pool.HNP, new int[]{16});
    }

    @Test
    void defaultsAreWhatNfnsConfigsDo() {
        assertEquals(Normalization.NONE, Normalization.defaultFor(model("HNP")), "nfn's hnp_inv: normalize false");
        assertEquals(Normalization.NONE, Normalization.defaultFor(new ModelConfig("STATNN", new int[0], "relu", InvariantNfn.Pool.HNP, new int[]{16})),
                "nfn's stat: normalize false");
        assertEquals(Normalization.PER_ENTRY, Normalization.defaultFor(model("NP")), "nfn's np_inv: normalize true, per entry");
        assertEquals(Normalization.PER_ENTRY, Normalization.defaultFor(model("NP_IO")));
        assertEquals(Normalization.NONE, Normalization.defaultFor(model("POINTWISE")));
        assertEquals(Normalization.NONE, Normalization.defaultFor(TrainerTest.EDITOR), "equivariant models read weights as given");
        assertEquals(Normalization.PER_TENSOR, Normalization.parse("per-tensor"));
        assertEquals(Normalization.PER_ENTRY, Normalization.parse("PER_ENTRY"));
        assertThrows(IllegalArgumentException.class, () -> Normalization.parse("per-layer"));
    }

    /** nfn's StatTracker: per entry, the mean and the population standard deviation over the networks; below 1e-5 it is 1. */
    @Test
    void perEntryStatisticsAreNfns() {
        WsLayout one = new WsLayout(Checkpoint.SPEC, 1, 1);
        int p = Math.toIntExact(one.size());
        float[] rows = new float[3 * p];
        for (int n = 0; n < 3; n++)
            for (int k = 0; k < p; k++) rows[n * p + k] = k == 0 ? 7 : (float) (n * 0.5 + k * 0.01); // entry 0 constant
        EntryNormalizer e = EntryNormalizer.fit(one, rows, new int[]{0, 1, 2});
        HostWeights net = new HostWeights(one, new float[p]);
        java.util.Arrays.fill(net.data(), 1);
        e.apply(net);
        double std = Math.sqrt(((0 - 0.5) * (0 - 0.5) + 0 + (1 - 0.5) * (1 - 0.5)) / 3); // n * 0.5 for n = 0, 1, 2
        assertEquals((1 - 7) / 1.0, net.data()[0], 1e-6, "a constant entry is only shifted");
        for (int k = 1; k < p; k++) assertEquals((1 - (0.5 + k * 0.01)) / std, net.data()[k], 1e-4, "entry " + k);
        // in a batch every network is normalized with the same per-entry statistics
        HostWeights two = new HostWeights(one.withBatch(2), new float[2 * p]);
        java.util.Arrays.fill(two.data(), 1);
        e.apply(two);
        WsLayout lay = two.layout();
        for (int i = 0; i < lay.numLayers(); i++)
            assertEquals(two.data()[(int) lay.wOffset(i)], two.data()[(int) (lay.wOffset(i) + lay.wPerSample(i))], "W_" + i + " entry 0 of both");
    }

    @Test
    void anNpModelTrainsWithPerEntryStatisticsSavedAsNfnsBuffers() throws Exception {
        ZooDataset zoo = TrainerTest.toyZoo(11);
        Path out = tmp.resolve("np");
        Trainer t = new Trainer(ops, model("NP"), zoo, TrainerTest.config(2).withNormalization(null), out, false);
        assertEquals(Normalization.PER_ENTRY, t.config().normalization());
        Trainer.Result r = t.fit();
        SafetensorsFile f = Safetensors.read(out.resolve("best.safetensors"));
        assertEquals("{\"kind\":\"per-entry\"}", f.metadata().get("normalizer"));
        assertArrayEquals(new int[]{1, 5, 4}, f.get("mean_weights_0").shape(), "nfn's buffer shape [C, o, i]");
        assertArrayEquals(new int[]{1, 3}, f.get("std_bias_1").shape());
        try (Predictor p = Predictor.load(out.resolve("best.safetensors"), ops)) {
            assertEquals(Normalization.PER_ENTRY, p.normalization());
            int[] test = zoo.splits().test();
            for (int k = 0; k < 3; k++) assertEquals(r.test().predicted()[k], p.predict(zoo.network(test[k]))[0], 1e-6);
        }
    }

    @Test
    void anHnpModelTrainsWithoutNormalizationByDefault() throws Exception {
        Path out = tmp.resolve("hnp");
        Trainer t = new Trainer(ops, model("HNP"), TrainerTest.toyZoo(12), TrainerTest.config(1).withNormalization(null), out, false);
        assertEquals(Normalization.NONE, t.config().normalization());
        t.fit();
        assertNull(Safetensors.read(out.resolve("best.safetensors")).metadata().get("normalizer"));
    }

    /**
     * A checkpoint written before there was a choice (the old default: per-tensor statistics,
     * metadata {"mean": [...], "std": [...]} without a kind) loads as per-tensor and predicts the
     * very bits it did then (recorded with the reference backend when it was written).
     */
    @Test
    void aCheckpointWithTheOldDefaultPredictsAsBefore() throws Exception {
        Path ckpt = resource("old-per-tensor-hnp.safetensors"), inputs = resource("old-per-tensor-hnp-inputs.safetensors");
        String md = Safetensors.read(ckpt).metadata().get("normalizer");
        assertTrue(md.startsWith("{\"mean\":") && !md.contains("kind"), md);
        try (Predictor p = Predictor.load(ckpt, ops)) {
            assertEquals(Normalization.PER_TENSOR, p.normalization());
            float[] got = p.predict(Checkpoints.readWeights(Safetensors.read(inputs), "input", false));
            int[] bits = {0x3eea0a80, 0x3ed775a3, 0x3ed9be34}; // 0.45711136, 0.42081937, 0.42527926
            for (int b = 0; b < bits.length; b++) assertEquals(Float.intBitsToFloat(bits[b]), got[b], "network " + b);
        }
    }

    private Path resource(String name) throws Exception {
        Path to = tmp.resolve(name);
        try (InputStream in = NormalizationTest.class.getResourceAsStream(name)) {
            Files.copy(in, to);
        }
        return to;
    }
}
