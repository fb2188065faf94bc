package dev.nfn4j.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.testing.Compare;
import dev.nfn4j.testing.TestBackends;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every backend's Adam and AdamW against torch.optim's, bit for bit: {@code
 * torch-optim/adam_float32.safetensors} ({@code scripts/torch_adam_fixture.py}) holds PyTorch
 * 1.13's float32 parameters and moments after each of several steps on random data, for
 * several learning rates, betas, eps and weight decays.
 */
class AdamConformanceTest {
    private static final String FIXTURE = "adam_float32.safetensors";

    @TestFactory
    List<DynamicTest> adamAndAdamWAreTorchOptimsBitForBit() throws IOException {
        SafetensorsFile f = Safetensors.read(ConformanceFixtures.torchOptimFile(FIXTURE));
        List<DynamicTest> tests = new ArrayList<>();
        for (Ops ops : TestBackends.all())
            for (String c : f.metadata().get("cases").split(","))
                tests.add(DynamicTest.dynamicTest(ops.name() + ": " + c, () -> runCase(ops, f, c)));
        return tests;
    }

    private static void runCase(Ops ops, SafetensorsFile f, String c) throws IOException {
        AdamConfig cfg = config(new ObjectMapper().readTree(f.metadata().get(c + ".config")));
        float[] p0 = f.find(c + ".param0").toFloats(), grads = f.find(c + ".grad").toFloats();
        float[] wantP = f.find(c + ".param").toFloats(), wantM = f.find(c + ".m").toFloats(), wantV = f.find(c + ".v").toFloats();
        int n = p0.length, steps = grads.length / n;
        Ptr p = ops.alloc(n).at(0), g = ops.alloc(n).at(0), m = ops.alloc(n).at(0), v = ops.alloc(n).at(0);
        ops.upload(p0, 0, p, n);
        for (int t = 0; t < steps; t++) {
            ops.upload(grads, t * n, g, n);
            ops.adamStep(n, p, g, m, v, cfg, t + 1);
            String at = ops.name() + " " + c + " step " + (t + 1) + ": ";
            Compare.assertBitIdentical(read(ops, m, n), Arrays.copyOfRange(wantM, t * n, (t + 1) * n), at + "m");
            Compare.assertBitIdentical(read(ops, v, n), Arrays.copyOfRange(wantV, t * n, (t + 1) * n), at + "v");
            Compare.assertBitIdentical(read(ops, p, n), Arrays.copyOfRange(wantP, t * n, (t + 1) * n), at + "param");
        }
    }

    private static AdamConfig config(JsonNode j) {
        boolean decoupled = switch (j.get("optimizer").asText()) {
            case "Adam" -> false;
            case "AdamW" -> true;
            default -> throw new IllegalArgumentException("unknown optimizer " + j.get("optimizer"));
        };
        return new AdamConfig(j.get("lr").asDouble(), j.get("beta1").asDouble(), j.get("beta2").asDouble(), j.get("eps").asDouble(),
                j.get("weight_decay").asDouble(), decoupled);
    }

    private static float[] read(Ops ops, Ptr p, int n) {
        float[] out = new float[n];
        ops.download(p, out, 0, n);
        return out;
    }
}
