package dev.nfn4j.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses and validates a safetensors JSON header. Everything a reader later relies on
 * (types, sizes, offsets inside the data section, no overlaps) is checked here, before any
 * tensor array is allocated.
 */
final class HeaderParser {
    static final String METADATA_KEY = "__metadata__";

    /** A header nests three deep (header, entry, shape); anything far deeper is hostile. */
    static final int MAX_NESTING = 32;
    /** Longest JSON value quoted in a message. */
    private static final int MAX_QUOTED_CHARS = 80;

    // Duplicate names and trailing junk are errors in safetensors, not "last one wins".
    static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** A validated header: entries sorted by data offset, and the metadata (unmodifiable). */
    record Header(List<TensorEntry> entries, Map<String, String> metadata) {
    }

    private final Path file;

    private HeaderParser(Path file) {
        this.file = file;
    }

    /** Parses {@code bytes} as the header of {@code file}, whose data section has {@code dataLength} bytes. */
    static Header parse(Path file, byte[] bytes, long dataLength) throws NfnFormatException {
        return new HeaderParser(file).parse(bytes, dataLength);
    }

    private Header parse(byte[] bytes, long dataLength) throws NfnFormatException {
        JsonNode root = readJson(bytes);
        Map<String, String> metadata = Map.of();
        List<TensorEntry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) {
                metadata = metadata(field.getValue());
            } else {
                entries.add(entry(field.getKey(), field.getValue(), dataLength));
            }
        }
        checkNoOverlap(entries);
        return new Header(List.copyOf(entries), metadata);
    }

    private JsonNode readJson(byte[] bytes) throws NfnFormatException {
        String text;
        try {
            // Strict decoding: Jackson would report bad UTF-8 too, but less clearly.
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new NfnFormatException(file, null, "header is not valid UTF-8", e);
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new NfnFormatException(file, null, "header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new NfnFormatException(file, "header is not a JSON object");
        }
        return root;
    }

    private Map<String, String> metadata(JsonNode node) throws NfnFormatException {
        if (node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new NfnFormatException(file, METADATA_KEY + " is not a JSON object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new NfnFormatException(file, METADATA_KEY + " value of '" + e.getKey()
                        + "' is not a string: " + quoted(e.getValue()));
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return Collections.unmodifiableMap(out);
    }

    private TensorEntry entry(String name, JsonNode node, long dataLength) throws NfnFormatException {
        if (!node.isObject()) {
            throw error(name, "entry is not a JSON object: " + quoted(node));
        }
        DType dtype = dtype(name, node.get("dtype"));
        int[] shape = shape(name, node.get("shape"));
        long numel = 1;
        try {
            for (int d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
        } catch (ArithmeticException e) {
            throw error(name, "shape " + ShapeText.list(shape) + " has more elements than fit in 64 bits");
        }
        if (numel > HostTensor.MAX_ELEMENTS) {
            throw error(name, "shape " + ShapeText.list(shape) + " has " + numel
                    + " elements, more than a Java array can hold (" + HostTensor.MAX_ELEMENTS + ")");
        }
        long[] offsets = offsets(name, node.get("data_offsets"));
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw error(name, "data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        long bytes = numel * dtype.byteSize(); // numel <= MAX_ELEMENTS, so no overflow
        if (end - begin != bytes) {
            throw error(name, "data_offsets [" + begin + ", " + end + "] span " + (end - begin) + " bytes but "
                    + dtype + " " + ShapeText.list(shape) + " needs " + bytes);
        }
        if (end > dataLength) {
            throw error(name, "data_offsets [" + begin + ", " + end + "] run past the data section of "
                    + dataLength + " bytes (truncated file?)");
        }
        return new TensorEntry(name, dtype, shape, (int) numel, begin, end);
    }

    private DType dtype(String name, JsonNode node) throws NfnFormatException {
        if (node == null || !node.isTextual()) {
            throw error(name, "'dtype' must be a string, found " + quoted(node));
        }
        try {
            return DType.parse(node.textValue());
        } catch (IllegalArgumentException e) {
            throw error(name, e.getMessage());
        }
    }

    private int[] shape(String name, JsonNode node) throws NfnFormatException {
        if (node == null || !node.isArray()) {
            throw error(name, "'shape' must be an array of integers, found " + quoted(node));
        }
        int[] shape = new int[node.size()];
        for (int i = 0; i < shape.length; i++) {
            long d = integer(name, "shape", node.get(i));
            if (d < 0) {
                throw error(name, "shape has a negative dimension " + d + " at axis " + i);
            }
            if (d > Integer.MAX_VALUE) {
                throw error(name, "shape has dimension " + d + " at axis " + i + ", larger than a Java int");
            }
            shape[i] = (int) d;
        }
        return shape;
    }

    private long[] offsets(String name, JsonNode node) throws NfnFormatException {
        if (node == null || !node.isArray() || node.size() != 2) {
            throw error(name, "'data_offsets' must be an array of two integers [begin, end], found " + quoted(node));
        }
        long begin = integer(name, "data_offsets", node.get(0));
        long end = integer(name, "data_offsets", node.get(1));
        if (begin < 0 || end < 0) {
            throw error(name, "data_offsets [" + begin + ", " + end + "] are negative");
        }
        return new long[] {begin, end};
    }

    private long integer(String name, String field, JsonNode n) throws NfnFormatException {
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw error(name, "'" + field + "' holds " + quoted(n) + ", not a 64-bit integer");
        }
        return n.longValue();
    }

    /** Sorts by data offset and rejects tensors that share bytes (gaps are allowed). */
    private void checkNoOverlap(List<TensorEntry> entries) throws NfnFormatException {
        // Stable sort: zero-size tensors at the same offset keep header order.
        entries.sort(Comparator.comparingLong(TensorEntry::begin).thenComparingLong(TensorEntry::end));
        TensorEntry last = null; // the last tensor that occupies bytes; empty ones share none
        for (TensorEntry cur : entries) {
            if (cur.begin() == cur.end()) {
                continue;
            }
            if (last != null && cur.begin() < last.end()) {
                throw error(cur.name(), "data_offsets [" + cur.begin() + ", " + cur.end()
                        + "] overlap those of tensor '" + last.name() + "' [" + last.begin() + ", " + last.end() + "]");
            }
            last = cur;
        }
    }

    /** A JSON value for a message, cut to {@value #MAX_QUOTED_CHARS} characters. */
    private static String quoted(JsonNode node) {
        String s = String.valueOf(node);
        return s.length() > MAX_QUOTED_CHARS ? s.substring(0, MAX_QUOTED_CHARS) + "..." : s;
    }

    private NfnFormatException error(String tensor, String message) {
        return new NfnFormatException(file, tensor, message);
    }
}
