package dev.nfn4j.conformance;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where the tests find the fixtures made by the PyTorch nfn: {@code src/test/conformance/nfn} and
 * {@code src/test/conformance/nfn-layers} of this module (README.md there gives the format), or
 * the folders of {@code -Dnfn4j.conformanceDir} and {@code -Dnfn4j.conformanceLayersDir}. They
 * travel with the repository, so a missing folder is a failure, never a skip.
 */
public final class ConformanceFixtures {
    private ConformanceFixtures() {}

    /** The NF-Layer, pooling and model cases: {@code nfn/}. */
    public static Path nfnDir() {
        return folder("nfn4j.conformanceDir", "src/test/conformance/nfn");
    }

    /** nfn's other layers (norms, attention, encodings) and the SIREN case: {@code nfn-layers/}. */
    public static Path layersDir() {
        return folder("nfn4j.conformanceLayersDir", "src/test/conformance/nfn-layers");
    }

    /** torch.optim's float32 optimizer fixtures: {@code torch-optim/}, beside {@link #nfnDir()}. */
    public static Path torchOptimFile(String name) {
        return existing(nfnDir().resolveSibling("torch-optim").resolve(name));
    }

    /** One fixture of {@link #nfnDir()}, which must exist. */
    public static Path nfnFile(String name) {
        return existing(nfnDir().resolve(name));
    }

    private static Path existing(Path f) {
        assertTrue(Files.isRegularFile(f), "conformance fixture missing: " + f);
        return f;
    }

    private static Path folder(String property, String inModule) {
        String configured = System.getProperty(property, "");
        Path dir = Path.of(configured.isBlank() ? inModule : configured).toAbsolutePath().normalize();
        assertTrue(Files.isDirectory(dir), "conformance fixtures not found at " + dir + " (-D" + property + ")");
        return dir;
    }
}
