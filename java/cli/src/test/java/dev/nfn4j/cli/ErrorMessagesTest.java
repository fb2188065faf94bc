package dev.nfn4j.cli;

import dev.nfn4j.io.NfnFormatException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ErrorMessagesTest {
    @Test
    void aFileErrorNamesItsFileAndFieldOrTensorLast() {
        assertEquals("bad value (m.safetensors: model.hidden[1])",
                ErrorMessages.describe(NfnFormatException.field(Path.of("m.safetensors"), "model.hidden[1]", "bad value")));
        assertEquals("non-finite (m.safetensors: 8.weight)", ErrorMessages.describe(new NfnFormatException(Path.of("m.safetensors"), "8.weight", "non-finite")));
        assertEquals("no such file or folder (/x)", ErrorMessages.describe(new NoSuchFileException("/x")));
        assertEquals("permission denied (/x)", ErrorMessages.describe(new AccessDeniedException("/x")));
        assertEquals("No space left on device (/x/state.safetensors)",
                ErrorMessages.describe(new FileSystemException("/x/state.safetensors", null, "No space left on device")));
        assertTrue(ErrorMessages.isBadInput(new IOException("x")) && ErrorMessages.isBadInput(new IllegalArgumentException("x")));
    }

    @Test
    void messagesAreOneLineWithoutParserLocations() {
        String jackson = "Unexpected end-of-input: expected close marker for Object (start marker at [Source: REDACTED; line: 1, column: 1])\n"
                + " at [Source: REDACTED; line: 1, column: 9]";
        assertEquals("Unexpected end-of-input: expected close marker for Object", ErrorMessages.oneLine(jackson));
        String longOne = "x".repeat(5000);
        String cut = ErrorMessages.oneLine(longOne);
        assertTrue(cut.length() < ErrorMessages.MAX_DETAIL + 30 && cut.contains(" chars]... "), cut);
        assertEquals("a b\\u0000c", ErrorMessages.oneLine("a\n b\u0000c"));
    }

    @Test
    void anInternalErrorSaysHowToSeeTheTrace() {
        String m = ErrorMessages.describe(new NullPointerException("boom"));
        assertTrue(m.startsWith("internal error: NullPointerException: boom") && m.contains(ErrorMessages.TRACE_PROPERTY), m);
        assertFalse(ErrorMessages.isBadInput(new NullPointerException()));
        assertTrue(ErrorMessages.describe(new OutOfMemoryError("Java heap space")).startsWith("out of memory"));
    }
}
