package dev.nfn4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.util.Arrays;

/**
 * Every reader in one target, for the short fuzzing run of {@code ./mvnw verify}: Jazzer fuzzes
 * one target per JVM, so one target that reaches all five costs one JVM start instead of five.
 * The first byte picks the reader (its value mod 5, in the order below); the rest is that
 * reader's input. The seeds are the other targets' seeds with their selector byte in front.
 */
class AnyReaderFuzzTest {
    @FuzzTest(maxDuration = "30s")
    void read(byte[] data) throws IOException {
        if (data.length == 0) return;
        byte[] input = Arrays.copyOfRange(data, 1, data.length);
        switch ((data[0] & 0xff) % 5) {
            case 0 -> NpyFuzzTest.readInput(input);
            case 1 -> NpzFuzzTest.readInput(input);
            case 2 -> SafetensorsFuzzTest.readInput(input);
            case 3 -> IdxFuzzTest.readInput(input);
            default -> ZooFolderFuzzTest.readInput(input);
        }
    }
}
