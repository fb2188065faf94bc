package dev.nfn4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.nn.Param;
import dev.nfn4j.nn.Params;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.reference.ReferenceOps;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.train.CheckpointMetadata;
import dev.nfn4j.train.EntryNormalizer;
import dev.nfn4j.train.Predictor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checkpoint loader ({@link Predictor#load}) on hostile metadata: a valid checkpoint (an NP
 * model with per-entry normalizer tensors) whose {@code model}, {@code network_spec} and
 * {@code normalizer} entries are replaced by the input, split at NUL bytes (an empty part keeps
 * the original). Every input must load and predict finite values, or be refused with an
 * {@link NfnFormatException} of one line naming the file; anything else propagates as a finding.
 * The seed corpus ({@code CheckpointFuzzTestInputs/load}) holds the valid entries and the
 * metadata that once crashed the loader.
 */
class CheckpointFuzzTest {
    private static final Ops OPS = new ReferenceOps();
    private static final NetworkSpec SPEC = NetworkSpec.mlp(3, 4, 2);
    private static final Path DIR;
    private static final Map<String, HostTensor> TENSORS = new LinkedHashMap<>();
    private static final Map<String, String> METADATA;
    private static final String[] KEYS = {"model", "network_spec", "normalizer"};

    static {
        try {
            DIR = Files.createTempDirectory("nfn4j-checkpoint-fuzz");
            DIR.toFile().deleteOnExit();
            DIR.resolve("checkpoint.safetensors").toFile().deleteOnExit(); // deleted first: the folder must be empty
            ModelConfig model = new ModelConfig("np", new int[]{2}, "relu", InvariantNfn.Pool.HNP, new int[]{3});
            Params params = new Params(OPS);
            model.build(params, SPEC, 1);
            params.allocate(1);
            WsLayout one = new WsLayout(SPEC, 1, 1);
            float[] zoo = new float[2 * (int) one.size()];
            for (int i = 0; i < zoo.length; i++) zoo[i] = (float) Math.sin(i);
            CheckpointMetadata md = new CheckpointMetadata(model, SPEC, "test_accuracy", EntryNormalizer.fit(one, zoo, new int[]{0, 1}));
            for (Param p : params.all()) TENSORS.put(p.name(), HostTensor.f32(p.shape(), params.read(p)));
            TENSORS.putAll(md.tensors());
            METADATA = md.toMap();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void load(byte[] data) throws IOException {
        String[] parts = new String(data, StandardCharsets.UTF_8).split("\0", -1);
        Map<String, String> md = new LinkedHashMap<>(METADATA);
        for (int k = 0; k < KEYS.length && k < parts.length; k++)
            if (!parts[k].isEmpty()) md.put(KEYS[k], parts[k]);
        Path file = DIR.resolve("checkpoint.safetensors");
        Safetensors.write(file, TENSORS, md);
        try (Predictor p = Predictor.load(file, OPS)) {
            HostWeights x = new HostWeights(new WsLayout(p.spec(), 1, 1), new float[Math.toIntExact(new WsLayout(p.spec(), 1, 1).size())]);
            try {
                for (float v : p.predict(x)) assertTrue(Float.isFinite(v), "prediction " + v);
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().chars().noneMatch(Character::isISOControl), e.getMessage()); // an input the model refuses: one line
            }
        } catch (NfnFormatException e) {
            assertEquals(file, e.file(), e.getMessage());
            assertTrue(e.getMessage().chars().noneMatch(Character::isISOControl) && e.getMessage().length() < 1000, e.getMessage());
        }
    }
}
