package dev.nfn4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AtomicFileErrorsTest {
    @TempDir
    Path tmp;

    @Test
    void anErrorThatNamesNoFileIsReportedNamingTheTarget() throws Exception {
        Path target = tmp.resolve("out.bin");
        Files.writeString(target, "old");
        FileSystemException e = assertThrows(FileSystemException.class, () -> AtomicFile.write(target, out -> {
            throw new IOException("No space left on device"); // what a full disk gives: no path
        }));
        assertEquals(target.toString(), e.getFile());
        assertEquals("No space left on device", e.getReason());
        assertEquals("old", Files.readString(target), "the old file is left as it was");
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temp file left behind");
        }
    }

    @Test
    void aFolderInTheWayIsReportedNamingIt() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("taken"));
        Files.writeString(dir.resolve("x"), "x");
        FileSystemException e = assertThrows(FileSystemException.class, () -> AtomicFile.write(dir, new byte[]{1}));
        assertFalse(e.getMessage() == null || !e.getMessage().contains(dir.toString()), e.getMessage());
    }
}
