package dev.nfn4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.zoo.SmallCnnZoo;
import dev.nfn4j.zoo.ZooDataset;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A Small CNN Zoo folder: weights.npy, layout.csv and metrics.csv(.gz) read together by
 * {@link SmallCnnZoo#read} and {@link SmallCnnZoo#networks}, so the CSV readers and the checks
 * that the three files agree are fuzzed with them. The input is the three files in that order,
 * separated by {@code "\0=====\0"}; metrics that start with gzip's magic are named metrics.csv.gz.
 */
class ZooFolderFuzzTest {
    private static final Path DIR = ReaderInvariant.scratch("zoo");

    @FuzzTest(maxDuration = "30s")
    void read(byte[] data) throws IOException {
        readInput(data);
    }

    /** One input; also reached through {@link AnyReaderFuzzTest}. */
    static void readInput(byte[] data) throws IOException {
        byte[][] parts = ReaderInvariant.split(data, 3);
        ReaderInvariant.put(DIR.resolve("weights.npy"), parts[0]);
        ReaderInvariant.put(DIR.resolve("layout.csv"), parts[1]);
        boolean gz = ReaderInvariant.isGzip(parts[2]);
        ReaderInvariant.put(DIR.resolve("metrics.csv.gz"), gz ? parts[2] : null);
        ReaderInvariant.put(DIR.resolve("metrics.csv"), gz ? null : parts[2]);
        ReaderInvariant.check(DIR, data.length, () -> {
            HostWeights all = SmallCnnZoo.networks(DIR, null);
            ZooDataset zoo = SmallCnnZoo.read(DIR);
            assertEquals(zoo.spec(), all.layout().spec());
        });
    }
}
