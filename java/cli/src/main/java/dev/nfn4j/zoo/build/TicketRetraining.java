package dev.nfn4j.zoo.build;

import dev.nfn4j.zoo.BuildSettings;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.TicketArch;
import dev.nfn4j.zoo.TicketZoo;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/**
 * Trains networks of a ticket zoo from their initialisations under given masks, exactly as IMP
 * trained its tickets: the zoo's recipe and each network's own data stream. A mask's accuracy
 * then compares with the zoo's recorded ticket accuracies, and IMP's own mask gives back the
 * recorded number.
 */
public final class TicketRetraining {
    private TicketRetraining() {
    }

    /** One run: network {@code network} of the zoo under {@code mask} (canonical layout, 1 keeps). */
    public record Job(int network, float[] mask) {
    }

    /**
     * Test accuracy of each job (the first {@code recipe.testImages} test images), run on
     * {@code threads} threads; the results do not depend on the thread count.
     *
     * @param jobs     job j, made when a thread takes it (so only the running jobs' masks are in memory)
     * @param progress receives the number of jobs done; may be null
     * @throws IllegalArgumentException when the images are not the ones the zoo was built on
     */
    public static float[] accuracies(ImageData.Split data, TicketZoo zoo, int count, IntFunction<Job> jobs, int threads, IntConsumer progress) {
        TicketZoo.Training t = zoo.training();
        String images = BuildSettings.data(data);
        if (!images.equals(t.data()))
            throw new IllegalArgumentException("the ticket zoo was built on other images (" + t.data() + ") than these (" + images + ")");
        TicketArch arch = zoo.arch();
        float[] acc = new float[count];
        ZooGenerator.runAll(count, Math.max(1, Math.min(threads, count)), j -> {
            Job job = jobs.apply(j);
            float[] keep = arch.trainerOrder(job.mask());
            acc[j] = TicketArchTraining.train(arch, data, arch.trainerOrder(zoo.init(job.network())), keep, t.recipe(), zoo.dataSeed(job.network())).testAccuracy();
        }, progress);
        return acc;
    }
}
