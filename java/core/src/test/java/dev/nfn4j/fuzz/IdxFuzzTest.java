package dev.nfn4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nfn4j.zoo.ImageData;
import java.io.IOException;
import java.nio.file.Path;

/**
 * IDX images and labels (Fashion-MNIST's format), raw or gzip: {@link ImageData#read}. The input
 * is the images file, a separator ({@code "\0=====\0"}), then the labels file; a part that starts
 * with gzip's magic is named {@code .gz}.
 */
class IdxFuzzTest {
    private static final Path DIR = ReaderInvariant.scratch("idx");

    @FuzzTest(maxDuration = "30s")
    void read(byte[] data) throws IOException {
        readInput(data);
    }

    /** One input; also reached through {@link AnyReaderFuzzTest}. */
    static void readInput(byte[] data) throws IOException {
        byte[][] parts = ReaderInvariant.split(data, 2);
        Path images = file("images", parts[0]), labels = file("labels", parts[1]);
        ReaderInvariant.check(DIR, data.length, () -> {
            ImageData d = ImageData.read(images, labels);
            assertEquals((long) d.count() * d.rows() * d.cols(), d.images().length);
            for (int i = 0; i < d.count(); i++) assertTrue(d.label(i) >= 0 && d.label(i) < ImageData.CLASSES);
        });
    }

    private static Path file(String name, byte[] bytes) throws IOException {
        boolean gz = ReaderInvariant.isGzip(bytes);
        ReaderInvariant.put(DIR.resolve(name + (gz ? "" : ".gz")), null);
        Path f = DIR.resolve(name + (gz ? ".gz" : ""));
        ReaderInvariant.put(f, bytes);
        return f;
    }
}
