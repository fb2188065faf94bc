package dev.nfn4j.cli;

import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Npy;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.train.Classifier;
import dev.nfn4j.train.ClassifyData;
import dev.nfn4j.train.ConfusionMatrix;
import dev.nfn4j.train.SoftmaxCrossEntropy;
import dev.nfn4j.zoo.SirenZoo;
import dev.nfn4j.zoo.Sirens;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** {@code eval} and {@code predict} with a classifier checkpoint ({@code train --task classify}): SIRENs in, classes out. */
final class ClassifierRuns {
    private ClassifierRuns() {
    }

    /** Top-1 accuracy, mean cross-entropy and the confusion matrix of a checkpoint on a SIREN zoo's split. */
    static int eval(List<Path> checkpoints, Path zooDir, String split) throws IOException {
        if (checkpoints.size() != 1) throw new IllegalArgumentException("eval takes one classifier checkpoint, got " + checkpoints.size());
        if (zooDir == null) throw new IllegalArgumentException("a classifier is evaluated on a SIREN zoo: give --zoo DIR (nfn4j zoo build-siren)");
        Classifier c = Classifier.load(checkpoints.getFirst(), Backends.get());
        ClassifyData data = ClassifyTraining.data(zooDir);
        requireSpec(c, zooDir);
        int[] idx = switch (split) {
            case "train" -> data.train();
            case "val" -> data.val();
            case "test" -> data.test();
            default -> throw new IllegalArgumentException("--split " + split + ": expected train, val or test");
        };
        int K = c.config().classes();
        ConfusionMatrix cm = new ConfusionMatrix(K);
        double loss = 0;
        for (int from = 0; from < idx.length; from += 64) {
            int[] chunk = Arrays.copyOfRange(idx, from, Math.min(idx.length, from + 64));
            float[] z = c.logits(data.rows(), chunk);
            int[] y = data.labelsOf(chunk);
            loss += SoftmaxCrossEntropy.sum(z, null, K, chunk.length, y, new double[K])[0];
            cm.addLogits(z, y);
        }
        System.out.printf(Locale.ROOT, "%s on %s split (%d SIRENs%s): accuracy %.2f%%  loss %.4f%n", c.config(), split, idx.length,
                split.equals("train") ? ", all copies" : ", copy 0", 100 * cm.accuracy(), loss / idx.length);
        String[] names = new String[K];
        for (int k = 0; k < K; k++) names[k] = c.name(k);
        System.out.print(cm.table(names));
        return 0;
    }

    /** One line per SIREN: its label, TAB, the predicted class number and name, TAB, its probability. */
    static int predict(Path checkpoint, List<Path> inputs, long[] rows) throws IOException {
        Classifier c = Classifier.load(checkpoint, Backends.get());
        int K = c.config().classes(), P = Math.toIntExact(c.spec().numParams());
        for (Path in : inputs) {
            List<String> labels = new ArrayList<>();
            float[] x = rows(in, P, rows, labels);
            int n = labels.size();
            float[] p = c.probabilities(x, java.util.stream.IntStream.range(0, n).toArray());
            for (int b = 0; b < n; b++) {
                int k = ConfusionMatrix.argMax(p, b * K, K);
                System.out.printf(Locale.ROOT, "%s\t%d %s\t%.4f%n", labels.get(b), k, c.name(k), p[b * K + k]);
            }
        }
        return 0;
    }

    /** A classifier of other networks than the zoo's SIRENs is refused. */
    static void requireSpec(Classifier c, Path zoo) {
        if (!c.spec().equals(Sirens.SPEC))
            throw new IllegalArgumentException("the classifier reads networks " + c.spec() + " but " + zoo + " holds SIRENs " + Sirens.SPEC);
    }

    /**
     * The SIRENs of one input as rows of P floats: a SIREN zoo folder (all or {@code pick}), a
     * SIREN state_dict with nfn's names ({@code .safetensors}), or flattened SIRENs {@code [P]} or
     * {@code [N, P]} ({@code .npy}, state_dict order).
     */
    private static float[] rows(Path in, int P, long[] pick, List<String> labels) throws IOException {
        if (!Files.exists(in)) throw new NfnFormatException(in, "no such file or folder");
        String name = in.getFileName() == null ? "" : in.getFileName().toString();
        float[] all;
        int n;
        if (Files.isDirectory(in)) {
            SirenZoo z = SirenZoo.read(in);
            all = z.weights();
            n = z.size();
        } else if (name.endsWith(".safetensors")) {
            if (pick != null) throw new NfnFormatException(in, "--rows applies to zoo folders and .npy files, not to one state_dict");
            labels.add(in.toString());
            return Sirens.fromStateDict(Safetensors.read(in), "");
        } else if (name.endsWith(".npy")) {
            HostTensor t = Npy.read(in);
            int[] s = t.shape();
            if ((s.length != 1 && s.length != 2) || s[s.length - 1] != P)
                throw new NfnFormatException(in, "shape " + t.shapeString() + ": expected [" + P + "] or [N, " + P + "] (flattened SIRENs, state_dict order)");
            all = t.toFloats();
            n = s.length == 1 ? 1 : s[0];
        } else {
            throw new NfnFormatException(in, "unknown input kind: expected a SIREN zoo folder, a SIREN state_dict (.safetensors) or flattened SIRENs (.npy)");
        }
        long[] picked = pick != null ? pick : java.util.stream.LongStream.range(0, n).toArray();
        if (picked.length == 0) throw new NfnFormatException(in, "no rows selected");
        float[] x = new float[picked.length * P];
        for (int k = 0; k < picked.length; k++) {
            if (picked[k] < 0 || picked[k] >= n) throw new NfnFormatException(in, "row " + picked[k] + " is outside the input's " + n + " rows");
            System.arraycopy(all, Math.toIntExact(picked[k] * P), x, k * P, P);
            labels.add(in + "[" + picked[k] + "]");
        }
        return x;
    }
}
