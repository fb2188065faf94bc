package dev.nfn4j.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nfn4j.io.JsonFields;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.zoo.ZooDataset;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * What a resumed run must share with the run it continues: the settings in a state file's
 * {@code config} (all but the number of epochs, which may change) and the data it trained on
 * ({@link #fingerprint}). Differences are named with the command-line options that set them.
 */
final class RunSettings {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunSettings() {}

    /** The zoo as far as a run depends on it: size, splits, target, and a checksum of weights, targets and split indices. */
    static String fingerprint(ZooDataset data) {
        CRC32 crc = new CRC32();
        update(crc, data.canonicalRows());
        if (!data.hasWeightTargets()) update(crc, data.targets());
        for (int[] split : new int[][]{data.splits().train(), data.splits().val(), data.splits().test()}) {
            ByteBuffer b = ByteBuffer.allocate(split.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.asIntBuffer().put(split);
            crc.update(b);
        }
        return data.size() + " networks, split " + data.splits().train().length + "/" + data.splits().val().length + "/"
                + data.splits().test().length + ", target " + data.target() + ", crc32 " + Long.toHexString(crc.getValue());
    }

    private static void update(CRC32 crc, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(Math.min(v.length, 1 << 16) * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int from = 0; from < v.length; from += 1 << 16) {
            int n = Math.min(1 << 16, v.length - from);
            b.clear();
            b.asFloatBuffer().put(v, from, n);
            b.limit(n * Float.BYTES);
            crc.update(b);
        }
    }

    /**
     * Refuses to continue a run whose saved settings or data differ from {@code now}'s (and the
     * current data's {@link #fingerprint}), naming each
     * difference as {@code --lr 0.5 (the run has 0.001)}.
     */
    static void requireSame(Path file, Path out, Map<String, String> md, Trainer.Config now, String dataFingerprint) throws NfnFormatException {
        List<String> differ = new ArrayList<>();
        if (md.containsKey("config")) {
            JsonNode saved;
            try {
                saved = JsonFields.object("config", JSON.readTree(md.get("config")));
            } catch (JsonProcessingException e) {
                throw NfnFormatException.field(file, "config", "not valid JSON: " + JsonFields.oneLine(e));
            }
            JsonNode mine = JSON.valueToTree(now);
            String[][] options = {{"batchSize", "--batch"}, {"lr", "--lr"}, {"weightDecay", "--weight-decay"}, {"adamW", "--adamw"},
                    {"warmupSteps", "--warmup"}, {"loss", "--loss"}, {"seed", "--seed"}, {"patience", "--patience"}};
            for (String[] o : options) {
                JsonNode was = saved.get(o[0]), is = mine.get(o[0]);
                if (was != null && !sameValue(was, is)) differ.add(o[1] + " " + show(is) + " (the run has " + show(was) + ")");
            }
            Normalization was = savedNormalization(file, saved);
            if (was != null && was != now.normalization())
                differ.add("--normalize " + now.normalization() + " (the run has " + was + ")");
        }
        String fingerprint = md.get("data");
        if (fingerprint != null && !fingerprint.equals(dataFingerprint))
            differ.add("the data: " + dataFingerprint + " (the run has " + fingerprint + ")");
        if (!differ.isEmpty())
            throw new IllegalArgumentException("cannot resume the run in " + out + " with other settings: " + String.join(", ", differ)
                    + "; resume with the run's settings, or start a new run in another folder (" + file + ")");
    }

    /** The run's normalization: {@code normalization} by name, or in states written before there was a choice {@code normalize} (per tensor or none). */
    private static Normalization savedNormalization(Path file, JsonNode saved) throws NfnFormatException {
        JsonNode n = saved.get("normalization");
        if (n != null && n.isTextual()) {
            try {
                return Normalization.parse(n.textValue());
            } catch (IllegalArgumentException e) {
                throw NfnFormatException.field(file, "config.normalization", e.getMessage());
            }
        }
        JsonNode old = saved.get("normalize");
        return old != null && old.isBoolean() ? (old.booleanValue() ? Normalization.PER_TENSOR : Normalization.NONE) : null;
    }

    private static boolean sameValue(JsonNode a, JsonNode b) {
        if (a.isNumber() && b != null && b.isNumber()) return a.doubleValue() == b.doubleValue();
        return Objects.equals(a, b);
    }

    private static String show(JsonNode v) {
        if (v == null) return "(none)";
        if (v.isTextual()) return v.textValue().equals("BINARY_CROSS_ENTROPY") ? "bce" : v.textValue().equals("MSE") ? "mse" : v.textValue();
        return v.toString();
    }

    /** A whole-number metadata value in {@code [min, max]}; anything else names the field. */
    static long count(Path file, Map<String, String> md, String key, long min, long max) throws NfnFormatException {
        String v = md.get(key);
        try {
            long n = Long.parseLong(Objects.requireNonNull(v).strip());
            if (n >= min && n <= max) return n;
        } catch (NumberFormatException | NullPointerException e) {
            // reported below
        }
        throw NfnFormatException.field(file, key, "expected a whole number from " + min + " to " + max + ", got " + (v == null ? "nothing" : "'" + v + "'"));
    }
}
