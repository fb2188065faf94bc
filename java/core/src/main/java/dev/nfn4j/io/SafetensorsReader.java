package dev.nfn4j.io;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Reads a whole safetensors file: header first, fully validated, then each tensor. */
final class SafetensorsReader {
    /** The same cap as the reference implementation; guards against a huge bogus length. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private SafetensorsReader() {
    }

    static SafetensorsFile read(Path file) throws IOException {
        if (!Safetensors.isGzipped(file)) return read(file, file);
        // Decompressed into a temporary file, which the reader below takes as any other; every
        // message names the .gz file.
        Path plain = Files.createTempFile("nfn4j-", ".safetensors");
        try {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(file), 1 << 16)) {
                Files.copy(in, plain, StandardCopyOption.REPLACE_EXISTING);
            } catch (ZipException | EOFException e) {
                throw new NfnFormatException(file, "is not a complete gzip file (" + e.getMessage() + ")");
            } catch (IOException e) {
                throw NfnFormatException.reading(file, e);
            }
            return read(plain, file);
        } finally {
            Files.deleteIfExists(plain);
        }
    }

    /** Reads the safetensors bytes of {@code data}; errors and the result name {@code file}. */
    private static SafetensorsFile read(Path data, Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
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
