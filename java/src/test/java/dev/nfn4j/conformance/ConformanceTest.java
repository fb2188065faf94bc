package dev.nfn4j.conformance;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.testing.TestBackends;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * The acceptance test: every fixture made by the PyTorch nfn must match on every backend.
 * Fixtures come from two folders: the NF-Layers and models of {@code -Dnfn4j.conformanceDir}
 * (default ../shared/conformance/nfn) and nfn's other layers of {@code -Dnfn4j.conformanceLayersDir}
 * (default: the folder nfn-layers beside it). Where a folder is absent its suite is skipped with
 * that reason, except under CI, where it fails. A case this library does not implement yet
 * ({@link Conformance.Result#skipped}) is reported as skipped with its reason, never as passed.
 */
class ConformanceTest {
    static Path fixtureDir() {
        String d = System.getProperty("nfn4j.conformanceDir", "");
        return Path.of(d.isBlank() ? "../shared/conformance/nfn" : d).toAbsolutePath().normalize();
    }

    static Path layersFixtureDir() {
        String d = System.getProperty("nfn4j.conformanceLayersDir", "");
        return d.isBlank() ? fixtureDir().resolveSibling("nfn-layers") : Path.of(d).toAbsolutePath().normalize();
    }

    @TestFactory
    List<DynamicTest> everyFixtureMatchesPytorchNfn() throws IOException {
        return fixtures(fixtureDir(), "nfn4j.conformanceDir");
    }

    @TestFactory
    List<DynamicTest> everyOtherLayerFixtureMatchesPytorchNfn() throws IOException {
        return fixtures(layersFixtureDir(), "nfn4j.conformanceLayersDir");
    }

    private static List<DynamicTest> fixtures(Path dir, String property) throws IOException {
        if (!Files.isDirectory(dir)) {
            String why = "conformance fixtures not found at " + dir + " (set -D" + property + ")";
            if (System.getenv("CI") != null) fail(why + "; CI must run them");
            abort(why);
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
        assertFalse(files.isEmpty(), "no fixtures in " + dir);
        List<DynamicTest> tests = new ArrayList<>();
        for (Ops ops : TestBackends.all())
            for (Path f : files)
                tests.add(DynamicTest.dynamicTest(ops.name() + ": " + f.getFileName(), () -> {
                    Conformance.Result r = Conformance.run(f, ops);
                    if (r.skipped()) abort(f.getFileName() + ": " + r.notImplemented());
                    assertTrue(r.pass(), () -> f.getFileName() + " on " + ops.name() + ": " + (r.error() != null ? r.error() : r.checks()));
                }));
        return tests;
    }
}
