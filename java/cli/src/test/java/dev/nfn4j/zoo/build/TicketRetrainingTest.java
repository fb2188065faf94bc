package dev.nfn4j.zoo.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.TicketArch;
import dev.nfn4j.zoo.TicketZoo;
import dev.nfn4j.zoo.TinyImages;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TicketRetrainingTest {
    @TempDir
    Path tmp;

    /** IMP's own masks, retrained from a zoo file's build settings, give back the recorded accuracies; other images are refused. */
    @Test
    void impMasksReproduceTheRecordedAccuracies() throws IOException {
        ImageData.Split data = ImageData.load(TinyImages.write(tmp.resolve("images"), 40, 16, 11, 9, 4));
        TicketArch.Mlp mlp = new TicketArch.Mlp(new int[]{99, 12, 8, 10});
        double[] densities = {0.5, 0.2};
        TicketZooBuilder.Config c = new TicketZooBuilder.Config(mlp, 7, 3, densities, new TicketArch.Recipe(6, 4, 1e-2f, 12), 1);
        TicketZooBuilder.build(data, tmp.resolve("zoo"), c, null);
        TicketZoo zoo = TicketZoo.read(tmp.resolve("zoo").resolve(TicketZooBuilder.ZOO_FILE));
        assertEquals(c.recipe(), zoo.training().recipe());
        int[] net = {0, 2, 1, 2}, density = {0, 0, 1, 1};
        float[] acc = TicketRetraining.accuracies(data, zoo, net.length, j -> new TicketRetraining.Job(net[j], zoo.mask(net[j], density[j])), 2, null);
        for (int j = 0; j < net.length; j++) assertEquals(zoo.accuracy(net[j], density[j] + 1), acc[j], "network " + net[j] + " density " + density[j]);
        ImageData.Split other = ImageData.load(TinyImages.write(tmp.resolve("other"), 40, 16, 11, 9, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TicketRetraining.accuracies(other, zoo, 1, j -> new TicketRetraining.Job(0, zoo.mask(0, 0)), 1, null));
        assertTrue(e.getMessage().contains("other images"), e.getMessage());
    }
}
