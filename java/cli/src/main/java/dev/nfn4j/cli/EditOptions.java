package dev.nfn4j.cli;

import dev.nfn4j.zoo.ImageData;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options of {@code train --task edit} beyond the model's and the training's. */
final class EditOptions {
    @Option(names = "--style", paramLabel = "dilate|erode|sharpen|gradient",
            description = "--task edit: the image edit the SIRENs learn (nfn's stylize_siren.py: dilate 3x3, erode 2x2, sharpen, morphological gradient 2x2).")
    String style;

    @Option(names = "--data", paramLabel = "DIR", description = "--task edit: the Fashion-MNIST folder the SIREN zoo was built from (default: ${DEFAULT-VALUE}).")
    Path data = ImageData.DEBIAN_FASHION_MNIST;
}
