package dev.nfn4j.zoo;

import dev.nfn4j.io.NfnFormatException;
import java.io.FilterReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;

/**
 * Passes CSV text through, refusing a record longer than {@value #MAX_RECORD_CHARS} characters
 * before the parser has buffered it, and text longer than {@value #MAX_TEXT_CHARS} characters (a
 * gzip bomb of empty lines would otherwise be read to its end). A record ends at a line break outside double quotes; an
 * escaped quote ({@code ""}) flips the quote state twice, so RFC 4180 quoting is tracked exactly.
 */
final class RecordLimit extends FilterReader {
    /** Far above any zoo CSV's rows (layout.csv's are under 100 characters, metrics rows under 2,000). */
    static final int MAX_RECORD_CHARS = 1 << 20;
    /** 4 Gi characters, far more than any zoo's CSV holds. */
    static final long MAX_TEXT_CHARS = 1L << 32;

    private final Path file;
    private final int maxRecord;
    private final long maxText;
    private boolean quoted;
    private long record = 1; // 1-based, as an editor numbers lines when no field holds a line break
    private int length;
    private long total;

    RecordLimit(Path file, Reader in) {
        this(file, in, MAX_RECORD_CHARS, MAX_TEXT_CHARS);
    }

    RecordLimit(Path file, Reader in, int maxRecord, long maxText) {
        super(in);
        this.file = file;
        this.maxRecord = maxRecord;
        this.maxText = maxText;
    }

    @Override
    public int read() throws IOException {
        int c = super.read();
        if (c >= 0) count((char) c);
        return c;
    }

    @Override
    public int read(char[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        for (int i = 0; i < n; i++) count(buf[off + i]);
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        throw new IOException("skip is not supported");
    }

    private void count(char c) throws NfnFormatException {
        if (++total > maxText) throw new NfnFormatException(file, "holds more than " + maxText + " characters of text");
        if (c == '"') quoted = !quoted;
        if (c == '\n' && !quoted) {
            record++;
            length = 0;
        } else if (++length > maxRecord) {
            throw new NfnFormatException(file, "record " + record + " is longer than " + maxRecord + " characters");
        }
    }
}
