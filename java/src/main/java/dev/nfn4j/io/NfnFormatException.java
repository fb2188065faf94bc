package dev.nfn4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A malformed or unexpected file. The message always starts with the file path, and names
 * the tensor when one is involved: {@code "<path>: tensor 'w': <what is wrong>"}.
 */
public class NfnFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    // Path is not Serializable; the path is in the message anyway.
    private final transient Path file;
    private final String tensor;

    public NfnFormatException(Path file, String message) {
        this(file, null, message, null);
    }

    public NfnFormatException(Path file, String tensor, String message) {
        this(file, tensor, message, null);
    }

    public NfnFormatException(Path file, String tensor, String message, Throwable cause) {
        super(format(file, tensor, message), cause);
        this.file = file;
        this.tensor = tensor;
    }

    /** The offending file. */
    public Path file() {
        return file;
    }

    /** The tensor involved, or null when the problem is with the file as a whole. */
    public String tensor() {
        return tensor;
    }

    private static String format(Path file, String tensor, String message) {
        String where = tensor == null ? String.valueOf(file) : file + ": tensor '" + tensor + "'";
        return where + ": " + message;
    }
}
