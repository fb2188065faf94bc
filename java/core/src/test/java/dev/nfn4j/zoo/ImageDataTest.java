package dev.nfn4j.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.io.NfnFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDataTest {
    @TempDir
    Path tmp;

    @Test
    void readsTheFourFilesWithTheirSizesAndPixels() throws IOException {
        Path dir = TinyImages.write(tmp.resolve("d"), 7, 3, 5, 4, 1);
        ImageData.Split s = ImageData.load(dir);
        assertEquals(7, s.train().count());
        assertEquals(3, s.test().count());
        assertEquals(5, s.train().rows());
        assertEquals(4, s.train().cols());
        Random r = new Random(1); // the same draws TinyImages made
        byte[] px = TinyImages.pixels(7, 5, 4, r), labels = TinyImages.labels(7, r);
        assertEquals((px[3 * 20 + 6] & 0xff) / 255f, s.train().pixel(3, 6));
        assertEquals(labels[5], s.train().label(5));
    }

    /** Replaces one file of a good dataset, expects an NfnFormatException naming it and saying what is wrong. */
    private void assertRejected(String file, int magic, int[] dims, byte[] data, String message) throws IOException {
        Path dir = TinyImages.write(tmp.resolve(file + magic + message.length()), 6, 4, 3, 3, 2);
        TinyImages.writeIdx(dir.resolve(file), magic, dims, data);
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> ImageData.load(dir));
        assertTrue(e.getMessage().contains(file), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void badFilesAreRefusedNamingTheFile() throws IOException {
        assertRejected(ImageData.TRAIN_IMAGES, 0x00000801, new int[]{6, 3, 3}, new byte[54], "magic number 0x00000801, expected 0x00000803");
        assertRejected(ImageData.TEST_LABELS, 0x00000803, new int[]{4}, new byte[4], "magic number");
        assertRejected(ImageData.TRAIN_IMAGES, ImageData.IMAGES_MAGIC, new int[]{6, 3, 3}, new byte[50], "truncated");
        assertRejected(ImageData.TRAIN_IMAGES, ImageData.IMAGES_MAGIC, new int[]{6, 3, 3}, new byte[55], "bytes after");
        assertRejected(ImageData.TRAIN_IMAGES, ImageData.IMAGES_MAGIC, new int[]{6, 0, 3}, new byte[0], "dimension 1 is 0");
        assertRejected(ImageData.TRAIN_LABELS, ImageData.LABELS_MAGIC, new int[]{5}, new byte[5], "holds 5 labels but train-images-idx3-ubyte.gz holds 6");
        assertRejected(ImageData.TEST_LABELS, ImageData.LABELS_MAGIC, new int[]{4}, new byte[]{0, 1, 10, 2}, "label 10 of item 2");
        assertRejected(ImageData.TEST_IMAGES, ImageData.IMAGES_MAGIC, new int[]{4, 3, 2}, new byte[24], "are 3x2 but the training images");
    }

    @Test
    void notGzipOrMissingFilesAreClearErrors() throws IOException {
        Path dir = TinyImages.write(tmp.resolve("g"), 4, 2, 2, 2, 3);
        Files.write(dir.resolve(ImageData.TRAIN_LABELS), new byte[]{1, 2, 3});
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> ImageData.load(dir));
        assertTrue(e.getMessage().contains(ImageData.TRAIN_LABELS) && e.getMessage().contains("gzip"), e.getMessage());
        Path other = TinyImages.write(tmp.resolve("m"), 4, 2, 2, 2, 3);
        Files.delete(other.resolve(ImageData.TEST_IMAGES));
        NoSuchFileException m = assertThrows(NoSuchFileException.class, () -> ImageData.load(other));
        assertTrue(m.getMessage().contains(ImageData.TEST_IMAGES), m.getMessage());
        NoSuchFileException f = assertThrows(NoSuchFileException.class, () -> ImageData.load(tmp.resolve("absent")));
        assertTrue(f.getMessage().contains("dataset-fashion-mnist"), f.getMessage());
    }

    /** The real Fashion-MNIST: skipped with the reason when absent, a failure under CI ({@link TinyImages#realFashionMnist}). */
    @Test
    void realFashionMnistWhenInstalled() throws IOException {
        Path dir = TinyImages.realFashionMnist();
        ImageData.Split s = ImageData.load(dir);
        assertEquals(60000, s.train().count());
        assertEquals(10000, s.test().count());
        assertEquals(28, s.train().rows());
        assertEquals(28, s.test().cols());
        int[] perClass = new int[ImageData.CLASSES];
        for (int i = 0; i < s.test().count(); i++) perClass[s.test().label(i)]++;
        for (int c : perClass) assertEquals(1000, c); // Fashion-MNIST's test set is balanced
    }
}
