package dev.nfn4j.space;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;

/** A {@link NetworkSpec} as JSON, {@code {"sizes": [...], "filters": [[3,3], null, ...]}}, for checkpoint metadata. */
public final class SpecJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SpecJson() {}

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

    public static NetworkSpec read(String json) {
        try {
            JsonNode o = JSON.readTree(json);
            JsonNode sizes = o.get("sizes"), filters = o.get("filters");
            if (sizes == null || !sizes.isArray() || filters == null || !filters.isArray())
                throw new IllegalArgumentException("network spec JSON needs arrays 'sizes' and 'filters': " + json);
            int[] n = new int[sizes.size()];
            for (int i = 0; i < n.length; i++) n[i] = sizes.get(i).asInt();
            int[][] f = new int[filters.size()][];
            for (int i = 0; i < f.length; i++) {
                JsonNode fi = filters.get(i);
                f[i] = fi.isNull() ? null : new int[]{fi.get(0).asInt(), fi.get(1).asInt()};
            }
            return new NetworkSpec(n, f);
        } catch (IOException e) {
            throw new IllegalArgumentException("bad network spec JSON: " + e.getMessage());
        }
    }
}
