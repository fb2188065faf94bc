package dev.nfn4j.cli;

import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.train.Loss;
import dev.nfn4j.train.Normalization;
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
    @Option(names = "--normalize", paramLabel = "HOW", description = "Input normalization with training-set statistics: none, per-tensor "
            + "(one mean and std per W_i and b_i) or per-entry (one per weight entry, as nfn's NormalizingModule). Default: what nfn's "
            + "config for the model does: per-entry for np and np_io, none for hnp, pointwise and statnn.")
    String normalize;
    @Option(names = "--no-normalize", hidden = true, description = "Same as --normalize none.") boolean noNormalize;

    /** The settings, each checked and named by its option when it makes no sense. */
    Trainer.Config trainer(ModelConfig model, boolean progress) {
        check();
        if (noNormalize && normalize != null && Normalization.parse(normalize) != Normalization.NONE)
            throw new IllegalArgumentException("--no-normalize contradicts --normalize " + normalize);
        return new Trainer.Config(epochs, batch, lr, weightDecay, adamW, warmup, Loss.parse(loss), seed, patience,
                normalization(model), progress);
    }

    /** Checks the settings every task shares, each named by its option. */
    void check() {
        if (epochs < 1) throw new IllegalArgumentException("--epochs must be >= 1, got " + epochs);
        if (batch < 1) throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("--lr must be a finite number > 0, got " + lr);
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay))
            throw new IllegalArgumentException("--weight-decay must be a finite number >= 0, got " + weightDecay);
        if (warmup < 0) throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
        if (patience < 0) throw new IllegalArgumentException("--patience must be >= 0 (0: never stop early), got " + patience);
    }

    Normalization normalization(ModelConfig model) {
        if (noNormalize) return Normalization.NONE;
        return normalize == null ? Normalization.defaultFor(model) : Normalization.parse(normalize);
    }

    @Override
    public String toString() {
        return epochs + " epochs, batch " + batch + ", lr " + lr + (adamW ? " AdamW" : " Adam") + " wd " + weightDecay;
    }
}
