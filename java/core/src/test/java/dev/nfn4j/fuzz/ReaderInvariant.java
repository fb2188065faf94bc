package dev.nfn4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.io.NfnFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What every reader owes a hostile file: it returns a well-formed result or throws an
 * {@link NfnFormatException} whose message is one short line naming the file. Anything else
 * (OutOfMemoryError, StackOverflowError, NullPointerException, IndexOutOfBoundsException, ...)
 * propagates and is a finding. A read may also allocate no more than {@link #allocationLimit}
 * for its input, so a header that claims more data than the file holds is refused before the
 * allocation, not after.
 */
final class ReaderInvariant {
    /** Fixed cost of a read (buffers, parsers, the 1 MiB codec chunk), whatever the input. */
    static final long BASE_ALLOCATION = 48L << 20;
    /** Per input byte: DEFLATE expands at most 1032 times, data may be widened (F16 to F32) or copied once. */
    static final long ALLOCATION_PER_BYTE = 4 * 1032;
    /** A message's description is cut at 300 characters; the rest is the path and a tensor name. */
    static final int MAX_MESSAGE_CHARS = 300 + 40 + 120;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final byte[] SEPARATOR = "\0=====\0".getBytes(StandardCharsets.ISO_8859_1);

    private ReaderInvariant() {
    }

    interface Read {
        void run() throws IOException;
    }

    /**
     * Runs {@code read} on files made from {@code inputBytes} bytes of fuzz input; an error must
     * name {@code where} (the file, or the folder its files are in).
     */
    static void check(Path where, long inputBytes, Read read) throws IOException {
        long limit = allocationLimit(inputBytes);
        long allocated = allocatedBy(where, read);
        // Class loading (and the fuzzer's instrumentation of the loaded classes) counts against the
        // first read that needs a class, so an excess is measured again before it is a finding.
        if (allocated > limit) allocated = allocatedBy(where, read);
        assertTrue(allocated <= limit, "a read of " + inputBytes + " input bytes allocated " + allocated + " bytes (limit " + limit + ")");
    }

    private static long allocatedBy(Path where, Read read) throws IOException {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        try {
            read.run();
        } catch (NfnFormatException e) {
            assertClean(where, e);
        }
        return THREADS.getCurrentThreadAllocatedBytes() - before;
    }

    static long allocationLimit(long inputBytes) {
        return BASE_ALLOCATION + ALLOCATION_PER_BYTE * inputBytes;
    }

    /** One line, not too long, naming {@code where}, in the form "problem (file[: tensor])". */
    static void assertClean(Path where, NfnFormatException e) {
        String m = e.getMessage();
        assertTrue(m != null && m.lines().count() == 1 && m.indexOf('\r') < 0, "not one line: " + m);
        assertTrue(m.length() <= MAX_MESSAGE_CHARS + where.toString().length(), "message of " + m.length() + " characters: " + m);
        assertTrue(m.contains(" (" + where) && m.endsWith(")"), "does not name " + where + ": " + m);
        assertTrue(e.file() != null && e.file().startsWith(where), "file() is " + e.file() + ", not in " + where);
    }

    /** The input cut at each separator into {@code n} parts (missing parts are empty). */
    static byte[][] split(byte[] data, int n) {
        List<byte[]> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i + SEPARATOR.length <= data.length && parts.size() < n - 1; i++) {
            if (Arrays.equals(data, i, i + SEPARATOR.length, SEPARATOR, 0, SEPARATOR.length)) {
                parts.add(Arrays.copyOfRange(data, start, i));
                start = i + SEPARATOR.length;
                i = start - 1;
            }
        }
        parts.add(Arrays.copyOfRange(data, start, data.length));
        while (parts.size() < n) parts.add(new byte[0]);
        return parts.toArray(byte[][]::new);
    }

    static boolean isGzip(byte[] b) {
        return b.length >= 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b;
    }

    /** A scratch folder per JVM, in memory where the system offers one. */
    static Path scratch(String name) {
        try {
            Path shm = Path.of("/dev/shm");
            Path parent = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
            Path dir = Files.createTempDirectory(parent, "nfn4j-fuzz-" + name + "-");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code bytes} to {@code file}, or removes it when {@code bytes} is null. */
    static void put(Path file, byte[] bytes) throws IOException {
        if (bytes == null) Files.deleteIfExists(file);
        else Files.write(file, bytes);
        file.toFile().deleteOnExit();
    }
}
