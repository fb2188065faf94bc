package dev.nfn4j.cli;

import dev.nfn4j.train.Loss;
import dev.nfn4j.train.Trainer;
import picocli.CommandLine.Option;

/** The training options of {@code train}. */
final class TrainOptions {
    @Option(names = "--epochs", defaultValue = "50") int epochs;
    @Option(names = "--batch", defaultValue = "8") int batch;
    @Option(names = "--lr", defaultValue = "1e-3") double lr;
    @Option(names = "--weight-decay", defaultValue = "0") double weightDecay;
    @Option(names = "--adamw", description = "Decoupled weight decay (AdamW).") boolean adamW;
    @Option(names = "--warmup", defaultValue = "0", description = "Linear warm-up steps.") int warmup;
    @Option(names = "--loss", defaultValue = "bce", description = "bce or mse.") String loss;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of initialization and batch order.") long seed;
    @Option(names = "--patience", defaultValue = "0", description = "Stop after this many epochs without a better validation tau (0: never).") int patience;
    @Option(names = "--no-normalize", description = "Skip per-tensor input normalization.") boolean noNormalize;

    Trainer.Config trainer(boolean progress) {
        return new Trainer.Config(epochs, batch, lr, weightDecay, adamW, warmup, Loss.parse(loss), seed, patience, !noNormalize, progress);
    }

    @Override
    public String toString() {
        return epochs + " epochs, batch " + batch + ", lr " + lr + (adamW ? " AdamW" : " Adam") + " wd " + weightDecay;
    }
}
