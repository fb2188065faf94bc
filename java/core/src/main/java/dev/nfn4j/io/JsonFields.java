package dev.nfn4j.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Iterator;
import java.util.Set;

/**
 * Typed, bounded reads of the small JSON documents in checkpoint metadata. Every failure is a
 * {@link BadField}: one line naming the field as a path ({@code hidden[1]}) and saying what was
 * expected and what was found; nothing unchecked reaches an allocation or an index.
 */
public final class JsonFields {
    /** Deep nesting and long tokens are refused by the parser itself. */
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).maxNumberLength(64).maxStringLength(1 << 20).build())
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build());

    private JsonFields() {}

    /** A bad value: {@link #field} is where, {@link #detail} what is wrong. */
    public static final class BadField extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        /** The field's path, and what is wrong with it. */
        private final String field, detail;

        /** Both parts may hold text from the file: they are made printable and cut to one short line. */
        public BadField(String field, String detail) {
            this(printable(field, 120), printable(detail, 300), true);
        }

        private BadField(String field, String detail, boolean printable) {
            super(field + ": " + detail);
            this.field = field;
            this.detail = detail;
        }

        /** The path of the offending field, as {@code model.hidden[0]}. */
        public String field() {
            return field;
        }

        /** What is wrong with the field, without its path. */
        public String detail() {
            return detail;
        }
    }

    /** Parses {@code json} (the value of {@code field}) as a JSON object. */
    public static JsonNode parseObject(String field, String json) {
        if (json == null) throw new BadField(field, "missing");
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new BadField(field, "not valid JSON: " + oneLine(e));
        }
        return object(field, n);
    }

    /** Jackson's message without its location and source excerpt, on one line. */
    public static String oneLine(JsonProcessingException e) {
        String m = String.valueOf(e.getOriginalMessage());
        m = m.replaceAll("\\s*\\(start marker at \\[Source:[^\\]]*\\]\\)", "").replaceAll("\\s*at \\[Source:[^\\]]*\\]", "");
        return m.replaceAll("\\s+", " ").strip();
    }

    /** The node as an object; throws naming the field otherwise. */
    public static JsonNode object(String field, JsonNode n) {
        if (n == null || !n.isObject()) throw new BadField(field, "expected a JSON object, got " + describe(n));
        return n;
    }

    /** Refuses members not in {@code known}: a misspelt key must not be silently ignored. */
    public static void onlyKeys(String field, JsonNode object, Set<String> known) {
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!known.contains(k)) throw new BadField(join(field, k), "unknown key (expected one of " + known + ")");
        }
    }

    /** The member {@code name}; missing (or null) is an error. */
    public static JsonNode required(String field, JsonNode object, String name) {
        JsonNode v = object.get(name);
        if (v == null || v.isNull()) throw new BadField(join(field, name), "missing");
        return v;
    }

    /** The path of a member of {@code field}. */
    public static String join(String field, String name) {
        return field == null || field.isEmpty() ? name : field + "." + name;
    }

    /** An integer in {@code [min, max]}; a fraction, a string or a number out of range is an error. */
    public static int integer(String field, JsonNode n, int min, int max) {
        if (n == null || !n.isNumber() || !n.canConvertToExactIntegral() || !n.canConvertToLong()
                || n.longValue() < min || n.longValue() > max)
            throw new BadField(field, "expected an integer from " + min + " to " + max + ", got " + describe(n));
        return (int) n.longValue();
    }

    /** A finite number in {@code [min, max]}. */
    public static double number(String field, JsonNode n, double min, double max) {
        if (n == null || !n.isNumber() || !Double.isFinite(n.doubleValue()) || n.doubleValue() < min || n.doubleValue() > max)
            throw new BadField(field, "expected a number from " + min + " to " + max + ", got " + describe(n));
        return n.doubleValue();
    }

    /** The node as a boolean; throws naming the field otherwise. */
    public static boolean bool(String field, JsonNode n) {
        if (n == null || !n.isBoolean()) throw new BadField(field, "expected true or false, got " + describe(n));
        return n.booleanValue();
    }

    /** The node as a string; throws naming the field otherwise. */
    public static String text(String field, JsonNode n) {
        if (n == null || !n.isTextual()) throw new BadField(field, "expected a string, got " + describe(n));
        return n.textValue();
    }

    /** An array of at most {@code maxLength} elements. */
    public static JsonNode array(String field, JsonNode n, int minLength, int maxLength) {
        if (n == null || !n.isArray()) throw new BadField(field, "expected an array, got " + describe(n));
        if (n.size() < minLength || n.size() > maxLength)
            throw new BadField(field, "expected " + minLength + " to " + maxLength + " elements, got " + n.size());
        return n;
    }

    /** An array of integers, each in {@code [min, max]}. */
    public static int[] integers(String field, JsonNode n, int minLength, int maxLength, int min, int max) {
        array(field, n, minLength, maxLength);
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) out[i] = integer(field + "[" + i + "]", n.get(i), min, max);
        return out;
    }

    /**
     * {@code s} with line breaks and other control characters escaped ({@code \\n}, {@code \\u0000}),
     * cut in the middle to about {@code max} characters: text from a file cannot make a message
     * span lines or run long.
     */
    public static String printable(String s, int max) {
        String text = String.valueOf(s);
        StringBuilder sb = new StringBuilder(Math.min(text.length(), 4 * max));
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') sb.append("\\n");
            else if (c == '\r') sb.append("\\r");
            else if (c == '\t') sb.append("\\t");
            else if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        if (sb.length() <= max) return sb.toString();
        int head = max * 3 / 4, tail = max - head;
        return sb.substring(0, head) + " ...[" + (sb.length() - max) + " chars]... " + sb.substring(sb.length() - tail);
    }

    /** A short, one-line rendering of a value for messages. */
    public static String describe(JsonNode n) {
        if (n == null || n.isMissingNode()) return "nothing";
        String s = n.isTextual() ? "\"" + n.textValue() + "\"" : n.isContainerNode() ? (n.isArray() ? "an array" : "an object") : n.toString();
        s = s.replaceAll("\\s+", " ");
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }
}
