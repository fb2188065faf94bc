package dev.nfn4j.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.NetworkSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The GPU benchmark harness on the CPU: what it times is the trainer's step, and its JSON is complete. */
class GpuBenchTest {
    /** The graph-capturable step (loss gradient and Adam's count on the backend) gives the host-loss step's gradients. */
    @Test
    void deviceStepGivesTheHostLossStepsGradients() {
        Ops ops = Backends.byName("reference");
        NetworkSpec spec = Workloads.parseSpec("2,5,3,2", "2x2,-,-");
        for (String mode : new String[]{"HNP", "NP_IO"}) {
            Workloads.TrainCase host = new Workloads.TrainCase(ops, mode, spec, new int[]{3, 2}, 7, 3);
            Workloads.TrainCase device = new Workloads.TrainCase(ops, mode, spec, new int[]{3, 2}, 7, 3);
            host.hostLossStep();
            device.deviceStep();
            device.adam.countStep();
            int n = Math.toIntExact(host.params.count());
            float[] gh = new float[n], gd = new float[n];
            ops.download(host.params.gradBuffer().at(0), gh, 0, n);
            ops.download(device.params.gradBuffer().at(0), gd, 0, n);
            double scale = 0;
            for (float g : gh) scale = Math.max(scale, Math.abs(g));
            assertTrue(scale > 0, mode + ": no gradient at all");
            assertArrayEquals(gh, gd, (float) (1e-5 * scale), mode + ": device-loss gradients differ from the trainer's");
        }
    }

    /** The JSON path (a cold JVM makes every named workload slow here: those run in {@code native/gpu-check.sh selftest}). */
    @Test
    void writesJsonPerWorkload(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("bench.json");
        int rc = new CommandLine(new GpuBench()).execute("--backend", "reference", "--reps", "3", "--warmup", "1",
                "--only", "copy", "--copy-mib", "1", "--out", out.toString());
        assertEquals(0, rc);
        JsonNode root = new ObjectMapper().readTree(out.toFile());
        assertEquals("reference", root.get("device").asText());
        JsonNode copy = root.get("workloads").get(0);
        assertEquals("nfn4j_copy", copy.get("name").asText());
        assertEquals(8.0 * (1 << 18), copy.get("bytes").asDouble());
        assertEquals(3, copy.get("graph").get("reps").asInt());
        assertTrue(copy.get("graph").get("median_ms").asDouble() > 0, copy.toString());
    }

    @Test
    void anUnavailableBackendStillLeavesJson(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("bench.json");
        assertEquals(2, new CommandLine(new GpuBench()).execute("--backend", "nosuch", "--out", out.toString()));
        assertTrue(new ObjectMapper().readTree(out.toFile()).get("error").asText().contains("nosuch"));
    }

    /** Floors of np_mlp256_c32: 134,154 entries per sample (2 x 256 x 256 + 10 x 256 weights, 522 biases) x 32 channels x batch 8. */
    @Test
    void layerFloorsCountEntriesAndMixes() {
        Workloads.Named w = Workloads.named("np_mlp256_c32_fwd");
        Workloads.LayerCase c = new Workloads.LayerCase(Backends.byName("reference"), w.mode(), w.spec(), w.cin(), w.cout(), w.batch());
        assertEquals(134_154L * 32 * 8, c.inFloats());
        assertEquals(4.0 * 2 * 134_154 * 32 * 8, c.bytes(false));
        assertEquals(4.0 * 5 * 134_154 * 32 * 8, c.bytes(true));
        assertEquals(2.0 * 32 * 32 * 8 * (256 * 256 * 2 + 10 * 256), c.flops(false));
        assertEquals(3 * c.flops(false), c.flops(true));
    }
}
