package dev.nfn4j.zoo;

import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * What a built zoo's {@code build.json} records and its readers check: the file's name and the
 * fingerprint of the images the zoo was trained on (its {@code data} key).
 */
public final class BuildSettings {
    private BuildSettings() {}

    /** The images a zoo was trained on: counts, size and a CRC-32 of every image and label. */
    public static String data(ImageData.Split data) {
        CRC32 crc = new CRC32();
        for (ImageData x : List.of(data.train(), data.test())) {
            crc.update(x.images());
            crc.update(x.labels());
        }
        return String.format(Locale.ROOT, "%d train + %d test images of %dx%d, crc32 %08x", data.train().count(), data.test().count(),
                data.train().rows(), data.train().cols(), crc.getValue());
    }

    /** The settings file of a build folder. */
    public static final String FILE = "build.json";
}
