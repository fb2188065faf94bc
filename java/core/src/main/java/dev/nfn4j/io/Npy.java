package dev.nfn4j.io;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * NumPy {@code .npy} arrays (format versions 1.0, 2.0 and 3.0) and {@code .npz} archives of them.
 * Float arrays only ('&lt;f4', '&lt;f8', '&gt;f4', '&gt;f8'), C order only. Every header is
 * validated (magic, version, length, dict syntax, dtype, shape, and that the data fills the rest
 * of the file exactly) before anything is allocated; problems are {@link NfnFormatException}s
 * naming the file (and the member of an .npz). An .npz member's recorded sizes are checked
 * against the archive's size before it is read, and its data against the recorded size and CRC-32.
 */
public final class Npy {
    private static final int CHUNK_BYTES = 1 << 20; // a multiple of both element sizes
    /** DEFLATE's largest expansion (about 1032:1); a member claiming more than that of its compressed size lies. */
    static final long MAX_DEFLATE_RATIO = 1032;

    private Npy() {
    }

    /** The validated header of {@code file}, without reading the data. */
    public static NpyHeader header(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return new NpyHeaderReader(file, null).read(Channels.newInputStream(ch), ch.size());
        } catch (IOException e) {
            throw NfnFormatException.reading(file, e);
        }
    }

    /** Reads a whole array: an F32 tensor for 'f4' data, F64 for 'f8' (use {@code toFloats()} for floats). */
    public static HostTensor read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            NpyHeaderReader where = new NpyHeaderReader(file, null);
            InputStream in = Channels.newInputStream(ch);
            return decode(in, where.read(in, ch.size()), where);
        } catch (IOException e) {
            throw NfnFormatException.reading(file, e);
        }
    }

    /**
     * Reads the listed rows of a 2-D array {@code [N, P]} into one float array
     * {@code [rows.length, P]} (row k of the result is file row {@code rows[k]}; 'f8' is
     * rounded to float). Only those rows are read, in file order, so a 5 GB {@code weights.npy}
     * costs the memory of the rows kept.
     *
     * @throws IllegalArgumentException if a row is outside [0, N)
     */
    public static float[] readRows(Path file, long[] rows) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            NpyHeaderReader where = new NpyHeaderReader(file, null);
            NpyHeader h = where.read(Channels.newInputStream(ch), ch.size());
            if (h.ndim() != 2) throw where.fail("expected a 2-D array of rows, got shape " + h.shapeString());
            long n = h.shape()[0], p = h.shape()[1];
            for (int k = 0; k < rows.length; k++)
                if (rows[k] < 0 || rows[k] >= n)
                    throw new IllegalArgumentException("row " + rows[k] + " is outside the array's " + n + " rows (" + file + ")");
            if (rows.length == 0 || p == 0) return new float[0];
            int size = h.dtype().byteSize();
            if (p > HostTensor.MAX_ELEMENTS / rows.length || p * size > HostTensor.MAX_ELEMENTS)
                throw where.fail(rows.length + " rows of " + p + " floats do not fit in one Java array");
            return gather(ch, h, rows, where);
        } catch (IOException e) {
            throw NfnFormatException.reading(file, e);
        }
    }

    /** Reads the validated rows, front to back through the file. */
    private static float[] gather(FileChannel ch, NpyHeader h, long[] rows, NpyHeaderReader where) throws IOException {
        long n = h.shape()[0], p = h.shape()[1];
        int size = h.dtype().byteSize();
        float[] out = new float[(int) (rows.length * p)];
        ByteBuffer row = ByteBuffer.allocate((int) (p * size)).order(h.order());
        for (int k : fileOrder(rows, n)) {
            long at = h.dataOffset() + rows[k] * p * size;
            row.clear();
            while (row.hasRemaining()) {
                int r = ch.read(row, at + row.position());
                if (r < 0) throw where.fail("file ended while reading row " + rows[k]);
            }
            row.flip();
            if (h.dtype() == DType.F32) {
                row.asFloatBuffer().get(out, (int) (k * p), (int) p);
            } else {
                DoubleBuffer d = row.asDoubleBuffer();
                for (int j = 0; j < p; j++) out[(int) (k * p) + j] = (float) d.get(j);
            }
        }
        return out;
    }

    /**
     * Writes an F32 ('&lt;f4') or F64 ('&lt;f8') tensor as a version 1.0 .npy file (2.0 if the
     * header outgrows 1.0's 2-byte length), atomically: temp file, fsync, ATOMIC_MOVE rename.
     */
    public static void write(Path file, HostTensor t) throws IOException {
        Objects.requireNonNull(t, "tensor");
        if (t.dtype() != DType.F32 && t.dtype() != DType.F64)
            throw new IllegalArgumentException("npy: only F32 and F64 tensors can be written, got " + t.dtype());
        byte[] header = header(t.dtype() == DType.F32 ? "<f4" : "<f8", t.shape());
        AtomicFile.write(file, out -> {
            TensorCodec.writeFully(out, ByteBuffer.wrap(header));
            new TensorCodec(file).write(out, t); // little-endian, in the tensor's dtype
        });
    }

    /**
     * Reads every array of an {@code .npz} archive ({@code np.savez} or {@code np.savez_compressed}),
     * keyed as numpy keys them (the member name without ".npy"), in archive order.
     */
    public static Map<String, HostTensor> readNpz(Path file) throws IOException {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            long fileSize = Files.size(file), compressed = 0;
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                ZipEntry ze = e.nextElement();
                if (ze.isDirectory()) continue;
                if (!ze.getName().endsWith(".npy"))
                    throw new NfnFormatException(file, ze.getName(), "archive member is not an .npy array");
                String key = ze.getName().substring(0, ze.getName().length() - 4);
                NpyHeaderReader where = new NpyHeaderReader(file, key);
                if (out.containsKey(key)) throw where.fail("appears twice in the archive");
                checkRecordedSizes(ze, fileSize, where);
                compressed += ze.getCompressedSize();
                if (compressed > fileSize)
                    throw where.fail("archive members record " + compressed + " compressed bytes, more than the file's " + fileSize);
                out.put(key, readMember(zip, ze, where));
            }
        } catch (ZipException e) {
            throw new NfnFormatException(file, null, "not a valid .npz (zip) archive: " + e.getMessage(), e);
        } catch (IOException e) {
            throw NfnFormatException.reading(file, e);
        }
        return out;
    }

    /**
     * Refuses a member whose recorded sizes its archive cannot hold: compressed bytes beyond the
     * file, a stored member whose two sizes differ, or a deflated one claiming more than DEFLATE
     * can expand to. This bounds what decoding allocates by the archive's real size.
     */
    private static void checkRecordedSizes(ZipEntry ze, long fileSize, NpyHeaderReader where) throws NfnFormatException {
        long size = ze.getSize(), compressed = ze.getCompressedSize();
        if (size < 0 || compressed < 0) throw where.fail("archive member has no recorded size");
        if (compressed > fileSize)
            throw where.fail("archive member records " + compressed + " compressed bytes, more than the file's " + fileSize);
        if (ze.getMethod() == ZipEntry.STORED && size != compressed)
            throw where.fail("stored archive member records " + size + " bytes but " + compressed + " stored bytes");
        if (ze.getMethod() == ZipEntry.DEFLATED && size > Math.max(compressed, 1) * MAX_DEFLATE_RATIO)
            throw where.fail("archive member claims " + size + " bytes from " + compressed
                    + " compressed bytes, more than DEFLATE can expand to (" + MAX_DEFLATE_RATIO + ":1)");
    }

    /** One member, checked to hold exactly its recorded size and CRC-32 (ZipFile checks neither). */
    private static HostTensor readMember(ZipFile zip, ZipEntry ze, NpyHeaderReader where) throws IOException {
        try (CheckedInputStream in = new CheckedInputStream(zip.getInputStream(ze), new CRC32())) {
            HostTensor t = decode(in, where.read(in, ze.getSize()), where);
            if (in.read() >= 0) throw where.fail("archive member holds more than its recorded " + ze.getSize() + " bytes");
            long crc = in.getChecksum().getValue();
            if (crc != ze.getCrc())
                throw where.fail(String.format("archive member's data has CRC-32 %08x but the archive records %08x (corrupt archive)",
                        crc, ze.getCrc()));
            return t;
        } catch (ZipException e) {
            throw where.fail("archive member's compressed data is corrupt: " + e.getMessage());
        } catch (EOFException e) {
            throw where.fail("archive member's compressed data ends early");
        }
    }

    /** Decodes the data that follows a validated header. */
    private static HostTensor decode(InputStream in, NpyHeader h, NpyHeaderReader where) throws IOException {
        long[] dims = h.shape();
        int[] shape = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] > Integer.MAX_VALUE) throw where.fail("shape " + h.shapeString() + " has a dimension too large for Java");
            shape[i] = (int) dims[i];
        }
        if (h.numel() > HostTensor.MAX_ELEMENTS)
            throw where.fail("shape " + h.shapeString() + " has " + h.numel() + " elements, more than one Java array holds");
        int n = (int) h.numel(), size = h.dtype().byteSize();
        byte[] chunk = new byte[Math.max(size, (int) Math.min(CHUNK_BYTES, h.dataBytes()))];
        ByteBuffer buf = ByteBuffer.wrap(chunk).order(h.order());
        float[] f = h.dtype() == DType.F32 ? new float[n] : null;
        double[] d = f == null ? new double[n] : null;
        int perChunk = chunk.length / size;
        for (int done = 0; done < n; done += perChunk) {
            int count = Math.min(perChunk, n - done);
            int got = in.readNBytes(chunk, 0, count * size);
            if (got < count * size)
                throw where.fail("data ended after " + ((long) done * size + got) + " of " + h.dataBytes() + " bytes");
            if (f != null) buf.asFloatBuffer().get(f, done, count);
            else buf.asDoubleBuffer().get(d, done, count);
        }
        return f != null ? HostTensor.f32(shape, f) : HostTensor.f64(shape, d);
    }

    /** A header as numpy writes it: the dict, spaces, '\n', the whole preamble a multiple of 64 bytes. */
    static byte[] header(String descr, int[] shape) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': "
                + NpyHeader.pythonTuple(Arrays.stream(shape).asLongStream().toArray()) + ", }";
        int major = 1, prefix = 10;
        int total = align64(prefix + dict.length() + 1);
        if (total - prefix > 0xFFFF) {
            major = 2;
            prefix = 12;
            total = align64(prefix + dict.length() + 1);
        }
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) major).put((byte) 0);
        if (major == 1) b.putShort((short) (total - prefix));
        else b.putInt(total - prefix);
        b.put(dict.getBytes(StandardCharsets.US_ASCII));
        while (b.position() < total - 1) b.put((byte) ' ');
        b.put((byte) '\n');
        return b.array();
    }

    private static int align64(int n) {
        return (n + 63) / 64 * 64;
    }

    /** Indices into {@code rows} sorted by row, so a gather reads the file front to back. */
    private static int[] fileOrder(long[] rows, long n) {
        int[] order = new int[rows.length];
        if (n > 1L << 32) { // cannot pack row and index into one long; keep the caller's order
            for (int k = 0; k < order.length; k++) order[k] = k;
            return order;
        }
        long[] keys = new long[rows.length];
        for (int k = 0; k < rows.length; k++) keys[k] = rows[k] << 31 | k;
        Arrays.sort(keys);
        for (int k = 0; k < rows.length; k++) order[k] = (int) (keys[k] & Integer.MAX_VALUE);
        return order;
    }
}
