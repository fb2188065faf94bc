package dev.nfn4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Npy;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.SmallCnnZoo;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile files that once broke a reader (an OutOfMemoryError, a StackOverflowError, a
 * corrupt archive accepted, a 400-character message), each now refused with an exact one-line
 * message naming the file; and the valid seeds of the fuzz corpus, each read without error.
 */
class HostileFilesTest {
    @TempDir
    Path tmp;

    @Test
    void aZip64NpzClaimingBillionsOfFloatsIsRefusedBeforeAllocating() throws IOException {
        Path f = seed("NpzFuzzTest", "repro_zip64_claims_2.1e9_floats.npz", "x.npz");
        assertTrue(Files.size(f) < 256, "the reproducer is a few hundred bytes");
        assertError(f, "x", "archive member claims 8400000128 bytes from 72 compressed bytes, more than DEFLATE can expand to (1032:1)",
                () -> Npy.readNpz(f));
        Path g = seed("NpzFuzzTest", "repro_zip64_claims_1e9_floats.npz", "y.npz");
        assertError(g, "x", "archive member claims 4000000128 bytes from 71 compressed bytes, more than DEFLATE can expand to (1032:1)",
                () -> Npy.readNpz(g));
    }

    @Test
    void aDeeplyNestedNpyShapeIsRefusedWithoutRecursingIntoIt() throws IOException {
        Path f = seed("NpyFuzzTest", "repro_deep_parens.npy", "x.npy");
        assertError(f, null, "header \"{'descr': '<f4', 'fortran_order': False, 'shape': ((((((((((((((((((((((((((((((...\" is not a valid"
                + " dict literal: nesting deeper than 16 levels at character 66", () -> Npy.read(f));
        assertError(f, null, "header \"{'descr': '<f4', 'fortran_order': False, 'shape': ((((((((((((((((((((((((((((((...\" is not a valid"
                + " dict literal: nesting deeper than 16 levels at character 66", () -> Npy.header(f));
    }

    @Test
    void aDeeplyNestedSafetensorsHeaderIsRefused() throws IOException {
        Path f = seed("SafetensorsFuzzTest", "repro_deep_json.safetensors", "x.safetensors");
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> Safetensors.read(f));
        assertOneLine(f, null, e);
        assertTrue(e.problem().startsWith("header is not valid JSON: Document nesting depth (33) exceeds the maximum allowed (32"), e.getMessage());
    }

    @Test
    void anNpzWhoseCentralDirectoryCrcIsCorruptIsRefused() throws IOException {
        Path f = seed("NpzFuzzTest", "repro_corrupt_central_crc.npz", "x.npz");
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> Npy.readNpz(f));
        assertOneLine(f, "a", e);
        assertTrue(e.problem().matches("archive member's data has CRC-32 [0-9a-f]{8} but the archive records [0-9a-f]{8} \\(corrupt archive\\)"),
                e.getMessage());
    }

    @Test
    void rank5002ShapesGiveShortMessages() throws IOException {
        Path npy = seed("NpyFuzzTest", "repro_rank_5002.npy", "x.npy");
        assertError(npy, null, "shape has 5002 dimensions; numpy allows at most 64", () -> Npy.read(npy));

        Path st = seed("SafetensorsFuzzTest", "repro_rank_5002.safetensors", "x.safetensors");
        SafetensorsFile f = Safetensors.read(st);
        assertEquals("[1, 1, 1, 1, 1, 1, ..., 1, 1] (rank 5002)", f.get("w").shapeString());
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> f.get("w", 2, 2));
        assertEquals("expected shape [2, 2] but found [1, 1, 1, 1, 1, 1, ..., 1, 1] (rank 5002) (" + st + ": w)", e.getMessage());
    }

    @Test
    void controlCharactersInAHeaderAreEscapedAndCut() throws IOException {
        Path f = seed("NpyFuzzTest", "repro_header_full_of_nul_bytes.npy", "x.npy");
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().length() < 400 && e.problem().contains("\\u0000") && e.problem().contains(" chars]... "), e.getMessage());
        assertEquals(f, e.file());
        assertEquals(1, e.getMessage().lines().count());
        assertTrue(e.getMessage().endsWith(" (" + f + ")"), e.getMessage());
    }

    @Test
    void truncatedFilesSayHowMuchIsMissing() throws IOException {
        Path npy = seed("NpyFuzzTest", "repro_truncated.npy", "x.npy");
        assertError(npy, null, "shape (4, 4) of <f4 needs 64 data bytes but 57 follow the header (truncated?)", () -> Npy.read(npy));
        Path st = seed("SafetensorsFuzzTest", "repro_truncated.safetensors", "x.safetensors");
        assertError(st, "w", "data_offsets [0, 32] run past the data section of 27 bytes (truncated file?)", () -> Safetensors.read(st));
        Path npz = seed("NpzFuzzTest", "repro_truncated.npz", "x.npz");
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> Npy.readNpz(npz));
        assertOneLine(npz, null, e);
        assertTrue(e.problem().startsWith("not a valid .npz (zip) archive: "), e.getMessage());
    }

    @Test
    void headersClaimingMoreThanTheFileHoldsAreRefused() throws IOException {
        Path npy = seed("NpyFuzzTest", "repro_claims_1e9_floats.npy", "x.npy");
        assertError(npy, null, "shape (1000000000,) of <f4 needs 4000000000 data bytes but 16 follow the header (truncated?)", () -> Npy.read(npy));
        Path st = seed("SafetensorsFuzzTest", "repro_claims_1e9_floats.safetensors", "x.safetensors");
        assertError(st, "w", "data_offsets [0, 4000000000] run past the data section of 16 bytes (truncated file?)", () -> Safetensors.read(st));
    }

    @Test
    void idxHeadersClaimingBillionsOfPixelsAreRefused() throws IOException {
        byte[][] raw = ReaderInvariant.split(Files.readAllBytes(resource("IdxFuzzTest", "repro_claims_2e9_pixels_raw")), 2);
        Path images = tmp.resolve("images"), labels = tmp.resolve("labels");
        Files.write(images, raw[0]);
        Files.write(labels, raw[1]);
        assertError(images, null, "truncated: the header promises 2000000000 data bytes, the file holds 8", () -> ImageData.read(images, labels));

        byte[][] gz = ReaderInvariant.split(Files.readAllBytes(resource("IdxFuzzTest", "repro_claims_2e9_pixels_gzip")), 2);
        Path imagesGz = tmp.resolve("images.gz"), labelsGz = tmp.resolve("labels.gz");
        Files.write(imagesGz, gz[0]);
        Files.write(labelsGz, gz[1]);
        assertError(imagesGz, null, "truncated: the header promises 2000000000 data bytes, the file holds 8", () -> ImageData.read(imagesGz, labelsGz));
    }

    @Test
    void aZooWhoseRowsHaveNoColumnsIsRefusedBeforeSizingByItsRows() throws IOException {
        Path zoo = zoo("repro_zero_columns");
        assertError(zoo.resolve("weights.npy"), null, "expected N x P rows of weights (N, P >= 1), got shape (1000000000, 0)",
                () -> SmallCnnZoo.read(zoo));
    }

    @Test
    void anOverlongCsvRecordIsRefusedAsItIsRead() throws IOException {
        Path zoo = zoo("valid_zoo");
        Path metrics = zoo.resolve("metrics.csv");
        Files.writeString(metrics, ",step,test_accuracy\n0,86,\"" + "9".repeat(2 << 20) + "\"\n");
        assertError(metrics, null, "record 2 is longer than 1048576 characters", () -> SmallCnnZoo.read(zoo));
    }

    @Test
    void ioErrorsNameThePath() throws IOException {
        Path missing = tmp.resolve("missing.npy");
        assertError(missing, null, "no such file or folder", () -> Npy.read(missing));
        assertError(missing, null, "no such file or folder", () -> Npy.readNpz(missing));
        assertError(missing, null, "no such file or folder", () -> Safetensors.read(missing));
        Path dir = Files.createDirectories(tmp.resolve("folder.npy"));
        assertError(dir, null, "Is a directory", () -> Npy.read(dir));
    }

    @Test
    void everyValidSeedReads() throws IOException {
        for (String name : seeds("NpyFuzzTest")) {
            Path f = seed("NpyFuzzTest", name, "x.npy");
            assertDoesNotThrow(() -> Npy.read(f), name);
        }
        for (String name : seeds("NpzFuzzTest")) {
            Path f = seed("NpzFuzzTest", name, "x.npz");
            assertFalse(assertDoesNotThrow(() -> Npy.readNpz(f), name).isEmpty(), name);
        }
        for (String name : seeds("SafetensorsFuzzTest")) {
            Path f = seed("SafetensorsFuzzTest", name, "x.safetensors");
            assertFalse(assertDoesNotThrow(() -> Safetensors.read(f), name).names().isEmpty(), name);
        }
        Path gzImages = tmp.resolve("i.gz"), gzLabels = tmp.resolve("l.gz");
        byte[][] gz = ReaderInvariant.split(Files.readAllBytes(resource("IdxFuzzTest", "valid_gzip")), 2);
        Files.write(gzImages, gz[0]);
        Files.write(gzLabels, gz[1]);
        assertEquals(3, ImageData.read(gzImages, gzLabels).count());
        Path rawImages = tmp.resolve("i"), rawLabels = tmp.resolve("l");
        byte[][] raw = ReaderInvariant.split(Files.readAllBytes(resource("IdxFuzzTest", "valid_raw")), 2);
        Files.write(rawImages, raw[0]);
        Files.write(rawLabels, raw[1]);
        assertEquals(3, ImageData.read(rawImages, rawLabels).count());
        for (String name : List.of("valid_zoo", "valid_zoo_gzip_metrics")) {
            Path zoo = zoo(name);
            assertEquals(6, SmallCnnZoo.read(zoo).size(), name);
            assertEquals(6, SmallCnnZoo.networks(zoo, null).layout().batch(), name);
        }
    }

    // ---- helpers ----

    /** The exact message: {@code problem (file)} or {@code problem (file: tensor)}, one line. */
    private static void assertError(Path file, String tensor, String problem, Executable read) {
        NfnFormatException e = assertThrows(NfnFormatException.class, read);
        assertEquals(problem + " (" + file + (tensor == null ? "" : ": " + tensor) + ")", e.getMessage());
        assertOneLine(file, tensor, e);
    }

    private static void assertOneLine(Path file, String tensor, NfnFormatException e) {
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().length() < 200 + file.toString().length(), e.getMessage());
        assertTrue(e.getMessage().endsWith(" (" + file + (tensor == null ? "" : ": " + tensor) + ")"), e.getMessage());
        assertEquals(file, e.file());
    }

    private static Path resource(String test, String name) {
        try {
            return Path.of(HostileFilesTest.class.getResource(test + "Inputs/read/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A seed copied to {@code name} in the temp folder, so messages name a known path. */
    private Path seed(String test, String seed, String name) throws IOException {
        return Files.copy(resource(test, seed), tmp.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static List<String> seeds(String test) throws IOException {
        try (Stream<Path> files = Files.list(resource(test, ""))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("valid_")).sorted().toList();
        }
    }

    /** A zoo folder from a ZooFolderFuzzTest seed (weights.npy, layout.csv, metrics.csv or .csv.gz). */
    private Path zoo(String seed) throws IOException {
        byte[][] parts = ReaderInvariant.split(Files.readAllBytes(resource("ZooFolderFuzzTest", seed)), 3);
        Path dir = Files.createDirectories(tmp.resolve(seed));
        Files.write(dir.resolve("weights.npy"), parts[0]);
        Files.write(dir.resolve("layout.csv"), parts[1]);
        Files.write(dir.resolve(ReaderInvariant.isGzip(parts[2]) ? "metrics.csv.gz" : "metrics.csv"), parts[2]);
        return dir;
    }
}
