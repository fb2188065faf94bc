package dev.nfn4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nfn4j.io.AtomicFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A run's {@code log.jsonl}: one JSON object per epoch ({@code "epoch": e}, from 1), then one for
 * the test. Appends go to the end of the file; a resumed run first cuts the log back to the epochs
 * its state holds ({@link #truncate}), so an epoch logged before a failure that stopped its state
 * from being saved is logged once, when it is redone.
 */
final class RunLog {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunLog() {}

    /** Appends one line; an I/O error names the file. */
    static void append(Path log, String json) throws IOException {
        try {
            Files.writeString(log, json + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (FileSystemException e) {
            throw e;
        } catch (IOException e) {
            throw new FileSystemException(log.toString(), null, e.getMessage());
        }
    }

    /**
     * Keeps the rows of epochs 1..{@code epochs} (their first occurrence, in order) and drops the
     * rest: rows of later epochs, test rows, and a line cut short by a failed write. Rewritten
     * atomically; nothing is done when the log is already so.
     */
    static void truncate(Path log, int epochs) throws IOException {
        if (!Files.exists(log)) return;
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        StringBuilder kept = new StringBuilder();
        int next = 1;
        for (String line : lines) {
            JsonNode row = parse(line);
            if (row == null) break; // a torn write: nothing after it was logged whole
            JsonNode e = row.get("epoch");
            if (e != null && e.canConvertToInt() && e.intValue() == next && next <= epochs) {
                kept.append(line).append('\n');
                next++;
            }
        }
        String text = kept.toString();
        if (!text.equals(String.join("\n", lines) + (lines.isEmpty() ? "" : "\n")))
            AtomicFile.write(log, text.getBytes(StandardCharsets.UTF_8));
    }

    /** True when the log holds a test row (a run that finished before states said so). */
    static boolean hasTest(Path log) throws IOException {
        if (!Files.exists(log)) return false;
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            JsonNode row = parse(line);
            if (row != null && row.has("test")) return true;
        }
        return false;
    }

    private static JsonNode parse(String line) {
        try {
            JsonNode n = JSON.readTree(line);
            return n != null && n.isObject() ? n : null;
        } catch (IOException e) {
            return null;
        }
    }
}
