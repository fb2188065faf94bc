package dev.nfn4j.zoo;

import dev.nfn4j.io.NfnFormatException;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * A labelled image set in the IDX format of MNIST and Fashion-MNIST (LeCun et al.): a
 * big-endian header of magic {@code 0x00000803} (unsigned bytes, 3 dims) or {@code 0x00000801}
 * (1 dim), the dimension sizes as int32, then the bytes. Pixels stay bytes (60,000 images are
 * 47 MB as bytes, 188 MB as floats); {@link #pixel} scales to [0, 1].
 *
 * @param images N x rows x cols pixels, row-major
 * @param labels N class indices in [0, classes)
 */
public record ImageData(int count, int rows, int cols, byte[] images, byte[] labels) {
    /** Fashion-MNIST's and MNIST's ten classes. */
    public static final int CLASSES = 10;
    /** Fashion-MNIST's class names, by label. */
    public static final String[] FASHION_CLASSES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
            "Ankle boot"};
    /** Where Debian's {@code dataset-fashion-mnist} package installs the files. */
    public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz", TRAIN_LABELS = "train-labels-idx1-ubyte.gz",
            TEST_IMAGES = "t10k-images-idx3-ubyte.gz", TEST_LABELS = "t10k-labels-idx1-ubyte.gz";
    static final int IMAGES_MAGIC = 0x00000803, LABELS_MAGIC = 0x00000801;

    /** Checks that the images and labels agree in count and size. */
    public ImageData {
        if ((long) count * rows * cols != images.length || labels.length != count)
            throw new IllegalArgumentException(count + " images of " + rows + "x" + cols + " need " + (long) count * rows * cols + " pixels and "
                    + count + " labels, got " + images.length + " and " + labels.length);
    }

    /** The training and test halves of a dataset (same image size). */
    public record Split(ImageData train, ImageData test) {
    }

    /** Pixels per image. */
    public int pixels() {
        return rows * cols;
    }

    /** Pixel q of image i, in [0, 1]. */
    public float pixel(int i, int q) {
        return (images[i * pixels() + q] & 0xff) / 255f;
    }

    /** The class of image i. */
    public int label(int i) {
        return labels[i];
    }

    /**
     * Reads the four files of Fashion-MNIST (or MNIST) from {@code dir}: {@value #TRAIN_IMAGES},
     * {@value #TRAIN_LABELS}, {@value #TEST_IMAGES}, {@value #TEST_LABELS}. Errors name the file:
     * a missing file, a wrong magic number, dimensions that disagree between images and labels or
     * between train and test, a truncated or overlong file, a label outside [0, 10).
     */
    public static Split load(Path dir) throws IOException {
        if (!Files.isDirectory(dir))
            throw new NoSuchFileException(dir.toString(), null, "no such folder (Fashion-MNIST: apt-get install dataset-fashion-mnist installs it in "
                    + DEBIAN_FASHION_MNIST + ")");
        ImageData train = read(dir.resolve(TRAIN_IMAGES), dir.resolve(TRAIN_LABELS));
        ImageData test = read(dir.resolve(TEST_IMAGES), dir.resolve(TEST_LABELS));
        if (train.rows != test.rows || train.cols != test.cols)
            throw new NfnFormatException(dir.resolve(TEST_IMAGES), "images are " + test.rows + "x" + test.cols + " but the training images ("
                    + TRAIN_IMAGES + ") are " + train.rows + "x" + train.cols);
        return new Split(train, test);
    }

    /** One images file and its labels file. */
    public static ImageData read(Path imagesFile, Path labelsFile) throws IOException {
        int[] dims = new int[3];
        byte[] images = readIdx(imagesFile, IMAGES_MAGIC, dims);
        int[] ldims = new int[1];
        byte[] labels = readIdx(labelsFile, LABELS_MAGIC, ldims);
        if (ldims[0] != dims[0])
            throw new NfnFormatException(labelsFile, "holds " + ldims[0] + " labels but " + imagesFile.getFileName() + " holds " + dims[0] + " images");
        for (int i = 0; i < labels.length; i++)
            if (labels[i] < 0 || labels[i] >= CLASSES)
                throw new NfnFormatException(labelsFile, "label " + (labels[i] & 0xff) + " of item " + i + " is outside [0, " + CLASSES + ")");
        return new ImageData(dims[0], dims[1], dims[2], images, labels);
    }

    /**
     * An IDX file of unsigned bytes (gzip when the name ends in .gz): checks the magic, reads
     * dims.length sizes, returns the data. An uncompressed file must hold exactly the bytes its
     * header promises before anything is allocated; a gzip stream is read as it arrives, so a
     * header that promises more than the stream holds costs only the bytes that are there.
     */
    private static byte[] readIdx(Path file, int magic, int[] dims) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "missing IDX file");
        boolean gzip = file.getFileName().toString().endsWith(".gz");
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw) {
            DataInputStream d = new DataInputStream(in);
            int m = d.readInt();
            if (m != magic)
                throw new NfnFormatException(file, String.format("magic number 0x%08x, expected 0x%08x (unsigned bytes, %d dimension%s)", m, magic,
                        dims.length, dims.length == 1 ? "" : "s"));
            long size = 1;
            for (int i = 0; i < dims.length; i++) {
                dims[i] = d.readInt();
                if (dims[i] < 1) throw new NfnFormatException(file, "dimension " + i + " is " + dims[i] + ", must be >= 1");
                size *= dims[i];
                if (size > Integer.MAX_VALUE - 8) throw new NfnFormatException(file, "holds more bytes than one Java array can");
            }
            long present = Files.size(file) - 4L * (1 + dims.length);
            if (!gzip && size != present)
                throw new NfnFormatException(file, size > present
                        ? "truncated: the header promises " + size + " data bytes, the file holds " + present
                        : "has bytes after the " + size + " data bytes its header promises");
            byte[] data = d.readNBytes((int) size); // grows as bytes arrive
            if (data.length < size)
                throw new NfnFormatException(file, "truncated: the header promises " + size + " data bytes, the file holds " + data.length);
            if (d.read() >= 0) throw new NfnFormatException(file, "has bytes after the " + size + " data bytes its header promises");
            return data;
        } catch (EOFException e) {
            throw new NfnFormatException(file, null, "truncated header", e);
        } catch (java.util.zip.ZipException e) {
            throw new NfnFormatException(file, null, "not a valid gzip file: " + e.getMessage(), e);
        } catch (IOException e) {
            throw NfnFormatException.reading(file, e);
        }
    }
}
