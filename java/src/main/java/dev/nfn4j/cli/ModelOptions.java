package dev.nfn4j.cli;

import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.train.Loss;
import dev.nfn4j.train.Trainer;
import picocli.CommandLine.Option;

import java.util.Arrays;

/** The model and training options shared by {@code train} and {@code demo}. */
final class ModelOptions {
    @Option(names = "--model", defaultValue = "hnp", description = "hnp, np, np_io, pointwise or statnn (default: ${DEFAULT-VALUE}).")
    String kind;

    @Option(names = "--hidden", defaultValue = "16,16,5", split = ",", description = "NF-Layer channels (default: ${DEFAULT-VALUE}).")
    int[] hidden;

    @Option(names = "--head", defaultValue = "1000,1000", split = ",", description = "MLP head widths (default: ${DEFAULT-VALUE}).")
    int[] head;

    @Option(names = "--act", defaultValue = "relu", description = "Activation after each NF-Layer (default: ${DEFAULT-VALUE}).")
    String act;

    @Option(names = "--np-pool", description = "Pool with NPPool instead of HNPPool.")
    boolean npPool;

    @Option(names = "--fourier", defaultValue = "0", description = "Gaussian Fourier input features: frequencies (0: none; default ${DEFAULT-VALUE}).")
    int fourier;

    @Option(names = "--fourier-scale", defaultValue = "1", description = "Their standard deviation (default: ${DEFAULT-VALUE}).")
    double fourierScale;

    @Option(names = "--dropout", defaultValue = "0", description = "Channel dropout after each NF-Layer, in training (default: ${DEFAULT-VALUE}).")
    double dropout;

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

    ModelConfig model() {
        return new ModelConfig(kind, hidden, act, !npPool, head, fourier, fourierScale, dropout);
    }

    Trainer.Config trainer(boolean progress) {
        return new Trainer.Config(epochs, batch, lr, weightDecay, adamW, warmup, Loss.parse(loss), seed, patience, !noNormalize, progress);
    }

    @Override
    public String toString() {
        return model() + ", " + epochs + " epochs, batch " + batch + ", lr " + lr + (adamW ? " AdamW" : " Adam") + " wd " + weightDecay
                + ", hidden " + Arrays.toString(hidden);
    }
}
