package dev.nfn4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Moves tensor data between a file and Java arrays through one small reusable buffer,
 * so reading or writing never holds more than the arrays themselves plus 1 MiB.
 */
final class TensorCodec {
    private static final int CHUNK_BYTES = 1 << 20; // a multiple of every element size

    private final ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final Path file;

    TensorCodec(Path file) {
        this.file = file;
    }

    /** Reads and decodes one validated entry whose data section starts at {@code dataStart}. */
    HostTensor read(FileChannel ch, long dataStart, TensorEntry e) throws IOException {
        int n = e.numel();
        DType dtype = e.dtype();
        float[] floats = null;
        double[] doubles = null;
        long[] longs = null;
        switch (dtype) {
            case F32, F16, BF16 -> floats = new float[n];
            case F64 -> doubles = new double[n];
            case I32, I64 -> longs = new long[n];
        }
        int size = dtype.byteSize();
        int perChunk = CHUNK_BYTES / size;
        for (int done = 0; done < n; done += perChunk) {
            int count = Math.min(perChunk, n - done);
            chunk.clear().limit(count * size);
            readFully(ch, dataStart + e.begin() + (long) done * size, e.name());
            chunk.flip();
            switch (dtype) {
                case F32 -> chunk.asFloatBuffer().get(floats, done, count);
                case F64 -> chunk.asDoubleBuffer().get(doubles, done, count);
                case I64 -> chunk.asLongBuffer().get(longs, done, count);
                case I32 -> {
                    for (int i = 0; i < count; i++) {
                        longs[done + i] = chunk.getInt(4 * i);
                    }
                }
                // Float.float16ToFloat is exact for every half, subnormals, infinities and NaN included.
                case F16 -> {
                    for (int i = 0; i < count; i++) {
                        floats[done + i] = Float.float16ToFloat(chunk.getShort(2 * i));
                    }
                }
                // bfloat16 is the upper half of a float32, so widening is a shift.
                case BF16 -> {
                    for (int i = 0; i < count; i++) {
                        floats[done + i] = Float.intBitsToFloat((chunk.getShort(2 * i) & 0xFFFF) << 16);
                    }
                }
            }
        }
        return switch (dtype) {
            case F32, F16, BF16 -> HostTensor.f32(e.shape(), floats);
            case F64 -> HostTensor.f64(e.shape(), doubles);
            case I32, I64 -> HostTensor.ofLongs(dtype, e.shape(), longs);
        };
    }

    /** Encodes and appends one tensor at the channel's position, in its own dtype. */
    void write(FileChannel ch, HostTensor t) throws IOException {
        DType dtype = t.dtype();
        int n = (int) t.numel();
        int size = dtype.byteSize();
        int perChunk = CHUNK_BYTES / size;
        for (int done = 0; done < n; done += perChunk) {
            int count = Math.min(perChunk, n - done);
            chunk.clear();
            switch (dtype) {
                case F32 -> chunk.asFloatBuffer().put(t.floatData(), done, count);
                case F64 -> chunk.asDoubleBuffer().put(t.doubleData(), done, count);
                case I64 -> chunk.asLongBuffer().put(t.longData(), done, count);
                case I32 -> {
                    long[] src = t.longData();
                    for (int i = 0; i < count; i++) {
                        chunk.putInt(4 * i, (int) src[done + i]); // read as I32, so it fits
                    }
                }
                case F16, BF16 -> throw new IllegalStateException("HostTensor never holds " + dtype);
            }
            chunk.limit(count * size); // the views above leave this buffer's position at 0
            writeFully(ch, chunk);
        }
    }

    static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Fills the chunk from {@code position}; a file that shrank since validation is a format error. */
    private void readFully(FileChannel ch, long position, String tensor) throws IOException {
        long pos = position;
        while (chunk.hasRemaining()) {
            int r = ch.read(chunk, pos);
            if (r < 0) {
                throw new NfnFormatException(file, tensor, "file ended at byte " + pos + " while reading the data");
            }
            pos += r;
        }
    }
}
