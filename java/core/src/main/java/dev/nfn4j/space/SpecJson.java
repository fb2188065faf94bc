package dev.nfn4j.space;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nfn4j.io.JsonFields;

import java.util.Set;

/**
 * A {@link NetworkSpec} as JSON, {@code {"sizes": [...], "filters": [[3,3], null, ...]}}, for checkpoint
 * metadata. Reading checks it as a schema, with bounds that keep every size a spec implies
 * (a network's parameters, a layer's plane) well inside what an int index and memory hold.
 */
public final class SpecJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** At most this many layers. */
    public static final int MAX_LAYERS = 256;
    /** At most this many neurons in any layer (inputs and outputs included). */
    public static final int MAX_NEURONS = 1 << 16;
    /** At most this filter height or width. */
    public static final int MAX_FILTER = 32;
    /** At most this many weights and biases in one network. */
    public static final long MAX_PARAMS = 1L << 28;

    private SpecJson() {}

    /** The spec as JSON, as checkpoints store it. */
    public static String write(NetworkSpec spec) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode sizes = o.putArray("sizes");
        for (int s : spec.sizes()) sizes.add(s);
        ArrayNode filters = o.putArray("filters");
        for (int i = 0; i < spec.numLayers(); i++) {
            int[] f = spec.filter(i);
            if (f == null) filters.addNull();
            else filters.addArray().add(f[0]).add(f[1]);
        }
        return o.toString();
    }

    /**
     * The spec in {@code json}; a malformed or out-of-bounds value is a {@link JsonFields.BadField}
     * naming it ({@code network_spec.filters[1][0]}).
     */
    public static NetworkSpec read(String json) {
        return read("network_spec", json);
    }

    static NetworkSpec read(String field, String json) {
        JsonNode o = JsonFields.parseObject(field, json);
        JsonFields.onlyKeys(field, o, Set.of("sizes", "filters"));
        int[] n = JsonFields.integers(field + ".sizes", JsonFields.required(field, o, "sizes"), 2, MAX_LAYERS + 1, 1, MAX_NEURONS);
        JsonNode filters = JsonFields.array(field + ".filters", JsonFields.required(field, o, "filters"), n.length - 1, n.length - 1);
        int[][] f = new int[filters.size()][];
        for (int i = 0; i < f.length; i++) {
            JsonNode fi = filters.get(i);
            if (!fi.isNull()) f[i] = JsonFields.integers(field + ".filters[" + i + "]", fi, 2, 2, 1, MAX_FILTER);
        }
        NetworkSpec spec = new NetworkSpec(n, f);
        if (spec.numParams() > MAX_PARAMS)
            throw new JsonFields.BadField(field, "networks of " + spec.numParams() + " parameters; at most " + MAX_PARAMS + " are supported");
        return spec;
    }

    /**
     * Refuses a spec that {@link #read} would refuse, so a model is never trained on networks its
     * checkpoint could not describe.
     */
    public static void requireSupported(NetworkSpec spec) {
        read(write(spec));
    }
}
