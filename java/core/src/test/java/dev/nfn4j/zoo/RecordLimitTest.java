package dev.nfn4j.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nfn4j.io.NfnFormatException;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RecordLimitTest {
    private static final Path F = Path.of("m.csv");

    private static String readAll(String text, int maxRecord, long maxText) throws IOException {
        try (Reader r = new RecordLimit(F, new StringReader(text), maxRecord, maxText)) {
            StringBuilder sb = new StringBuilder();
            char[] buf = new char[3];
            for (int n; (n = r.read(buf, 0, buf.length)) >= 0; ) sb.append(buf, 0, n);
            return sb.toString();
        }
    }

    @Test
    void recordsUpToTheLimitPassThroughUnchanged() throws IOException {
        String text = "a,b\n12345\n\"x\ny\",\"q\"\"\"\n";
        assertEquals(text, readAll(text, 12, 100)); // the third record is 12 characters
    }

    @Test
    void aLongRecordIsRefusedCountingLineBreaksInsideQuotesAsPartOfIt() {
        var e = assertThrows(NfnFormatException.class, () -> readAll("a\n\"12\n34\"\n", 5, 100));
        assertEquals("record 2 is longer than 5 characters (m.csv)", e.getMessage());
        // an escaped quote keeps the field open: the line break after it is still inside quotes
        e = assertThrows(NfnFormatException.class, () -> readAll("\"a\"\"\nbcd\"\n", 5, 100));
        assertEquals("record 1 is longer than 5 characters (m.csv)", e.getMessage());
    }

    @Test
    void tooMuchTextIsRefusedEvenInShortRecords() {
        var e = assertThrows(NfnFormatException.class, () -> readAll("\n".repeat(50), 5, 20));
        assertEquals("holds more than 20 characters of text (m.csv)", e.getMessage());
    }
}
