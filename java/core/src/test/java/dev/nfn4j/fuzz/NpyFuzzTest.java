package dev.nfn4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.Npy;
import dev.nfn4j.io.NpyHeader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/** {@code .npy} files: {@link Npy#header}, {@link Npy#read} and, for 2-D arrays, {@link Npy#readRows}. */
class NpyFuzzTest {
    private static final Path DIR = ReaderInvariant.scratch("npy");

    @FuzzTest(maxDuration = "30s")
    void read(byte[] data) throws IOException {
        readInput(data);
    }

    /** One input; also reached through {@link AnyReaderFuzzTest}. */
    static void readInput(byte[] data) throws IOException {
        Path f = DIR.resolve("x.npy");
        ReaderInvariant.put(f, data);
        ReaderInvariant.check(f, data.length, () -> {
            NpyHeader h = Npy.header(f);
            HostTensor t = Npy.read(f);
            assertEquals(h.numel(), t.numel());
            long[] shape = Arrays.stream(t.shape()).asLongStream().toArray();
            assertArrayEquals(h.shape(), shape);
            if (h.ndim() == 2 && h.shape()[0] > 0) {
                float[] last = Npy.readRows(f, new long[]{h.shape()[0] - 1});
                assertEquals(h.shape()[1], last.length);
            }
        });
    }
}
