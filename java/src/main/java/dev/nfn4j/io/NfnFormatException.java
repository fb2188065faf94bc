package dev.nfn4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A malformed or unexpected file. The message always starts with the file path, and names
 * the tensor (or metadata field) when one is involved: {@code "<path>: tensor 'w': <what is wrong>"},
 * {@code "<path>: field 'model.hidden[1]': <what is wrong>"}. {@link #problem}, {@link #file} and
 * {@link #tensor} give the parts apart, for the command line's
 * {@code <what is wrong> (<file>: <tensor or field>)}.
 */
public class NfnFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    // Path is not Serializable; the path is in the message anyway.
    private final transient Path file;
    private final String tensor;
    private final String problem;

    public NfnFormatException(Path file, String message) {
        this(file, null, message, null);
    }

    public NfnFormatException(Path file, String tensor, String message) {
        this(file, tensor, message, null);
    }

    public NfnFormatException(Path file, String tensor, String message, Throwable cause) {
        this(file, tensor, message, cause, "tensor");
    }

    private NfnFormatException(Path file, String tensor, String message, Throwable cause, String kind) {
        super(format(file, tensor, kind, message), cause);
        this.file = file;
        this.tensor = tensor;
        this.problem = message;
    }

    /** A bad value in a metadata field (a JSON path such as {@code model.hidden[1]}), which {@link #tensor} then names. */
    public static NfnFormatException field(Path file, String field, String message) {
        return new NfnFormatException(file, field, message, null, "field");
    }

    /** The offending file. */
    public Path file() {
        return file;
    }

    /** The tensor (or field) involved, or null when the problem is with the file as a whole. */
    public String tensor() {
        return tensor;
    }

    /** What is wrong, without the file and tensor. */
    public String problem() {
        return problem;
    }

    private static String format(Path file, String tensor, String kind, String message) {
        String where = tensor == null ? String.valueOf(file) : file + ": " + kind + " '" + tensor + "'";
        return where + ": " + message;
    }
}
