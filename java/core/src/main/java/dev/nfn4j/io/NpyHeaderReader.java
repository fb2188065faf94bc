package dev.nfn4j.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the header of a {@code .npy} stream (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * the magic {@code \x93NUMPY}, a version byte pair, a 2-byte (1.0) or 4-byte (2.0, 3.0)
 * little-endian header length, then a Python dict literal
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }} (Latin-1, UTF-8 for 3.0).
 * Everything is checked against the bytes actually present before the caller allocates.
 */
final class NpyHeaderReader {
    /** numpy itself refuses headers over 10 000 bytes by default; a generous cap that still bounds the allocation. */
    static final int MAX_HEADER_BYTES = 1 << 20;
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");
    /** numpy 2's NPY_MAXDIMS; numpy 1 allowed 32. */
    static final int MAX_DIMS = 64;

    private final Path file;
    private final String entry; // the .npz member, or null for a plain .npy file

    NpyHeaderReader(Path file, String entry) {
        this.file = file;
        this.entry = entry;
    }

    /**
     * Reads and validates the header, leaving {@code in} at the first data byte.
     *
     * @param available bytes in the whole file or zip entry; the data must fill exactly the rest
     */
    NpyHeader read(InputStream in, long available) throws IOException {
        byte[] pre = in.readNBytes(8);
        for (int i = 0; i < MAGIC.length; i++)
            if (pre.length <= i || pre[i] != MAGIC[i]) throw fail("not a .npy array: it does not start with the magic \\x93NUMPY");
        if (pre.length < 8) throw fail("file ends inside the version bytes");
        int major = pre[6] & 0xFF, minor = pre[7] & 0xFF;
        if (major < 1 || major > 3 || minor != 0)
            throw fail("unsupported .npy format version " + major + "." + minor + " (supported: 1.0, 2.0, 3.0)");
        int lengthBytes = major == 1 ? 2 : 4;
        byte[] lb = in.readNBytes(lengthBytes);
        if (lb.length < lengthBytes) throw fail("file ends inside the header length");
        ByteBuffer lbuf = ByteBuffer.wrap(lb).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = major == 1 ? lbuf.getShort() & 0xFFFFL : lbuf.getInt() & 0xFFFF_FFFFL;
        long dataOffset = 8 + lengthBytes + headerLength;
        if (headerLength > MAX_HEADER_BYTES)
            throw fail("header length " + headerLength + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        if (dataOffset > available)
            throw fail("header length " + headerLength + " runs past the end of the data (" + available + " bytes in all)");
        byte[] hb = in.readNBytes((int) headerLength);
        if (hb.length < headerLength) throw fail("file ends inside the header (" + hb.length + " of " + headerLength + " bytes)");
        String text = decode(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

        Map<String, Object> dict;
        try {
            dict = new DictParser(text).parse();
        } catch (IllegalArgumentException e) {
            throw fail("header " + quote(text) + " is not a valid dict literal: " + e.getMessage());
        }
        if (!dict.keySet().equals(KEYS))
            throw fail("header must have exactly the keys 'descr', 'fortran_order', 'shape'; got " + dict.keySet());
        Object descr = dict.get("descr");
        if (!(descr instanceof String d))
            throw fail("descr " + DictParser.repr(descr) + " is a structured dtype, which is not supported (expected '<f4', '<f8', '>f4' or '>f8')");
        ByteOrder order = d.length() == 3 && d.charAt(0) == '<' ? ByteOrder.LITTLE_ENDIAN
                : d.length() == 3 && d.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : null;
        DType dtype = d.endsWith("f4") ? DType.F32 : d.endsWith("f8") ? DType.F64 : null;
        if (order == null || dtype == null)
            throw fail("unsupported dtype '" + d + "' (supported: '<f4', '<f8', '>f4', '>f8')");
        Object fortran = dict.get("fortran_order");
        if (!(fortran instanceof Boolean f)) throw fail("fortran_order " + DictParser.repr(fortran) + " is not True or False");
        if (f) throw fail("fortran_order True (column-major data) is not supported; save a C-order array (np.ascontiguousarray)");
        long[] shape = shape(dict.get("shape"));

        long bytes;
        try {
            long n = 1;
            for (long dim : shape) n = Math.multiplyExact(n, dim);
            bytes = Math.multiplyExact(n, dtype.byteSize());
            Math.addExact(bytes, dataOffset);
        } catch (ArithmeticException e) {
            throw fail("shape " + ShapeText.tuple(shape) + " has too many elements to address");
        }
        long present = available - dataOffset;
        if (bytes != present)
            throw fail("shape " + ShapeText.tuple(shape) + " of " + d + " needs " + bytes + " data bytes but "
                    + present + " follow the header" + (bytes > present ? " (truncated?)" : " (trailing bytes)"));
        return new NpyHeader(major, dtype, order, shape, dataOffset);
    }

    private long[] shape(Object v) throws NfnFormatException {
        if (v instanceof Long n) throw fail("shape (" + n + ") is not a tuple; a 1-element shape is written (" + n + ",)");
        if (!(v instanceof DictParser.Tuple t)) throw fail("shape " + DictParser.repr(v) + " is not a tuple of ints");
        if (t.items().size() > MAX_DIMS)
            throw fail("shape has " + t.items().size() + " dimensions; numpy allows at most " + MAX_DIMS);
        long[] s = new long[t.items().size()];
        for (int i = 0; i < s.length; i++) {
            if (!(t.items().get(i) instanceof Long dim)) throw fail("shape " + DictParser.repr(v) + " is not a tuple of ints");
            s[i] = dim; // the parser only produces non-negative ints
        }
        return s;
    }

    private String decode(byte[] b, Charset cs) throws NfnFormatException {
        try {
            return cs.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw fail("header is not valid " + cs.name());
        }
    }

    private static String quote(String s) {
        String t = s.strip();
        return "\"" + (t.length() > 80 ? t.substring(0, 80) + "..." : t) + "\"";
    }

    NfnFormatException fail(String message) {
        return new NfnFormatException(file, entry, message);
    }

    /**
     * The subset of Python literals a .npy header uses: a dict with string keys; values that are
     * strings, True/False/None, non-negative ints (an old 'L' suffix allowed), tuples and lists.
     * A parenthesised single value without a comma is that value, as in Python. Nesting deeper than
     * {@value #MAX_DEPTH} is refused, so a hostile header cannot exhaust the stack.
     */
    static final class DictParser {
        record Tuple(List<Object> items) {
        }

        private static final Object NONE = new Object() {
            @Override
            public String toString() {
                return "None";
            }
        };

        static final int MAX_DEPTH = 16;
        private static final int MAX_REPR_CHARS = 120;

        private final String s;
        private int pos;
        private int depth;

        DictParser(String s) {
            this.s = s;
        }

        Map<String, Object> parse() {
            skipSpace();
            expect('{');
            Map<String, Object> dict = new LinkedHashMap<>();
            skipSpace();
            while (peek() != '}') {
                if (!(value() instanceof String key)) throw error("dict keys must be strings");
                skipSpace();
                expect(':');
                skipSpace();
                if (dict.put(key, value()) != null) throw error("duplicate key '" + key + "'");
                skipSpace();
                if (peek() == ',') {
                    pos++;
                    skipSpace();
                } else if (peek() != '}') {
                    throw error("expected ',' or '}'");
                }
            }
            pos++;
            skipSpace();
            if (pos != s.length()) throw error("unexpected text after the dict");
            return dict;
        }

        private Object value() {
            char c = peek();
            if (c == '\'' || c == '"') return string(c);
            if (c == '(' || c == '[') return sequence(c);
            if (c >= '0' && c <= '9') return integer();
            for (String word : new String[]{"True", "False", "None"})
                if (s.startsWith(word, pos)) {
                    pos += word.length();
                    return word.equals("None") ? NONE : Boolean.valueOf(word.equals("True"));
                }
            throw error(c == 0 ? "unexpected end" : "unexpected '" + c + "'");
        }

        private String string(char q) {
            int end = s.indexOf(q, pos + 1);
            if (end < 0) throw error("unterminated string");
            String v = s.substring(pos + 1, end);
            if (v.indexOf('\\') >= 0) throw error("escapes in strings are not supported");
            pos = end + 1;
            return v;
        }

        private Object sequence(char open) {
            if (++depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH + " levels");
            char close = open == '(' ? ')' : ']';
            pos++;
            List<Object> items = new ArrayList<>();
            boolean comma = false;
            skipSpace();
            while (peek() != close) {
                items.add(value());
                skipSpace();
                comma = peek() == ',';
                if (comma) {
                    pos++;
                    skipSpace();
                } else if (peek() != close) {
                    throw error("expected ',' or '" + close + "'");
                }
            }
            pos++;
            depth--;
            if (open == '[') return items;
            return items.size() == 1 && !comma ? items.get(0) : new Tuple(items);
        }

        private Long integer() {
            int start = pos;
            while (peek() >= '0' && peek() <= '9') pos++;
            String digits = s.substring(start, pos);
            if (peek() == 'L') pos++; // written by Python 2's numpy
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw error("integer " + digits + " is too large");
            }
        }

        private void skipSpace() {
            while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\n' || s.charAt(pos) == '\t' || s.charAt(pos) == '\r'))
                pos++;
        }

        private char peek() {
            return pos < s.length() ? s.charAt(pos) : 0;
        }

        private void expect(char c) {
            if (peek() != c) throw error("expected '" + c + "'");
            pos++;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at character " + pos);
        }

        /** Python's repr, cut to about {@value #MAX_REPR_CHARS} characters for messages. */
        static String repr(Object v) {
            StringBuilder sb = new StringBuilder();
            repr(v, sb);
            return sb.length() > MAX_REPR_CHARS ? sb.substring(0, MAX_REPR_CHARS) + "..." : sb.toString();
        }

        private static void repr(Object v, StringBuilder sb) {
            if (sb.length() > MAX_REPR_CHARS) return;
            if (v instanceof String str) {
                sb.append('\'').append(str, 0, Math.min(str.length(), MAX_REPR_CHARS + 1)).append('\'');
            } else if (v instanceof Boolean b) {
                sb.append(b ? "True" : "False");
            } else if (v instanceof Tuple t) {
                sb.append('(');
                items(t.items(), sb);
                sb.append(t.items().size() == 1 ? ",)" : ")");
            } else if (v instanceof List<?> l) {
                sb.append('[');
                items(l, sb);
                sb.append(']');
            } else {
                sb.append(v);
            }
        }

        private static void items(List<?> items, StringBuilder sb) {
            for (int i = 0; i < items.size() && sb.length() <= MAX_REPR_CHARS; i++) {
                if (i > 0) sb.append(", ");
                repr(items.get(i), sb);
            }
        }
    }
}
