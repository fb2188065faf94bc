package dev.nfn4j.cli;

import dev.nfn4j.io.JsonFields;
import dev.nfn4j.io.NfnFormatException;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * The command line's one error format: {@code nfn4j: <what is wrong> (<file>[: <tensor or field>])},
 * one line, no stack trace. Bad input (an unreadable, malformed or missing file, a bad option
 * value) exits 2; anything else (a bug, memory) exits 1 and says how to see the trace.
 */
final class ErrorMessages {
    /** Longest "what is wrong" printed; the location is always printed whole. */
    static final int MAX_DETAIL = 300;
    static final String TRACE_PROPERTY = "nfn4j.stackTraces";

    private ErrorMessages() {}

    /** True for errors in what the user gave (exit 2). */
    static boolean isBadInput(Throwable e) {
        return e instanceof IOException || e instanceof IllegalArgumentException || e instanceof UnsupportedOperationException;
    }

    /** The line after {@code "nfn4j: "}. */
    static String describe(Throwable e) {
        if (e instanceof NfnFormatException f) return oneLine(f.problem()) + " (" + f.file() + (f.tensor() == null ? "" : ": " + f.tensor()) + ")";
        if (e instanceof FileSystemException f) return fileSystem(f);
        if (e instanceof OutOfMemoryError)
            return "out of memory (" + oneLine(e.getMessage()) + "); give the JVM more with NFN4J_JAVA_OPTS=-Xmx...";
        if (e instanceof StackOverflowError) return "input nested too deeply to process (stack overflow)";
        if (isBadInput(e) || e instanceof ArithmeticException) return oneLine(e.getMessage());
        return "internal error: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + oneLine(e.getMessage()))
                + " (NFN4J_JAVA_OPTS=-D" + TRACE_PROPERTY + "=true prints the trace)";
    }

    private static String fileSystem(FileSystemException f) {
        String what = f.getReason() != null && !(f instanceof AccessDeniedException) ? f.getReason()
                : f instanceof NoSuchFileException ? "no such file or folder"
                : f instanceof AccessDeniedException ? "permission denied"
                : f instanceof FileAlreadyExistsException ? "already exists"
                : f instanceof NotDirectoryException ? "not a folder"
                : f instanceof DirectoryNotEmptyException ? "folder not empty"
                : "cannot access";
        String where = f.getFile() == null ? "" : f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile());
        return oneLine(what) + (where.isEmpty() ? "" : " (" + where + ")");
    }

    /**
     * The first part of a message that fits one line: a parser's location and source excerpt
     * ({@code at [Source: ...]}) are dropped, whitespace runs become one space, other control
     * characters are escaped, and a very long message is cut in the middle.
     */
    static String oneLine(String message) {
        if (message == null) return "(no message)";
        String m = message.replaceAll("\\s*\\(start marker at \\[Source:[^\\]]*\\]\\)", "")
                .replaceAll("\\s*at \\[Source:[^\\]]*\\]", "")
                .replaceAll("\\s+", " ").strip();
        return JsonFields.printable(m, MAX_DETAIL);
    }
}
