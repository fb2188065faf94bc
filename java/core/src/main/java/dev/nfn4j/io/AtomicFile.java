package dev.nfn4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers see either the old file or the complete new one: a temp file
 * beside the target, fsync, an ATOMIC_MOVE rename, then a best-effort fsync of the folder.
 * Used by every writer of this package, the zoo builders and the reports written elsewhere.
 */
public final class AtomicFile {
    private AtomicFile() {
    }

    /** What to write into the temporary file before it replaces the target. */
    public interface Body {
        /** Writes the whole content to {@code out}. */
        void write(FileChannel out) throws IOException;
    }

    /** Writes {@code bytes} to {@code file} atomically. */
    public static void write(Path file, byte[] bytes) throws IOException {
        write(file, out -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) out.write(b);
        });
    }

    /** As above; an I/O error that does not name a file (a full disk, say) is reported naming {@code file}. */
    public static void write(Path file, Body body) throws IOException {
        try {
            writeAtomically(file, body);
        } catch (FileSystemException | NfnFormatException e) {
            throw e;
        } catch (IOException e) {
            FileSystemException named = new FileSystemException(file.toString(), null, e.getMessage());
            named.initCause(e);
            throw named;
        }
    }

    private static void writeAtomically(Path file, Body body) throws IOException {
        if (Files.isDirectory(file)) throw new FileSystemException(file.toString(), null, "is a folder, not a file");
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = null;
        FileChannel ch = null;
        boolean moved = false;
        try {
            // Not Files.createTempFile: its mode 0600 would carry over to the target.
            while (ch == null) {
                tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
                try {
                    ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                } catch (FileAlreadyExistsException e) {
                    // name collision; try another
                }
            }
            try (FileChannel out = ch) {
                body.write(out);
                out.force(true); // data on disk before the rename makes it visible
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            moved = true;
            syncDirectory(dir);
        } finally {
            if (!moved && tmp != null) Files.deleteIfExists(tmp);
        }
    }

    /** Makes the rename durable. Best effort: not every platform can open a directory. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // The file is complete and in place; only crash-durability of the rename is weaker.
        }
    }
}
