package dev.nfn4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A malformed or unexpected file. The message always starts with the file path, and names
 * the tensor or metadata field when one is involved: {@code "<path>: tensor 'w': <what is wrong>"},
 * {@code "<path>: field 'model.hidden[1]': <what is wrong>"}. {@link #detail} and
 * {@link #location} give the two parts apart, for the command line's
 * {@code <what is wrong> (<file>: <tensor or field>)}.
 */
public class NfnFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    // Path is not Serializable; the path is in the message anyway.
    private final transient Path file;
    private final String tensor;
    private final String field;
    private final String detail;

    public NfnFormatException(Path file, String message) {
        this(file, null, message, null);
    }

    public NfnFormatException(Path file, String tensor, String message) {
        this(file, tensor, message, null);
    }

    public NfnFormatException(Path file, String tensor, String message, Throwable cause) {
        this(file, tensor, null, message, cause);
    }

    private NfnFormatException(Path file, String tensor, String field, String message, Throwable cause) {
        super(format(file, tensor, field, message), cause);
        this.file = file;
        this.tensor = tensor;
        this.field = field;
        this.detail = message;
    }

    /** A bad value in a metadata field (a JSON path such as {@code model.hidden[1]}) rather than in a tensor. */
    public static NfnFormatException field(Path file, String field, String message) {
        return new NfnFormatException(file, null, field, message, null);
    }

    /** The offending file. */
    public Path file() {
        return file;
    }

    /** The tensor involved, or null when the problem is with the file as a whole or a metadata field. */
    public String tensor() {
        return tensor;
    }

    /** The metadata field involved, or null. */
    public String field() {
        return field;
    }

    /** What is wrong, without the file and tensor. */
    public String detail() {
        return detail;
    }

    /** The file, then the tensor or field when there is one: {@code "<path>: <tensor>"}. */
    public String location() {
        String what = tensor != null ? tensor : field;
        return what == null ? String.valueOf(file) : file + ": " + what;
    }

    private static String format(Path file, String tensor, String field, String message) {
        String where = tensor != null ? file + ": tensor '" + tensor + "'" : field != null ? file + ": field '" + field + "'" : String.valueOf(file);
        return where + ": " + message;
    }
}
