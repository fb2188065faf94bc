package dev.nfn4j.zoo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nfn4j.io.NfnFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The images of an INR-editing task on a SIREN zoo: per SIREN its source image and the target,
 * that image edited by an {@link ImageStyle}, both scaled to [-1, 1] as the SIRENs' targets are
 * ({@link Sirens#pixel}), {@code [rows * cols]} row-major. Each image is styled once, shared by
 * its K SIRENs.
 *
 * <p>The zoo and the images must agree: every SIREN's image index lies inside its source file,
 * its recorded label is that image's label, and the zoo's {@code build.json} (when present)
 * names these very images (counts, size, CRC); otherwise a one-line error names the zoo file.
 */
public final class EditTargets {
    private final SirenZoo zoo;
    private final ImageData.Split data;
    private final ImageStyle style;
    private final Map<Long, float[]> targets = new HashMap<>(), sources = new HashMap<>();

    /** The targets of {@code zoo}'s SIRENs under {@code style}, checking that {@code data} holds their source images. */
    public EditTargets(SirenZoo zoo, ImageData.Split data, ImageStyle style) throws IOException {
        this.zoo = zoo;
        this.data = data;
        this.style = style;
        checkAgree(zoo, data);
    }

    /** The style of the targets. */
    public ImageStyle style() {
        return style;
    }

    /** Image rows. */
    public int rows() {
        return data.train().rows();
    }

    /** Image columns. */
    public int cols() {
        return data.train().cols();
    }

    /** SIREN i's source image, scaled (a shared array: do not write). */
    public float[] source(int i) {
        return sources.computeIfAbsent(key(i), k -> scaled(grey(i)));
    }

    /** SIREN i's target: its source image edited by the style, scaled (a shared array: do not write). */
    public float[] target(int i) {
        return targets.computeIfAbsent(key(i), k -> scaled(style.apply(grey(i), rows(), cols())));
    }

    private long key(int i) {
        return (zoo.source()[i].equals("test") ? 1L << 32 : 0) | zoo.image()[i];
    }

    private int[] grey(int i) {
        ImageData d = file(zoo, data, i);
        int[] g = new int[d.pixels()];
        for (int q = 0; q < g.length; q++) g[q] = d.images()[zoo.image()[i] * d.pixels() + q] & 0xff;
        return g;
    }

    private static float[] scaled(int[] grey) {
        float[] v = new float[grey.length];
        for (int q = 0; q < v.length; q++) v[q] = Sirens.pixel(grey[q]);
        return v;
    }

    private static ImageData file(SirenZoo zoo, ImageData.Split data, int i) {
        return zoo.source()[i].equals("test") ? data.test() : data.train();
    }

    private static void checkAgree(SirenZoo zoo, ImageData.Split data) throws IOException {
        Path table = zoo.dir().resolve(SirenZoo.TABLE), build = zoo.dir().resolve(BuildSettings.FILE);
        if (Files.isRegularFile(build)) {
            JsonNode recorded = new ObjectMapper().readTree(build.toFile()).get("data");
            String found = BuildSettings.data(data);
            if (recorded != null && !recorded.asText().equals(found))
                throw new NfnFormatException(build, "data '" + recorded.asText() + "', but the images given are '" + found
                        + "' (--data: the images the zoo was built from)");
        }
        for (int i = 0; i < zoo.size(); i++) {
            ImageData d = file(zoo, data, i);
            int img = zoo.image()[i];
            if (img >= d.count())
                throw new NfnFormatException(table, "row " + i + ": " + zoo.source()[i] + " image " + img + ", but the " + zoo.source()[i]
                        + " images number " + d.count());
            if (d.label(img) != zoo.label()[i])
                throw new NfnFormatException(table, "row " + i + ": label " + zoo.label()[i] + ", but " + zoo.source()[i] + " image " + img
                        + " has label " + d.label(img));
        }
    }
}
