package dev.nfn4j.cli;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.nn.Param;
import dev.nfn4j.nn.Params;
import dev.nfn4j.ops.reference.ReferenceOps;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.train.CheckpointMetadata;
import dev.nfn4j.train.EntryNormalizer;
import dev.nfn4j.train.Normalization;
import dev.nfn4j.train.Predictor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An nfn state_dict with NormalizingModule's per-entry buffers imports with them as the checkpoint's normalizer. */
class ImportNormalizerTest {
    @TempDir
    Path tmp;

    @Test
    void nfnsPerEntryBuffersBecomeTheNormalizer() throws Exception {
        var ops = new ReferenceOps();
        NetworkSpec spec = NetworkSpec.mlp(4, 5, 3);
        WsLayout one = new WsLayout(spec, 1, 1);
        ModelConfig model = new ModelConfig("np", new int[]{3}, "relu", InvariantNfn.Pool.HNP, new int[]{4});
        Params params = new Params(ops);
        model.build(params, spec, 1);
        params.allocate(4);
        Random r = new Random(2);
        float[] zoo = new float[3 * (int) one.size()];
        for (int i = 0; i < zoo.length; i++) zoo[i] = (float) r.nextGaussian() * (1 + i % 7);
        EntryNormalizer norm = EntryNormalizer.fit(one, zoo, new int[]{0, 1, 2});

        Map<String, HostTensor> sd = new LinkedHashMap<>();
        for (Param p : params.all()) sd.put("param." + p.name(), HostTensor.f32(p.shape(), params.read(p)));
        for (var e : norm.tensors().entrySet()) sd.put("param." + e.getKey(), e.getValue());
        Path stateDict = tmp.resolve("nfn.safetensors");
        Safetensors.write(stateDict, sd, Map.of());
        HostWeights x = new HostWeights(new WsLayout(spec, 2, 1), java.util.Arrays.copyOf(zoo, 2 * (int) one.size()));
        Path nets = tmp.resolve("nets.safetensors");
        Checkpoints.writeWeights(nets, "input", x, Map.of());

        Path imported = tmp.resolve("imported.safetensors");
        Object[] r1 = CliTest.run("import", stateDict.toString(), "--prefix", "param.", "--spec-from", nets.toString(), "--model", "np",
                "--hidden", "3", "--head", "4", "--out", imported.toString());
        assertEquals(0, r1[0], () -> r1[1] + " " + r1[2]);
        assertTrue(((String) r1[1]).contains("per-entry input normalization"), (String) r1[1]);

        Path direct = tmp.resolve("direct.safetensors");
        CheckpointMetadata md = new CheckpointMetadata(model, spec, "test_accuracy", norm);
        Checkpoints.saveParams(direct, "", params, md.tensors(), md.toMap());
        try (Predictor a = Predictor.load(imported, ops); Predictor b = Predictor.load(direct, ops)) {
            assertEquals(Normalization.PER_ENTRY, a.normalization());
            assertArrayEquals(b.predict(x), a.predict(x));
        }
    }
}
