package dev.nfn4j.zoo;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The {@code build.json} of the zoo builders (CNN, SIREN, ticket): everything a zoo's contents
 * depend on, one key per line. A resumed build compares it as text with the folder's, so its
 * format stays fixed: strings quoted and escaped, other values as printed with their spaces
 * removed.
 */
final class BuildSettings {
    private BuildSettings() {}

    /** The settings as JSON text, in the map's order. */
    static String json(Map<String, Object> settings) {
        StringBuilder sb = new StringBuilder("{\n");
        int k = 0;
        for (var e : settings.entrySet()) {
            Object v = e.getValue();
            String s = v instanceof String str ? "\"" + str.replace("\\", "\\\\").replace("\"", "\\\"") + "\"" : String.valueOf(v).replace(" ", "");
            sb.append("  \"").append(e.getKey()).append("\": ").append(s).append(++k < settings.size() ? ",\n" : "\n");
        }
        return sb.append("}\n").toString();
    }

    /** The images a zoo was trained on: counts, size and a CRC-32 of every image and label. */
    static String data(ImageData.Split data) {
        CRC32 crc = new CRC32();
        for (ImageData x : List.of(data.train(), data.test())) {
            crc.update(x.images());
            crc.update(x.labels());
        }
        return String.format(Locale.ROOT, "%d train + %d test images of %dx%d, crc32 %08x", data.train().count(), data.test().count(),
                data.train().rows(), data.train().cols(), crc.getValue());
    }
}
