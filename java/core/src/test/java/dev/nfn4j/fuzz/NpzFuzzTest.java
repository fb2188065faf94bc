package dev.nfn4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.Npy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** {@code .npz} archives (zip, stored or deflated, zip64 included): {@link Npy#readNpz}. */
class NpzFuzzTest {
    private static final Path DIR = ReaderInvariant.scratch("npz");

    @FuzzTest(maxDuration = "30s")
    void read(byte[] data) throws IOException {
        readInput(data);
    }

    /** One input; also reached through {@link AnyReaderFuzzTest}. */
    static void readInput(byte[] data) throws IOException {
        Path f = DIR.resolve("x.npz");
        ReaderInvariant.put(f, data);
        ReaderInvariant.check(f, data.length, () -> {
            Map<String, HostTensor> arrays = Npy.readNpz(f);
            for (var e : arrays.entrySet()) {
                assertFalse(e.getKey().endsWith(".npy"), e.getKey());
                e.getValue().toDoubles(); // every element is there
            }
        });
    }
}
