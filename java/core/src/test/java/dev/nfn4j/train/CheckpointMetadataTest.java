package dev.nfn4j.train;

import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.testing.TestBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hostile checkpoint metadata: each case is refused at load with one line naming the file and the field, before anything is allocated. */
class CheckpointMetadataTest {
    @TempDir
    Path tmp;

    private final Ops ops = TestBackends.reference();

    private static final String MODEL = "{\"kind\":\"HNP\",\"hidden\":[3],\"act\":\"relu\",\"pool\":\"HNP\",\"head\":[4],\"fourier\":0,"
            + "\"fourierScale\":1.0,\"dropout\":0.0,\"appendStats\":false}";
    private static final String SPEC = "{\"sizes\":[4,5,3],\"filters\":[null,null]}";

    private NfnFormatException refused(Consumer<Map<String, String>> edit) throws Exception {
        Path good = Checkpoint.write(tmp.resolve("good.safetensors"), ops, new int[]{4}, null, 1);
        Path bad = Checkpoint.withMetadata(good, tmp.resolve("bad.safetensors"), edit);
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> Predictor.load(bad, ops).close());
        assertEquals(bad, e.file());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertFalse(e.getMessage().contains("[Source"), "no parser location: " + e.getMessage());
        return e;
    }

    private void refusedNaming(String key, String value, String field) throws Exception {
        NfnFormatException e = refused(md -> md.put(key, value));
        assertEquals(field, e.tensor(), key + " = " + value + ": " + e.getMessage());
    }

    @Test
    void theUnmodifiedCheckpointLoads() throws Exception {
        Path good = Checkpoint.write(tmp.resolve("good.safetensors"), ops, new int[]{4}, null, 1);
        try (Predictor p = Predictor.load(good, ops)) {
            assertEquals(Checkpoint.SPEC, p.spec());
            assertEquals(Normalization.NONE, p.normalization());
        }
        // and the JSON the tests below edit is what a checkpoint holds
        Predictor.load(Checkpoint.withMetadata(good, tmp.resolve("same.safetensors"), md -> {
            md.put("model", MODEL);
            md.put("network_spec", SPEC);
        }), ops).close();
    }

    @Test
    void aModelThatIsNotAJsonObjectIsRefusedNamingTheField() throws Exception {
        for (String v : new String[]{"", "-1", "1e99", "[]", "null", "\"HNP\"", "{", "{\"kind\":}"})
            refusedNaming("model", v, "model");
    }

    @Test
    void badModelMembersAreRefusedNamingTheMember() throws Exception {
        String[][] cases = {
                {"\"kind\":\"HNP\"", "\"kind\":\"XX\"", "model"},
                {"\"kind\":\"HNP\"", "\"kind\":7", "model.kind"},
                {"\"hidden\":[3]", "\"hidden\":[\"zz\"]", "model.hidden[0]"},
                {"\"hidden\":[3]", "\"hidden\":[3, 0]", "model.hidden[1]"},
                {"\"hidden\":[3]", "\"hidden\":[1e308]", "model.hidden[0]"},
                {"\"hidden\":[3]", "\"hidden\":[2.5]", "model.hidden[0]"},
                {"\"hidden\":[3]", "\"hidden\":3", "model.hidden"},
                {"\"head\":[4]", "\"head\":[1000000000]", "model.head[0]"},
                {"\"head\":[4]", "\"head\":[-1]", "model.head[0]"},
                {"\"act\":\"relu\"", "\"act\":\"zz\"", "model.act"},
                {"\"pool\":\"HNP\"", "\"pool\":\"zz\"", "model.pool"},
                {"\"fourier\":0", "\"fourier\":1e99", "model.fourier"},
                {"\"fourierScale\":1.0", "\"fourierScale\":NaN", "model"},
                {"\"dropout\":0.0", "\"dropout\":2", "model.dropout"},
                {"\"appendStats\":false", "\"appendStats\":\"yes\"", "model.appendStats"},
                {"\"appendStats\":false", "\"appendStats\":false,\"extra\":1", "model.extra"},
        };
        for (String[] c : cases) {
            assertTrue(MODEL.contains(c[0]), c[0]);
            refusedNaming("model", MODEL.replace(c[0], c[1]), c[2]);
        }
    }

    /** What the schema refuses, a model or a training run cannot be made with: every checkpoint written can be read. */
    @Test
    void theSchemasBoundsAreTheModelsAndTheTrainersToo() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> new dev.nfn4j.nn.ModelConfig("HNP", new int[]{5000}, "relu",
                dev.nfn4j.nn.InvariantNfn.Pool.HNP, new int[]{4}));
        assertThrows(IllegalArgumentException.class, () -> new dev.nfn4j.nn.ModelConfig("HNP", new int[]{3}, "relu",
                dev.nfn4j.nn.InvariantNfn.Pool.HNP, new int[]{100_000}));
        assertThrows(IllegalArgumentException.class, () -> dev.nfn4j.space.SpecJson.requireSupported(dev.nfn4j.space.NetworkSpec.mlp(70_000, 2, 1)));
        // a scale that means nothing without Fourier features is kept as written
        Path good = Checkpoint.write(tmp.resolve("good.safetensors"), ops, new int[]{4}, null, 1);
        Predictor.load(Checkpoint.withMetadata(good, tmp.resolve("scale.safetensors"),
                md -> md.put("model", MODEL.replace("\"fourierScale\":1.0", "\"fourierScale\":-3e9"))), ops).close();
    }

    @Test
    void badNetworkSpecsAreRefusedNamingTheMember() throws Exception {
        String[][] cases = {
                {"", "network_spec"},
                {"{\"sizes\":[4,5,3]}", "network_spec.filters"},
                {"{\"sizes\":[4,5,3],\"filters\":[\"zz\",null]}", "network_spec.filters[0]"},
                {"{\"sizes\":[4,5,3],\"filters\":[0,null]}", "network_spec.filters[0]"},
                {"{\"sizes\":[4,5,3],\"filters\":[[3,\"zz\"],null]}", "network_spec.filters[0][1]"},
                {"{\"sizes\":[4,5,3],\"filters\":[[1e308,1e308],null]}", "network_spec.filters[0][0]"},
                {"{\"sizes\":[4,5,3],\"filters\":[null]}", "network_spec.filters"},
                {"{\"sizes\":[1e308,5,3],\"filters\":[null,null]}", "network_spec.sizes[0]"},
                {"{\"sizes\":[4,65536,65536,3],\"filters\":[null,null,null]}", "network_spec"},
                {"{\"sizes\":[4,-5,3],\"filters\":[null,null]}", "network_spec.sizes[1]"},
                {"{\"sizes\":\"4,5,3\",\"filters\":[null,null]}", "network_spec.sizes"},
        };
        for (String[] c : cases) refusedNaming("network_spec", c[0], c[1]);
    }

    @Test
    void aSpecThatDoesNotMatchTheParametersIsRefusedBeforeAllocating() throws Exception {
        // HNP's first and last layers see n_in and n_out: a spec claiming huge ones must not allocate its parameters
        NfnFormatException e = refused(md -> md.put("network_spec", "{\"sizes\":[60000,5,60000],\"filters\":[null,null]}"));
        assertTrue(e.tensor() != null && e.getMessage().contains("expected shape"), e.getMessage());
    }

    @Test
    void badNormalizersAreRefusedNamingTheMember() throws Exception {
        String[][] cases = {
                {"{\"mean\":[1e308,0,0,0],\"std\":[1,1,1,1]}", "normalizer"},
                {"{\"mean\":[0,0,0,0],\"std\":[1e-300,1,1,1]}", "normalizer"},
                {"{\"mean\":[0,0,0,0],\"std\":[0,1,1,1]}", "normalizer"},
                {"{\"mean\":[0,0],\"std\":[1,1]}", "normalizer.mean"},
                {"{\"mean\":[0,0,0,0],\"std\":[1,1,1]}", "normalizer"},
                {"{\"mean\":[0,0,0,\"x\"],\"std\":[1,1,1,1]}", "normalizer.mean[3]"},
                {"{\"kind\":\"sideways\"}", "normalizer.kind"},
                {"[1,2]", "normalizer"},
        };
        for (String[] c : cases) refusedNaming("normalizer", c[0], c[1]);
    }

    @Test
    void nonFiniteParametersAreRefusedNamingTheTensor() throws Exception {
        Path good = Checkpoint.write(tmp.resolve("good.safetensors"), ops, new int[]{4}, null, 1);
        for (float v : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
            for (String name : new String[]{"0.w0_rpt.weight", dev.nfn4j.io.Safetensors.read(good).names().getLast()}) {
                Path bad = Checkpoint.rewrite(good, tmp.resolve("nan.safetensors"), md -> { }, t -> {
                    float[] x = t.get(name).toFloats();
                    x[x.length - 1] = v;
                    t.put(name, HostTensor.f32(t.get(name).shape(), x));
                });
                NfnFormatException e = assertThrows(NfnFormatException.class, () -> Predictor.load(bad, ops));
                assertEquals(name, e.tensor(), e.getMessage());
                assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
            }
    }

    @Test
    void perEntryStatisticsAreCheckedTensorByTensor() throws Exception {
        float[] zoo = new float[2 * (int) new dev.nfn4j.space.WsLayout(Checkpoint.SPEC, 1, 1).size()];
        for (int i = 0; i < zoo.length; i++) zoo[i] = (float) Math.sin(i);
        var norm = EntryNormalizer.fit(new dev.nfn4j.space.WsLayout(Checkpoint.SPEC, 1, 1), zoo, new int[]{0, 1});
        Path good = Checkpoint.write(tmp.resolve("entry.safetensors"), ops, new int[]{4}, norm, 1);
        try (Predictor p = Predictor.load(good, ops)) {
            assertEquals(Normalization.PER_ENTRY, p.normalization());
        }
        Path missing = Checkpoint.rewrite(good, tmp.resolve("missing.safetensors"), md -> { }, t -> t.remove("std_bias_1"));
        assertEquals("std_bias_1", assertThrows(NfnFormatException.class, () -> Predictor.load(missing, ops)).tensor());
        Path zero = Checkpoint.rewrite(good, tmp.resolve("zero.safetensors"), md -> { },
                t -> t.put("std_weights_0", HostTensor.f32(t.get("std_weights_0").shape(), new float[5 * 4])));
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> Predictor.load(zero, ops));
        assertEquals("std_weights_0", e.tensor());
        assertTrue(e.getMessage().contains("must be positive"), e.getMessage());
        Path shape = Checkpoint.rewrite(good, tmp.resolve("shape.safetensors"), md -> { },
                t -> t.put("mean_bias_0", HostTensor.f32(new int[]{5}, new float[5])));
        assertEquals("mean_bias_0", assertThrows(NfnFormatException.class, () -> Predictor.load(shape, ops)).tensor());
        Path stray = Checkpoint.rewrite(good, tmp.resolve("stray.safetensors"), md -> md.remove("normalizer"), t -> { });
        NfnFormatException s = assertThrows(NfnFormatException.class, () -> Predictor.load(stray, ops));
        assertTrue(s.getMessage().contains("has no parameter named mean_weights_0"), s.getMessage());
    }
}
