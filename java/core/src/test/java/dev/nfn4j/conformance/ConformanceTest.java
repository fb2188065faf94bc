package dev.nfn4j.conformance;

import dev.nfn4j.io.Safetensors;
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
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * The acceptance test: every fixture made by the PyTorch nfn must match on every backend.
 * Fixtures come from the two folders of {@link ConformanceFixtures}: the NF-Layers and models,
 * and nfn's other layers. A case this library does not implement yet
 * ({@link Conformance.Result#skipped}) is reported as skipped with its reason, never as passed.
 */
class ConformanceTest {
    @TestFactory
    List<DynamicTest> everyFixtureMatchesPytorchNfn() throws IOException {
        return fixtures(ConformanceFixtures.nfnDir());
    }

    @TestFactory
    List<DynamicTest> everyOtherLayerFixtureMatchesPytorchNfn() throws IOException {
        return fixtures(ConformanceFixtures.layersDir());
    }

    private static List<DynamicTest> fixtures(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> Safetensors.isFileName(p.getFileName().toString())).sorted().toList();
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
