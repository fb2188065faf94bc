package dev.nfn4j.zoo;

import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Npy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A SIREN zoo folder as {@code SirenZooBuilder} writes it: {@code weights.npy} {@code [N, 1185]}
 * (one flattened SIREN per row, nfn's state_dict order) and {@code sirens.csv} (one row per SIREN:
 * {@value #HEADER}). Reading checks that the pieces agree: as many rows as SIRENs, labels in
 * [0, 10), known splits, finite PSNRs.
 *
 * @param weights N x {@link Sirens#PARAMS} floats
 * @param split   per SIREN: train, val or test
 * @param source  per SIREN: the Fashion-MNIST file its image is from (train or test)
 * @param image   per SIREN: the image's index in that file
 * @param label   per SIREN: the image's class
 * @param copy    per SIREN: which of its image's K SIRENs it is
 * @param psnr    per SIREN: its reconstruction's PSNR in dB
 */
public record SirenZoo(Path dir, float[] weights, String[] split, String[] source, int[] image, int[] label, int[] copy, float[] psnr) {
    /** The zoo folder's files: the flattened SIRENs and their table. */
    public static final String WEIGHTS = "weights.npy", TABLE = "sirens.csv";

    public static final String HEADER = "index,split,source,image,label,copy,psnr";
    public static final List<String> SPLITS = List.of("train", "val", "test");

    /** The number of SIRENs. */
    public int size() {
        return psnr.length;
    }

    /** SIREN i's parameters (a copy), flattened. */
    public float[] siren(int i) {
        return Arrays.copyOfRange(weights, i * Sirens.PARAMS, (i + 1) * Sirens.PARAMS);
    }

    /** The indices of the SIRENs of one split, in order. */
    public int[] indices(String which) {
        return java.util.stream.IntStream.range(0, size()).filter(i -> split[i].equals(which)).toArray();
    }

    /** Reads a zoo folder; throws naming the file and field when it is malformed. */
    public static SirenZoo read(Path dir) throws IOException {
        Path w = dir.resolve(WEIGHTS), t = dir.resolve(TABLE);
        for (Path f : List.of(w, t))
            if (!Files.isRegularFile(f)) throw new NoSuchFileException(f.toString(), null, "missing: not a SIREN zoo folder (nfn4j zoo build-siren writes one)");
        HostTensor weights = Npy.read(w);
        int[] shape = weights.shape();
        if (shape.length != 2 || shape[1] != Sirens.PARAMS)
            throw new NfnFormatException(w, "shape " + weights.shapeString() + ", expected [N, " + Sirens.PARAMS + "] (SIRENs 2-32-32-1, flattened)");
        List<String> lines = Files.readAllLines(t, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.getFirst().equals(HEADER))
            throw new NfnFormatException(t, "header '" + (lines.isEmpty() ? "" : lines.getFirst()) + "', expected '" + HEADER + "'");
        int n = lines.size() - 1;
        if (n != shape[0]) throw new NfnFormatException(t, "holds " + n + " SIRENs but " + w.getFileName() + " holds " + shape[0]);
        String[] split = new String[n], source = new String[n];
        int[] image = new int[n], label = new int[n], copy = new int[n];
        float[] psnr = new float[n];
        for (int i = 0; i < n; i++) {
            String[] f = lines.get(i + 1).split(",", -1);
            try {
                if (f.length != 7 || Integer.parseInt(f[0]) != i) throw new NumberFormatException("expected 7 fields starting with index " + i);
                split[i] = f[1];
                source[i] = f[2];
                image[i] = Integer.parseInt(f[3]);
                label[i] = Integer.parseInt(f[4]);
                copy[i] = Integer.parseInt(f[5]);
                psnr[i] = Float.parseFloat(f[6]);
            } catch (NumberFormatException e) {
                throw new NfnFormatException(t, "row " + i + " '" + lines.get(i + 1) + "': " + e.getMessage());
            }
            if (!SPLITS.contains(split[i])) throw new NfnFormatException(t, "row " + i + ": split '" + split[i] + "', expected one of " + SPLITS);
            if (!source[i].equals("train") && !source[i].equals("test"))
                throw new NfnFormatException(t, "row " + i + ": source '" + source[i] + "', expected train or test");
            if (label[i] < 0 || label[i] >= ImageData.CLASSES)
                throw new NfnFormatException(t, "row " + i + ": label " + label[i] + " outside [0, " + ImageData.CLASSES + ")");
            if (image[i] < 0 || copy[i] < 0) throw new NfnFormatException(t, "row " + i + ": negative image or copy index");
        }
        return new SirenZoo(dir, weights.toFloats(), split, source, image, label, copy, psnr);
    }
}
