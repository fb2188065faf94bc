package dev.nfn4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class NfnFormatExceptionTest {
    private static final Path F = Path.of("/data/x.npz");

    @Test
    void theMessageIsTheProblemThenTheFileAndTensor() {
        NfnFormatException e = new NfnFormatException(F, "w", "shape [2] but expected [3]");
        assertEquals("shape [2] but expected [3] (/data/x.npz: w)", e.getMessage());
        assertEquals("shape [2] but expected [3]", e.problem());
        assertEquals("truncated (/data/x.npz)", new NfnFormatException(F, "truncated").getMessage());
    }

    @Test
    void controlCharactersAreEscapedAndLongTextIsCutInTheMiddle() {
        NfnFormatException e = new NfnFormatException(F, "a\nb", "bad\r\nline\u0000");
        assertEquals("bad\\r\\nline\\u0000 (/data/x.npz: a\\nb)", e.getMessage());
        String longText = "x".repeat(1000) + "END";
        String m = new NfnFormatException(F, longText).getMessage();
        assertTrue(m.length() < NfnFormatException.MAX_PROBLEM_CHARS + 40 + F.toString().length(), m);
        assertTrue(m.startsWith("xxx") && m.contains(" ...[703 chars]... ") && m.endsWith("xEND (/data/x.npz)"), m);
    }

    @Test
    void ioErrorsBecomeOneLineNamingThePath() {
        assertEquals("no such file or folder (/data/x.npz)", NfnFormatException.reading(F, new NoSuchFileException(F.toString())).getMessage());
        assertEquals("permission denied (/data/x.npz)", NfnFormatException.reading(F, new AccessDeniedException(F.toString())).getMessage());
        assertEquals("Is a directory (/data/x.npz)",
                NfnFormatException.reading(F, new FileSystemException(F.toString(), null, "Is a directory")).getMessage());
        assertEquals("Input/output error (/data/x.npz)", NfnFormatException.reading(F, new IOException("Input/output error")).getMessage());
        NfnFormatException already = new NfnFormatException(F, "bad");
        assertSame(already, NfnFormatException.reading(F, already));
    }

    @Test
    void longShapesAreAbbreviated() {
        assertEquals("(5,)", ShapeText.tuple(new long[]{5}));
        assertEquals("()", ShapeText.tuple(new long[0]));
        assertEquals("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", ShapeText.list(new int[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
        assertEquals("[1, 2, 3, 4, 5, 6, ..., 10, 11] (rank 11)", ShapeText.list(new int[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
        assertEquals("(0, 0, 0, 0, 0, 0, ..., 0, 0) (rank 5002)", ShapeText.tuple(new long[5002]));
    }
}
