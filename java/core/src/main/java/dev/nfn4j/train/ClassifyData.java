package dev.nfn4j.train;

import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.SirenZoo;
import dev.nfn4j.zoo.Sirens;

import java.util.Arrays;

/**
 * Labelled networks for classification: rows (one network after another, each in the one-sample
 * canonical layout), a label per row, and the row indices of the three splits. Checked when made:
 * labels in [0, classes), split indices inside the rows, no split empty.
 *
 * @param source what the rows are, for messages (a zoo folder)
 * @param names  class names by label, or null
 */
public record ClassifyData(String source, NetworkSpec spec, float[] rows, int[] labels, int classes, String[] names, int[] train, int[] val,
                           int[] test) {
    /** Checks the rows, labels and splits. */
    public ClassifyData {
        long p = spec.numParams();
        if (rows.length != labels.length * p)
            throw new IllegalArgumentException(source + ": " + rows.length + " floats of weights for " + labels.length + " labels of networks with "
                    + p + " parameters");
        for (int i = 0; i < labels.length; i++)
            if (labels[i] < 0 || labels[i] >= classes)
                throw new IllegalArgumentException(source + ": label " + labels[i] + " of network " + i + " is outside [0, " + classes + ")");
        for (int[] s : new int[][]{train, val, test}) {
            if (s.length == 0) throw new IllegalArgumentException(source + ": a split is empty (train " + train.length + ", val " + val.length
                    + ", test " + test.length + " networks)");
            for (int i : s)
                if (i < 0 || i >= labels.length) throw new IllegalArgumentException(source + ": split index " + i + " outside 0-" + (labels.length - 1));
        }
    }

    /** The labels of rows {@code idx}. */
    public int[] labelsOf(int[] idx) {
        return Arrays.stream(idx).map(i -> labels[i]).toArray();
    }

    /**
     * A SIREN zoo's classification data as nfn's INR experiments use it: every SIREN of the
     * training images trains (the K copies per image are the augmentation), validation and test
     * take copy 0 of each image only.
     */
    public static ClassifyData of(SirenZoo zoo) {
        int[] train = zoo.indices("train");
        int[] val = Arrays.stream(zoo.indices("val")).filter(i -> zoo.copy()[i] == 0).toArray();
        int[] test = Arrays.stream(zoo.indices("test")).filter(i -> zoo.copy()[i] == 0).toArray();
        return new ClassifyData(zoo.dir().toString(), Sirens.SPEC, zoo.weights(), zoo.label(), ImageData.CLASSES, ImageData.FASHION_CLASSES, train,
                val, test);
    }
}
