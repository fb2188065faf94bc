package dev.nfn4j.zoo.build;

import dev.nfn4j.io.AtomicFile;
import dev.nfn4j.zoo.BuildSettings;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The {@link BuildSettings#FILE build.json} of the zoo builders (CNN, SIREN, ticket): everything
 * a zoo's contents depend on, one key per line. A resumed build compares it as text with the
 * folder's, so its format stays fixed: strings quoted and escaped, other values as printed with
 * their spaces removed. Also the folder's claim: a build starts in an empty folder or resumes one
 * built with the same settings, never another's.
 */
final class BuildFolder {
    private BuildFolder() {}

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

    /**
     * Claims {@code out} for a build with these settings: a folder without
     * {@link BuildSettings#FILE} gets one (refused when it holds any of {@code ownFiles}, which
     * only this builder writes); one with it must have the same settings. Returns true when the
     * build there is already complete (no {@code parts} folder left and {@code finished} present),
     * else creates {@code parts}.
     *
     * @param what the builder's zoo in messages ("a SIREN zoo")
     */
    static boolean claim(Path out, String settings, String what, Path parts, Path finished, List<String> ownFiles) throws IOException {
        Files.createDirectories(out);
        Path buildFile = out.resolve(BuildSettings.FILE);
        if (Files.exists(buildFile)) {
            String old = Files.readString(buildFile);
            if (!old.equals(settings))
                throw new IllegalArgumentException(out + " holds " + what + " built with other settings (" + buildFile + "):\n" + old
                        + "requested:\n" + settings + "use another folder, or delete it to start over");
            if (!Files.exists(parts) && Files.exists(finished)) return true;
        } else {
            for (String f : ownFiles)
                if (Files.exists(out.resolve(f)))
                    throw new IllegalArgumentException(out + " holds " + f + " but no " + BuildSettings.FILE + ": not a folder this builder made");
            AtomicFile.write(buildFile, settings.getBytes(StandardCharsets.UTF_8));
        }
        Files.createDirectories(parts);
        return false;
    }
}
