package dev.nfn4j.cli;

import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.train.Classifier;
import dev.nfn4j.train.ConfusionMatrix;
import dev.nfn4j.train.EditModel;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.build.SirenGrid;
import dev.nfn4j.zoo.SirenZoo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "render", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draw SIRENs of a SIREN zoo (nfn4j zoo build-siren) as a PNG: per SIREN its source image beside its reconstruction,",
                "captioned with index, split, class and PSNR; from a classifier checkpoint (with --zoo), also its predicted class.",
                "Given an INR-editing checkpoint (train --task edit): the source image, the SIREN's reconstruction, the edited SIREN and the target side by side."})
final class RenderCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ZOO|CHECKPOINT", description = "A SIREN zoo folder (weights.npy and sirens.csv), a classifier "
            + "checkpoint (train --task classify) with --zoo: its predicted class and probability go under each SIREN, or an INR-editing checkpoint.")
    Path zoo;

    @Option(names = "--zoo", paramLabel = "DIR", description = "With a checkpoint: the SIREN zoo (an editing checkpoint's default: the one it was trained on).")
    Path zooDir;

    @Option(names = "--out", required = true, paramLabel = "FILE.png", description = "The PNG to write.")
    Path out;

    @Option(names = "--rows", split = ",", paramLabel = "I,J,...", description = "SIREN indices to draw (default: the first --count of --split, copy 0).")
    List<Integer> rows;

    @Option(names = "--split", defaultValue = "test", description = "Split to draw from when --rows is not given (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--count", defaultValue = "8", description = "How many SIRENs when --rows is not given (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--data", paramLabel = "DIR", description = "The Fashion-MNIST folder the zoo was built from (default: the one a checkpoint names, else "
            + "/usr/share/datasets/fashion-mnist).")
    Path data;

    @Override
    public Integer call() throws Exception {
        if (!out.getFileName().toString().endsWith(".png")) throw new IllegalArgumentException("--out " + out + ": expected a .png file name");
        Classifier classifier = null;
        if (Files.isRegularFile(zoo)) {
            if (EditTraining.isEditCheckpoint(zoo)) {
                if (count < 1) throw new IllegalArgumentException("--count must be >= 1, got " + count);
                createParent();
                EditTraining.render(zoo, zooDir, data, out, rows, split, count);
                return 0;
            }
            if (!Classifier.isClassifier(zoo))
                throw new NfnFormatException(zoo, "a '" + EditModel.task(Safetensors.read(zoo)) + "' checkpoint (metadata task), expected a SIREN "
                        + "classifier (nfn4j train --task classify) or an INR-editing one (nfn4j train --task edit)");
            if (zooDir == null) throw new IllegalArgumentException(zoo + " is a file: give the SIREN zoo to draw from with --zoo DIR");
            classifier = Classifier.load(zoo, Backends.get());
        } else if (zooDir != null) {
            throw new IllegalArgumentException("--zoo " + zooDir + " goes with a checkpoint; " + zoo + " is a zoo folder already");
        }
        SirenZoo z = SirenZoo.read(classifier == null ? zoo : zooDir);
        if (classifier != null) ClassifierRuns.requireSpec(classifier, zooDir);
        int[] ids = ids(z, rows, split, count);
        ImageData.Split d = ImageData.load(data != null ? data : ImageData.DEBIAN_FASHION_MNIST);
        createParent();
        if (classifier == null) SirenGrid.write(out, z, ids, d, Backends.get());
        else writeWithPredictions(classifier, z, ids, d, Backends.get(), out);
        System.out.printf("wrote %s: %d SIRENs (image | reconstruction%s): %s%n", out, ids.length, classifier == null ? "" : " | predicted class",
                Arrays.toString(ids));
        return 0;
    }

    private void createParent() throws java.io.IOException {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
    }

    /** The SIRENs to draw: {@code rows}, or the first {@code count} of {@code split} (copy 0). */
    static int[] ids(SirenZoo z, List<Integer> rows, String split, int count) {
        if (rows != null) {
            int[] ids = rows.stream().mapToInt(Integer::intValue).toArray();
            for (int i : ids)
                if (i < 0 || i >= z.size()) throw new IllegalArgumentException("--rows: SIREN " + i + " is outside the zoo's 0-" + (z.size() - 1));
            return ids;
        }
        if (!SirenZoo.SPLITS.contains(split)) throw new IllegalArgumentException("--split " + split + ": expected one of " + SirenZoo.SPLITS);
        if (count < 1) throw new IllegalArgumentException("--count must be >= 1, got " + count);
        int[] ids = Arrays.stream(z.indices(split)).filter(i -> z.copy()[i] == 0).limit(count).toArray();
        if (ids.length == 0) throw new IllegalArgumentException(z.dir() + " has no SIRENs in split " + split);
        return ids;
    }

    /** The grid with the classifier's predicted class and its probability under each SIREN. */
    static void writeWithPredictions(Classifier classifier, SirenZoo z, int[] ids, ImageData.Split d, Ops ops, Path png) throws java.io.IOException {
        int K = classifier.config().classes();
        float[] p = classifier.probabilities(z.weights(), ids);
        int[] predicted = new int[ids.length];
        float[] probability = new float[ids.length];
        for (int r = 0; r < ids.length; r++) {
            predicted[r] = ConfusionMatrix.argMax(p, r * K, K);
            probability[r] = p[r * K + predicted[r]];
        }
        SirenGrid.write(png, z, ids, d, ops, predicted, probability);
    }
}
