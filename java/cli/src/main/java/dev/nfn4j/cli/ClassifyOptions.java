package dev.nfn4j.cli;

import picocli.CommandLine.Option;

/** The options of {@code train --task classify} beyond the model and training options. */
final class ClassifyOptions {
    @Option(names = "--io-encoding", description = "--task classify: nfn's IOSinusoidalEncoding of the input and output neurons after the Fourier features (nfn's inv_ff_io).")
    boolean ioEncoding;

    @Option(names = "--head-dropout", paramLabel = "P", description = "--task classify: dropout after each head ReLU (default: 0; nfn's inv_ff: 0.5).")
    Double headDropout;
}
