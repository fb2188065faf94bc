package dev.nfn4j.zoo.build;

import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.logging.Logger;

/**
 * The part files of a resumable zoo build: one safetensors file per network (or chunk) in the
 * build's parts folder. A part that is missing or fails its check counts as not done: the build
 * logs why and does that piece again.
 */
final class PartFiles {
    /** Reads what a build needs from one part; throws on anything it cannot use. */
    interface Reader<T> {
        T read(SafetensorsFile part) throws IOException;
    }

    private PartFiles() {
    }

    /** {@code parts/<kind>-<i, six digits>.safetensors}. */
    static Path file(Path parts, String kind, int i) {
        return parts.resolve(String.format(Locale.ROOT, "%s-%06d.safetensors", kind, i));
    }

    /** The part read by {@code reader}, or null when it is missing or unusable (logged as {@code redo}: the reason). */
    static <T> T read(Path part, Reader<T> reader, Logger log, String redo) {
        if (!Files.exists(part)) return null;
        try {
            return reader.read(Safetensors.read(part));
        } catch (IOException | RuntimeException e) {
            log.warning(() -> redo + ": " + e.getMessage());
            return null;
        }
    }

    /** Fails naming the part when its metadata lacks one of {@code keys}. */
    static void requireMetadata(Path part, SafetensorsFile s, List<String> keys) throws NfnFormatException {
        for (String k : keys) if (!s.metadata().containsKey(k)) throw new NfnFormatException(part, "metadata '" + k + "' missing");
    }
}
