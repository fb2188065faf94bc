package dev.nfn4j.zoo;

import dev.nfn4j.io.NfnFormatException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * The CSV files of a zoo as pandas writes them (a header row, maybe an unnamed index column,
 * quoted fields such as {@code "(3, 3, 1, 16)"}; gzip when the name ends in ".gz"), read with
 * commons-csv. Rows are numbered from 0 after the header, like a pandas index, so row r of
 * metrics.csv.gz is row r of weights.npy. A record (a line, or lines inside quotes) longer than
 * {@value RecordLimit#MAX_RECORD_CHARS} characters is refused as it is read, so a hostile or
 * decompression-bomb file cannot make one huge field, and so is text beyond
 * {@value RecordLimit#MAX_TEXT_CHARS} characters; what else is kept is bounded by the shape of
 * weights.npy.
 */
final class CsvTable {
    private static final CSVFormat WITH_HEADER = CSVFormat.DEFAULT.builder()
            .setHeader().setSkipHeaderRecord(true).setAllowMissingColumnNames(true).get();

    private CsvTable() {
    }

    /** A row with named columns resolved to indices once. */
    record Row(Path file, long row, CSVRecord record) {
        String get(int column, String name) throws NfnFormatException {
            if (column >= record.size())
                throw new NfnFormatException(file, "row " + row + ": has " + record.size() + " fields, no column '" + name + "'");
            return record.get(column);
        }
    }

    interface HeaderHandler {
        void accept(Map<String, Integer> columns) throws IOException;
    }

    interface RowHandler {
        void accept(Row row) throws IOException;
    }

    /** Calls {@code header} with the column indices, then {@code rows} for every data row in order. */
    static void read(Path file, HeaderHandler header, RowHandler rows) throws IOException {
        try (Reader in = open(file); CSVParser p = WITH_HEADER.parse(in)) {
            header.accept(p.getHeaderMap() == null ? Map.of() : p.getHeaderMap());
            for (CSVRecord r : p) rows.accept(new Row(file, r.getRecordNumber() - 1, r));
        } catch (UncheckedIOException e) { // commons-csv wraps read errors, malformed quoting included
            throw malformed(file, e.getCause());
        } catch (IllegalArgumentException | IllegalStateException e) { // e.g. duplicate column names
            throw new NfnFormatException(file, null, "malformed CSV: " + e.getMessage(), e);
        } catch (IOException e) {
            throw malformed(file, e);
        }
    }

    /** Every field of a header-less CSV, with its 1-based line, in order (pandas' read_csv(header=None).values.flatten()). */
    static void readFields(Path file, FieldHandler fields) throws IOException {
        try (Reader in = open(file); CSVParser p = CSVFormat.DEFAULT.parse(in)) {
            for (CSVRecord r : p) {
                long line = p.getCurrentLineNumber();
                for (String f : r) fields.accept(line, f);
            }
        } catch (UncheckedIOException e) {
            throw malformed(file, e.getCause());
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new NfnFormatException(file, null, "malformed CSV: " + e.getMessage(), e);
        } catch (IOException e) {
            throw malformed(file, e);
        }
    }

    /** A read error as a format error naming the file; our own errors (the record limit, a bad row) pass through. */
    private static NfnFormatException malformed(Path file, IOException e) {
        if (e instanceof NfnFormatException f) return f;
        if (e instanceof java.util.zip.ZipException || e instanceof java.io.EOFException)
            return new NfnFormatException(file, null, "corrupt gzip data: " + e.getMessage(), e);
        // commons-csv's parse errors name the line ("(line 3) invalid char ..."); anything else is an I/O error.
        if (e.getMessage() == null || !e.getMessage().contains("(line ")) return NfnFormatException.reading(file, e);
        return new NfnFormatException(file, null, "malformed CSV: " + e.getMessage(), e);
    }

    interface FieldHandler {
        void accept(long line, String field) throws IOException;
    }

    /** The index of a required column; the error lists the columns there are. */
    static int column(Path file, Map<String, Integer> header, String name) throws NfnFormatException {
        Integer i = header.get(name);
        if (i == null) throw new NfnFormatException(file, "no column '" + name + "' (columns: " + abbreviate(header.keySet().stream().toList()) + ")");
        return i;
    }

    /** A number as pandas writes it: "", "nan" and "NaN" are NaN, "inf" and "-inf" infinities. */
    static double number(Row row, int column, String name) throws NfnFormatException {
        String s = row.get(column, name).strip();
        switch (s) {
            case "", "nan", "NaN" -> {
                return Double.NaN;
            }
            case "inf", "Infinity" -> {
                return Double.POSITIVE_INFINITY;
            }
            case "-inf", "-Infinity" -> {
                return Double.NEGATIVE_INFINITY;
            }
            default -> {
                try {
                    return Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    throw new NfnFormatException(row.file(), "row " + row.row() + ": " + name + " '" + s + "' is not a number");
                }
            }
        }
    }

    private static Reader open(Path file) throws IOException {
        InputStream in;
        try {
            in = Files.newInputStream(file);
        } catch (IOException e) {
            throw NfnFormatException.reading(file, e);
        }
        try {
            if (file.getFileName().toString().endsWith(".gz")) in = new GZIPInputStream(in, 1 << 16);
        } catch (IOException e) {
            in.close();
            throw new NfnFormatException(file, null, "not a gzip file: " + e.getMessage(), e);
        }
        return new RecordLimit(file, new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16));
    }

    private static String abbreviate(List<String> names) {
        return names.size() <= 12 ? names.toString() : names.subList(0, 12) + " and " + (names.size() - 12) + " more";
    }
}
