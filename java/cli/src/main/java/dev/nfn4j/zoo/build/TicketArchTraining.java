package dev.nfn4j.zoo.build;

import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.TicketArch;

/** Trains one network of a ticket-zoo architecture: the MLP with {@link MlpTrainer#trainOnImages}, the CNN with {@link CnnTrainer}. */
final class TicketArchTraining {
    private TicketArchTraining() {}

    /** Trains from {@code init} (trainer order) under {@code keep} (null: dense); the data stream is {@code dataSeed}'s. */
    static TicketArch.Trained train(TicketArch arch, ImageData.Split data, float[] init, float[] keep, TicketArch.Recipe c, long dataSeed) {
        return switch (arch) {
            case TicketArch.Mlp mlp ->
                    MlpTrainer.trainOnImages(data, mlp.sizes(), init, keep, c.steps(), c.batch(), c.learningRate(), c.testImages(), dataSeed);
            case TicketArch.Cnn cnn -> {
                CnnHyperparameters hp = new CnnHyperparameters(CnnHyperparameters.Optimizer.ADAM, c.learningRate(), CnnHyperparameters.Activation.RELU,
                        CnnHyperparameters.Init.RANDOM_NORMAL, 1f, 0f, 0f, 1f); // init unused: training starts from init
                CnnTrainer.Result r = CnnTrainer.trainFrom(data, hp, c.batch(), new int[]{c.steps()}, c.testImages(), dataSeed, init, keep);
                yield new TicketArch.Trained(r.params()[0], r.testAccuracy()[0], r.divergedAt() >= 0);
            }
        };
    }
}
