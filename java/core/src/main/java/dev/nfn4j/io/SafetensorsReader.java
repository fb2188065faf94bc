package dev.nfn4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads a whole safetensors file: header first, fully validated, then each tensor. */
final class SafetensorsReader {
    /** The same cap as the reference implementation; guards against a huge bogus length. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private SafetensorsReader() {
    }

    static SafetensorsFile read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new NfnFormatException(file, "file has " + size
                        + " bytes, too few for the 8-byte header length (empty or truncated file?)");
            }
            long headerLength = readBytes(file, ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            // Compared unsigned: a length with the top bit set is simply too large.
            if (Long.compareUnsigned(headerLength, size - 8) > 0) {
                throw new NfnFormatException(file, "header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the " + (size - 8) + " bytes after the length field (truncated or not safetensors?)");
            }
            if (headerLength > MAX_HEADER_BYTES) {
                throw new NfnFormatException(file, "header length " + headerLength + " exceeds the limit of "
                        + MAX_HEADER_BYTES + " bytes");
            }
            byte[] header = readBytes(file, ch, 8, (int) headerLength).array();
            long dataStart = 8 + headerLength;
            HeaderParser.Header h = HeaderParser.parse(file, header, size - dataStart);

            TensorCodec codec = new TensorCodec(file);
            Map<String, HostTensor> tensors = new LinkedHashMap<>();
            for (TensorEntry e : h.entries()) {
                tensors.put(e.name(), codec.read(ch, dataStart, e));
            }
            return new SafetensorsFile(file, h.metadata(), tensors);
        } catch (IOException e) {
            throw NfnFormatException.reading(file, e);
        }
    }

    private static ByteBuffer readBytes(Path file, FileChannel ch, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            if (ch.read(buf, position + buf.position()) < 0) {
                throw new NfnFormatException(file, "file ended at byte " + (position + buf.position())
                        + " while reading the header");
            }
        }
        return buf.flip();
    }
}
