package dev.nfn4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nfn4j.io.DType;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;

/** safetensors files: {@link Safetensors#read}, header and every tensor. */
class SafetensorsFuzzTest {
    private static final Path DIR = ReaderInvariant.scratch("safetensors");

    @FuzzTest(maxDuration = "30s")
    void read(byte[] data) throws IOException {
        readInput(data);
    }

    /** One input; also reached through {@link AnyReaderFuzzTest}. */
    static void readInput(byte[] data) throws IOException {
        Path f = DIR.resolve("x.safetensors");
        ReaderInvariant.put(f, data);
        ReaderInvariant.check(f, data.length, () -> {
            SafetensorsFile s = Safetensors.read(f);
            for (String name : s.names()) {
                HostTensor t = s.get(name);
                long n = t.dtype() == DType.I32 || t.dtype() == DType.I64 ? t.toLongs().length : t.toDoubles().length;
                assertEquals(t.numel(), n, name);
            }
            s.metadata().forEach((k, v) -> assertEquals(v, s.metadata().get(k)));
        });
    }
}
