package dev.nfn4j.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A file that cannot be read as expected: malformed, truncated, missing or unreadable. The
 * message is one line, {@code "<what is wrong> (<file>)"}, or {@code "<what is wrong> (<file>:
 * <tensor>)"} when a tensor (or field) is involved; control characters are escaped and an overlong
 * description is cut in the middle, so a hostile file cannot make a multi-line or huge message.
 */
public class NfnFormatException extends IOException {
    private static final long serialVersionUID = 1L;
    /** The longest description kept whole; longer ones keep their start and end. */
    static final int MAX_PROBLEM_CHARS = 300;
    /** The longest tensor or field name kept whole. */
    static final int MAX_NAME_CHARS = 120;

    // Path is not Serializable; the path is in the message anyway.
    private final transient Path file;
    /** The tensor or field at fault, or null for the file as a whole. */
    private final String tensor;
    /** What is wrong, without the file and tensor. */
    private final String problem;

    /** A problem with the file as a whole. */
    public NfnFormatException(Path file, String message) {
        this(file, null, message, null);
    }

    /** A problem with one tensor or field of the file. */
    public NfnFormatException(Path file, String tensor, String message) {
        this(file, tensor, message, null);
    }

    /** A problem with one tensor or field of the file, caused by {@code cause}. */
    public NfnFormatException(Path file, String tensor, String message, Throwable cause) {
        super(format(file, tensor, message), cause);
        this.file = file;
        this.tensor = tensor;
        this.problem = oneLine(message, MAX_PROBLEM_CHARS);
    }

    /** A bad value in a metadata field (a JSON path such as {@code model.hidden[1]}), which {@link #tensor} then names. */
    public static NfnFormatException field(Path file, String field, String message) {
        return new NfnFormatException(file, field, message, null);
    }

    /**
     * An I/O error while reading {@code file}, as a one-line message naming it ("no such file or folder
     * (x.npy)", "permission denied (x.npy)", "Is a directory (x.npy)"); a format error passes through.
     */
    public static NfnFormatException reading(Path file, IOException e) {
        if (e instanceof NfnFormatException f) return f;
        String what = switch (e) {
            case NoSuchFileException n -> "no such file or folder";
            case AccessDeniedException a -> "permission denied";
            case FileSystemException f when f.getReason() != null -> f.getReason();
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        };
        return new NfnFormatException(file, null, what, e);
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

    private static String format(Path file, String tensor, String message) {
        String where = tensor == null ? String.valueOf(file) : file + ": " + oneLine(tensor, MAX_NAME_CHARS);
        return oneLine(message, MAX_PROBLEM_CHARS) + " (" + where + ")";
    }

    /** {@code s} with control characters escaped, then cut in the middle to at most about {@code max} characters. */
    static String oneLine(String s, int max) {
        return JsonFields.printable(s, max);
    }
}
