package dev.nfn4j.zoo;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX datasets (the Fashion-MNIST file format) with random pixels and labels for tests. */
public final class TinyImages {
    private TinyImages() {
    }

    /**
     * The real Fashion-MNIST folder (Debian's dataset-fashion-mnist, which .ci/run installs, or
     * {@code -Dnfn4j.fashionMnist=DIR}). A test that needs it is skipped with the reason when it is
     * absent, and fails under CI (the CI environment variable set), as TestBackends does for SIMD.
     */
    public static Path realFashionMnist() {
        Path dir = Path.of(System.getProperty("nfn4j.fashionMnist", ImageData.DEBIAN_FASHION_MNIST.toString()));
        if (!Files.exists(dir.resolve(ImageData.TRAIN_IMAGES))) {
            String why = "Fashion-MNIST not found in " + dir + " (apt-get install dataset-fashion-mnist, or -Dnfn4j.fashionMnist=DIR)";
            if (System.getenv("CI") != null) org.junit.jupiter.api.Assertions.fail(why + "; CI requires it");
            org.junit.jupiter.api.Assumptions.abort(why);
        }
        return dir;
    }

    /** An IDX file: magic, dims as int32 big-endian, then the data bytes (gzip when the name ends in .gz). */
    static void writeIdx(Path file, int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(bytes);
        d.writeInt(magic);
        for (int x : dims) d.writeInt(x);
        d.write(data);
        try (OutputStream out = file.toString().endsWith(".gz") ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
            out.write(bytes.toByteArray());
        }
    }

    /** n random images of rows x cols. */
    public static byte[] pixels(int n, int rows, int cols, Random r) {
        byte[] b = new byte[n * rows * cols];
        r.nextBytes(b);
        return b;
    }

    /** n random labels of the ten classes. */
    public static byte[] labels(int n, Random r) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) r.nextInt(ImageData.CLASSES);
        return b;
    }

    /** The four Fashion-MNIST files in dir: train and test sets of random images of rows x cols. */
    public static Path write(Path dir, int train, int test, int rows, int cols, long seed) throws IOException {
        Random r = new Random(seed);
        Files.createDirectories(dir);
        writeIdx(dir.resolve(ImageData.TRAIN_IMAGES), ImageData.IMAGES_MAGIC, new int[]{train, rows, cols}, pixels(train, rows, cols, r));
        writeIdx(dir.resolve(ImageData.TRAIN_LABELS), ImageData.LABELS_MAGIC, new int[]{train}, labels(train, r));
        writeIdx(dir.resolve(ImageData.TEST_IMAGES), ImageData.IMAGES_MAGIC, new int[]{test, rows, cols}, pixels(test, rows, cols, r));
        writeIdx(dir.resolve(ImageData.TEST_LABELS), ImageData.LABELS_MAGIC, new int[]{test}, labels(test, r));
        return dir;
    }
}
