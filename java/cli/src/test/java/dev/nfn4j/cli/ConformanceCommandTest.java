package dev.nfn4j.cli;

import dev.nfn4j.conformance.ConformanceFixtures;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code nfn4j conformance} on nfn's other layers: every case passes, the SIREN case (the SIREN op) included. */
class ConformanceCommandTest {
    @Test
    void theOtherLayersAndTheSirenCasePass() {
        Path dir = ConformanceFixtures.layersDir();
        Object[] r = CliTest.run("conformance", dir.toString());
        String out = (String) r[1];
        assertEquals(0, r[0], out);
        assertTrue(out.contains("0 failed"), out);
        if (Files.exists(dir.resolve("siren_render.safetensors"))) {
            assertTrue(out.contains("SirenRender") && !out.contains("not implemented"), out);
        }
        assertTrue(out.contains("NPAttention") && out.contains("ParamLayerNorm") && !out.contains("FAIL"), out);
    }
}
