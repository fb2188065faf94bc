package dev.nfn4j.cli;

import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.ModelConfig;
import picocli.CommandLine.Option;

import java.util.Arrays;

/** The model architecture options of {@code train} and {@code import}. */
final class ModelOptions {
    @Option(names = "--model", defaultValue = "hnp", description = "hnp, np, np_io, pointwise or statnn; with --task classify hnp, np, np_io, mlp or statnn; with --task ticket np_io (its default), np, hnp or mlp (default: ${DEFAULT-VALUE}).")
    String kind;

    @Option(names = "--hidden", defaultValue = "16,16,5", split = ",", description = "NF-Layer channels (default: ${DEFAULT-VALUE}; --task ticket: 16,16).")
    int[] hidden;

    @Option(names = "--head", defaultValue = "1000,1000", split = ",", description = "MLP head widths (default: ${DEFAULT-VALUE}).")
    int[] head;

    @Option(names = "--act", defaultValue = "relu", description = "Activation after each NF-Layer (default: ${DEFAULT-VALUE}).")
    String act;

    @Option(names = "--pool", defaultValue = "hnp", description = "Invariant pooling: hnp (paper), np, or stats (StatNN's statistics of each tensor's features); none makes an equivariant NFN (weight space out; training it needs weight-space targets, through the API) (default: ${DEFAULT-VALUE}).")
    String pool;

    @Option(names = "--fourier", defaultValue = "0", description = "Gaussian Fourier input features: frequencies (0: none; default ${DEFAULT-VALUE}).")
    int fourier;

    @Option(names = "--fourier-scale", defaultValue = "1", description = "Their standard deviation (default: ${DEFAULT-VALUE}).")
    double fourierScale;

    @Option(names = "--dropout", defaultValue = "0", description = "Channel dropout after each NF-Layer, in training (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--append-stats", description = "nfn's append_stats: the head also reads StatNN's statistics of the input weights, beside the NFN's pooled features.")
    boolean appendStats;

    ModelConfig model() {
        return new ModelConfig(kind, hidden, act, InvariantNfn.Pool.parse(pool), head, fourier, fourierScale, dropout, appendStats);
    }

    @Override
    public String toString() {
        return model() + ", hidden " + Arrays.toString(hidden);
    }
}
