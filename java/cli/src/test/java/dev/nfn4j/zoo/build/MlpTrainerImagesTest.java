package dev.nfn4j.zoo.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.TicketArch;
import dev.nfn4j.zoo.TinyImages;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ticket MLP's loss gradient against central differences (in PyTorch order, every layer, weights and biases). */
class MlpTrainerImagesTest {
    @TempDir
    Path tmp;

    @Test
    void gradientMatchesFiniteDifferences() throws IOException {
        ImageData.Split data = ImageData.load(TinyImages.write(tmp.resolve("images"), 12, 4, 3, 4, 9));
        int[] sizes = {12, 5, 4, 10};
        int P = MlpTrainer.numParams(sizes);
        Random r = new Random(4);
        float[] p = new float[P];
        for (int q = 0; q < P; q++) p[q] = (float) (r.nextGaussian() * 0.5);
        int[] idx = {0, 3, 5, 7, 11};
        float[] g = new float[P];
        MlpTrainer.imageLossAndGradient(data.train(), sizes, p, idx, g);
        int checked = 0;
        for (int q = 0; q < P; q += 3) {
            float[] plus = p.clone(), minus = p.clone();
            float h = 1e-2f;
            plus[q] += h;
            minus[q] -= h;
            double fd = (MlpTrainer.imageLossAndGradient(data.train(), sizes, plus, idx, new float[P])
                    - MlpTrainer.imageLossAndGradient(data.train(), sizes, minus, idx, new float[P])) / (plus[q] - minus[q]);
            assertEquals(fd, g[q], 2e-3 + 2e-2 * Math.abs(fd), "parameter " + q);
            checked++;
        }
        assertEquals((P + 2) / 3, checked);
        // Layer offsets in PyTorch order: W_0 [5][12], b_0, W_1 [4][5], b_1, W_2 [10][4], b_2.
        TicketArch.Mlp layout = new TicketArch.Mlp(sizes);
        assertEquals(0, layout.weightRanges()[0][0]);
        assertEquals(65, layout.weightRanges()[1][0]);
        assertEquals(89, layout.weightRanges()[2][0]);
        assertEquals(139, P);
        assertThrows(IllegalArgumentException.class, () -> MlpTrainer.trainOnImages(data, new int[]{11, 4, 10}, new float[94], null, 1, 2, 1e-3f, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> MlpTrainer.trainOnImages(data, sizes, new float[P - 1], null, 1, 2, 1e-3f, 2, 0));
    }
}
