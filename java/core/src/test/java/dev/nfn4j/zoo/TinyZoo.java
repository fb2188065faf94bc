package dev.nfn4j.zoo;

import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.Npy;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a small zoo in exactly the Small CNN Zoo format: 3 conv layers 3x3 with 1 -> 4 -> 4 -> 4
 * channels, a dense 4 -> 10 layer, {@value #NETS} networks with a checkpoint at step 0 and at
 * step 86 each (row 2n and 2n + 1). Weight (row r, column c) is {@code r * 1000 + c}, exact in
 * float, so every value says where it came from.
 */
final class TinyZoo {
    static final int NETS = 12;
    static final int ROWS = 2 * NETS;
    /** varname, TF shape, as layout.csv lists them. */
    static final List<Object[]> TENSORS = List.of(
            new Object[]{"sequential/conv2d/kernel:0", new int[]{3, 3, 1, 4}},
            new Object[]{"sequential/conv2d/bias:0", new int[]{4}},
            new Object[]{"sequential/conv2d_1/kernel:0", new int[]{3, 3, 4, 4}},
            new Object[]{"sequential/conv2d_1/bias:0", new int[]{4}},
            new Object[]{"sequential/conv2d_2/kernel:0", new int[]{3, 3, 4, 4}},
            new Object[]{"sequential/conv2d_2/bias:0", new int[]{4}},
            new Object[]{"sequential/dense/kernel:0", new int[]{4, 10}},
            new Object[]{"sequential/dense/bias:0", new int[]{10}});
    static final int P = 36 + 4 + 144 + 4 + 144 + 4 + 40 + 10;

    private TinyZoo() {
    }

    static float weight(long row, int column) {
        return row * 1000 + column;
    }

    static int step(int row) {
        return row % 2 == 0 ? 0 : 86;
    }

    static float testAccuracy(int row) {
        return 0.1f + 0.05f * (row / 2) + (step(row) == 86 ? 0.2f : 0f);
    }

    /** Writes the three files into {@code dir} and returns it. */
    static Path write(Path dir) throws IOException {
        float[] w = new float[ROWS * P];
        for (int r = 0; r < ROWS; r++)
            for (int c = 0; c < P; c++) w[r * P + c] = weight(r, c);
        Npy.write(dir.resolve("weights.npy"), HostTensor.f32(new int[]{ROWS, P}, w));
        Files.writeString(dir.resolve("layout.csv"), String.join("\n", layoutLines()) + "\n");
        writeMetrics(dir.resolve("metrics.csv.gz"), metricsLines());
        return dir;
    }

    /** layout.csv as pandas writes it: an unnamed index column, quoted shape tuples. */
    static List<String> layoutLines() {
        List<String> lines = new ArrayList<>(List.of(",varname,start_idx,end_idx,size,shape"));
        int start = 0;
        for (int i = 0; i < TENSORS.size(); i++) {
            int[] shape = (int[]) TENSORS.get(i)[1];
            int size = 1;
            for (int d : shape) size *= d;
            lines.add(i + "," + TENSORS.get(i)[0] + "," + start + "," + (start + size) + "," + size + ",\"" + TfLayout.tuple(shape) + "\"");
            start += size;
        }
        return lines;
    }

    static List<String> metricsLines() {
        List<String> lines = new ArrayList<>(List.of(
                "config.activation,config.dataset,config.learning_rate,modeldir,step,test_accuracy,test_loss,train_accuracy,train_loss"));
        for (int r = 0; r < ROWS; r++)
            lines.add("relu,cifar10," + (0.001 * (r + 1)) + ",\"/zoo/run " + r / 2 + ", seed 42\"," + step(r) + "," + testAccuracy(r) + ","
                    + (2.5 - r * 0.01) + "," + (0.3 + r * 0.01) + "," + (2.0 - r * 0.01));
        return lines;
    }

    static void writeMetrics(Path file, List<String> lines) throws IOException {
        try (Writer out = new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(file)), StandardCharsets.UTF_8)) {
            out.write(String.join("\n", lines) + "\n");
        }
    }
}
