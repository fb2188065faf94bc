package dev.nfn4j.zoo;

import dev.nfn4j.io.DType;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A zoo of trained MLPs that share one {@link NetworkSpec}: per network its weights, test and
 * train accuracy, final train loss, and the hyperparameters it was trained with. Immutable.
 *
 * <h2>File format (one safetensors file, all tensors F32, N = networks)</h2>
 * <pre>
 * weight.i            [N, out_i, in_i]   W_i in PyTorch layout, i = 0..L-1
 * bias.i              [N, out_i]
 * test_accuracy       [N]                accuracy on the task's test set
 * train_accuracy      [N]                accuracy on the network's own training subset (its noisy labels)
 * train_loss          [N]                mean cross-entropy there
 * diverged            [N]                1 if training stopped on a non-finite gradient or parameter, else 0
 * hparam.&lt;name&gt;       [N]                one per {@link MlpHyperparameters#NAMES}; enums as codes (format 2 added shortcut_correlation)
 * </pre>
 * {@code __metadata__}: {@code format = nfn4j.generated_zoo}, {@code format_version}, {@code generator},
 * {@code generator_version}, {@code cache_key} (everything the contents depend on), {@code seed},
 * {@code networks}, {@code architecture} (e.g. {@code 12-32-32-4}), {@code task} (a description),
 * {@code hparam.<name>.codes} for the enums (e.g. {@code 0=sgd,1=adam}), {@code hparam_space}
 * (the sampling distributions) and {@code content_sha256}, a SHA-256 over every tensor's name,
 * shape and little-endian data in the order above, checked on load so a damaged file is never used.
 */
public final class GeneratedZoo {
    /** The format name in the file's metadata. */
    public static final String FORMAT = "nfn4j.generated_zoo";
    /** The format version of the file. */
    public static final int FORMAT_VERSION = 2;

    private final NetworkSpec spec;
    private final int size;
    private final float[][] weights, biases; // per layer, [N, out, in] and [N, out]
    private final float[] testAccuracy, trainAccuracy, trainLoss, diverged;
    private final float[][] hparams; // in MlpHyperparameters.NAMES order, each [N]
    private final Map<String, String> metadata;
    private final Path source;

    /**
     * A zoo of {@code size} networks; it takes the arrays, not copies of them, and adds
     * {@code content_sha256} to the metadata.
     *
     * @param weights per layer, [N, out, in]
     * @param biases  per layer, [N, out]
     * @param hparams in {@link MlpHyperparameters#NAMES} order, each [N]
     * @param source  the file it was read from, or null
     */
    public GeneratedZoo(NetworkSpec spec, int size, float[][] weights, float[][] biases, float[] testAccuracy, float[] trainAccuracy,
                        float[] trainLoss, float[] diverged, float[][] hparams, Map<String, String> metadata, Path source) {
        this.spec = spec;
        this.size = size;
        this.weights = weights;
        this.biases = biases;
        this.testAccuracy = testAccuracy;
        this.trainAccuracy = trainAccuracy;
        this.trainLoss = trainLoss;
        this.diverged = diverged;
        this.hparams = hparams;
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.remove("content_sha256");
        meta.put("content_sha256", contentHash());
        this.metadata = Collections.unmodifiableMap(meta);
        this.source = source;
    }

    /** The network spec every network shares. */
    public NetworkSpec spec() {
        return spec;
    }

    /** Number of networks N. */
    public int size() {
        return size;
    }

    /** The file this zoo was read from, or null when it was generated in this process. */
    public Path source() {
        return source;
    }

    /** True when read from a cache file rather than generated now. */
    public boolean fromCache() {
        return source != null;
    }

    /** The file's {@code __metadata__} (see the class comment), unmodifiable. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** W_layer of network {@code net}, {@code [out * in]} row-major (PyTorch layout), a copy. */
    public float[] weight(int layer, int net) {
        int len = spec.rows(layer) * spec.cols(layer);
        checkNet(net);
        return Arrays.copyOfRange(weights[layer], net * len, (net + 1) * len);
    }

    /** b_layer of network {@code net}, a copy. */
    public float[] bias(int layer, int net) {
        int len = spec.rows(layer);
        checkNet(net);
        return Arrays.copyOfRange(biases[layer], net * len, (net + 1) * len);
    }

    /** All parameters of network {@code net} flattened as W_0, b_0, W_1, b_1, ... (PyTorch order). */
    public float[] weights(int net) {
        checkNet(net);
        float[] out = new float[Math.toIntExact(spec.numParams())];
        int o = 0;
        for (int l = 0; l < spec.numLayers(); l++) {
            int wl = spec.rows(l) * spec.cols(l), bl = spec.rows(l);
            System.arraycopy(weights[l], net * wl, out, o, wl);
            o += wl;
            System.arraycopy(biases[l], net * bl, out, o, bl);
            o += bl;
        }
        return out;
    }

    /** The networks {@code indices} as one canonical weight-space batch, B = indices.length, C = 1. */
    public HostWeights batch(int[] indices) {
        if (indices.length == 0) throw new IllegalArgumentException("empty batch");
        for (int i : indices) checkNet(i);
        int B = indices.length, L = spec.numLayers();
        List<float[]> ws = new ArrayList<>(L), bs = new ArrayList<>(L);
        for (int l = 0; l < L; l++) {
            int wl = spec.rows(l) * spec.cols(l), bl = spec.rows(l);
            float[] w = new float[B * wl], b = new float[B * bl];
            for (int q = 0; q < B; q++) {
                System.arraycopy(weights[l], indices[q] * wl, w, q * wl, wl);
                System.arraycopy(biases[l], indices[q] * bl, b, q * bl, bl);
            }
            ws.add(w);
            bs.add(b);
        }
        return HostWeights.fromTorch(new WsLayout(spec, B, 1), ws, bs, false);
    }

    /** Test accuracy of every network, a copy. */
    public float[] testAccuracy() {
        return testAccuracy.clone();
    }

    /** One network's test accuracy. */
    public float testAccuracy(int net) {
        checkNet(net);
        return testAccuracy[net];
    }

    /** Every network's training accuracy. */
    public float[] trainAccuracy() {
        return trainAccuracy.clone();
    }

    /** Every network's final training loss. */
    public float[] trainLoss() {
        return trainLoss.clone();
    }

    /** Whether network {@code net} stopped early on a non-finite gradient or parameter. */
    public boolean diverged(int net) {
        checkNet(net);
        return diverged[net] != 0;
    }

    /** Hyperparameter names, as in {@link MlpHyperparameters#NAMES} (tensor {@code hparam.<name>}). */
    public List<String> hparamNames() {
        return MlpHyperparameters.NAMES;
    }

    /** One hyperparameter of every network (enums as codes, see {@link MlpHyperparameters#codes}), a copy. */
    public float[] hparam(String name) {
        int i = MlpHyperparameters.NAMES.indexOf(name);
        if (i < 0) throw new IllegalArgumentException("no hyperparameter '" + name + "'; have " + MlpHyperparameters.NAMES);
        return hparams[i].clone();
    }

    /** The hyperparameters one network was trained with. */
    public MlpHyperparameters hyperparameters(int net) {
        checkNet(net);
        float[] v = new float[hparams.length];
        for (int i = 0; i < v.length; i++) v[i] = hparams[i][net];
        return MlpHyperparameters.fromFloats(v);
    }

    private void checkNet(int net) {
        if (net < 0 || net >= size) throw new IndexOutOfBoundsException("network " + net + " of a zoo of " + size);
    }

    // ---- file IO ----

    /** The tensors in file order (views of this zoo's arrays, which never change). */
    private Map<String, HostTensor> tensors() {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        for (int l = 0; l < spec.numLayers(); l++) {
            t.put("weight." + l, HostTensor.f32(new int[]{size, spec.rows(l), spec.cols(l)}, weights[l]));
            t.put("bias." + l, HostTensor.f32(new int[]{size, spec.rows(l)}, biases[l]));
        }
        t.put("test_accuracy", HostTensor.f32(new int[]{size}, testAccuracy));
        t.put("train_accuracy", HostTensor.f32(new int[]{size}, trainAccuracy));
        t.put("train_loss", HostTensor.f32(new int[]{size}, trainLoss));
        t.put("diverged", HostTensor.f32(new int[]{size}, diverged));
        for (int i = 0; i < hparams.length; i++)
            t.put("hparam." + MlpHyperparameters.NAMES.get(i), HostTensor.f32(new int[]{size}, hparams[i]));
        return t;
    }

    /** Writes the zoo to {@code file} atomically (temp file, fsync, rename). */
    public void save(Path file) throws IOException {
        Safetensors.write(file, tensors(), metadata);
    }

    /**
     * Reads a zoo written by {@link #save}, checking everything: format and version, every
     * tensor's presence, dtype and shape, finiteness, accuracies in [0, 1], valid hyperparameter
     * codes, and the content hash.
     *
     * @param expectedKey if not null, the file's {@code cache_key} must equal it
     * @throws NfnFormatException naming the file (and tensor) when anything is off
     */
    public static GeneratedZoo load(Path file, String expectedKey) throws IOException {
        SafetensorsFile f = Safetensors.read(file);
        Map<String, String> meta = f.metadata();
        if (!FORMAT.equals(meta.get("format")))
            throw new NfnFormatException(file, "metadata format is '" + meta.get("format") + "', expected '" + FORMAT + "'");
        if (!String.valueOf(FORMAT_VERSION).equals(meta.get("format_version")))
            throw new NfnFormatException(file, "format_version is '" + meta.get("format_version") + "', this reader needs " + FORMAT_VERSION);
        if (expectedKey != null && !expectedKey.equals(meta.get("cache_key")))
            throw new NfnFormatException(file, "stale: cache_key is '" + meta.get("cache_key") + "', expected '" + expectedKey + "'");
        int n;
        try {
            n = Integer.parseInt(String.valueOf(meta.get("networks")));
        } catch (NumberFormatException e) {
            throw new NfnFormatException(file, "metadata networks = '" + meta.get("networks") + "' is not an integer");
        }
        if (n < 1) throw new NfnFormatException(file, "metadata networks = " + n + " must be >= 1");

        List<int[]> wShapes = new ArrayList<>(), bShapes = new ArrayList<>();
        for (int l = 0; f.has("weight." + l); l++) {
            int[] w = f32(f, "weight." + l).shape();
            if (w.length != 3 || w[0] != n) throw new NfnFormatException(file, "weight." + l, "shape " + Arrays.toString(w) + " must be [" + n + ", out, in]");
            wShapes.add(new int[]{w[1], w[2]});
            int[] b = f32(f, "bias." + l).shape();
            if (b.length != 2 || b[0] != n) throw new NfnFormatException(file, "bias." + l, "shape " + Arrays.toString(b) + " must be [" + n + ", out]");
            bShapes.add(new int[]{b[1]});
        }
        if (wShapes.isEmpty()) throw new NfnFormatException(file, "weight.0", "missing: the file holds no networks");
        NetworkSpec spec;
        try {
            spec = NetworkSpec.fromShapes(wShapes, bShapes);
        } catch (IllegalArgumentException e) {
            throw new NfnFormatException(file, "weight.*", e.getMessage());
        }
        if (!architecture(spec).equals(meta.get("architecture")))
            throw new NfnFormatException(file, "metadata architecture '" + meta.get("architecture") + "' does not match the tensors ("
                    + architecture(spec) + ")");

        int L = spec.numLayers();
        float[][] ws = new float[L][], bs = new float[L][];
        for (int l = 0; l < L; l++) {
            ws[l] = finite(f, "weight." + l, f.get("weight." + l).toFloats());
            bs[l] = finite(f, "bias." + l, f.get("bias." + l).toFloats());
        }
        float[] test = unit(f, "test_accuracy", n), train = unit(f, "train_accuracy", n);
        float[] loss = finite(f, "train_loss", f32(f, "train_loss", n).toFloats());
        float[] div = finite(f, "diverged", f32(f, "diverged", n).toFloats());
        float[][] hp = new float[MlpHyperparameters.NAMES.size()][];
        for (int i = 0; i < hp.length; i++) {
            String name = "hparam." + MlpHyperparameters.NAMES.get(i);
            hp[i] = finite(f, name, f32(f, name, n).toFloats());
        }
        float[] v = new float[hp.length];
        for (int net = 0; net < n; net++) {
            for (int i = 0; i < hp.length; i++) v[i] = hp[i][net];
            try {
                MlpHyperparameters.fromFloats(v);
            } catch (IllegalArgumentException e) {
                throw new NfnFormatException(file, "hparam.*", "network " + net + ": " + e.getMessage());
            }
        }
        GeneratedZoo zoo = new GeneratedZoo(spec, n, ws, bs, test, train, loss, div, hp, meta, file);
        String stored = meta.get("content_sha256"), actual = zoo.metadata.get("content_sha256");
        if (!actual.equals(stored))
            throw new NfnFormatException(file, "content hash mismatch (stored " + stored + ", computed " + actual + "): the file is damaged");
        return zoo;
    }

    private static HostTensor f32(SafetensorsFile f, String name, int... shape) throws NfnFormatException {
        HostTensor t = shape.length == 0 ? f.get(name) : f.get(name, shape);
        if (t.dtype() != DType.F32) throw new NfnFormatException(f.path(), name, "dtype " + t.dtype() + ", expected F32");
        return t;
    }

    private static float[] finite(SafetensorsFile f, String name, float[] a) throws NfnFormatException {
        for (int i = 0; i < a.length; i++)
            if (!Float.isFinite(a[i])) throw new NfnFormatException(f.path(), name, "non-finite value " + a[i] + " at flat index " + i);
        return a;
    }

    private static float[] unit(SafetensorsFile f, String name, int n) throws NfnFormatException {
        float[] a = finite(f, name, f32(f, name, n).toFloats());
        for (int i = 0; i < n; i++)
            if (a[i] < 0 || a[i] > 1) throw new NfnFormatException(f.path(), name, "value " + a[i] + " at index " + i + " is not in [0, 1]");
        return a;
    }

    /** The architecture as the metadata names it: the layer sizes, "12-32-32-4". */
    public static String architecture(NetworkSpec spec) {
        StringBuilder sb = new StringBuilder();
        for (int s : spec.sizes()) sb.append(sb.isEmpty() ? "" : "-").append(s);
        return sb.toString();
    }

    private String contentHash() {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Map.Entry<String, HostTensor> e : tensors().entrySet()) {
            md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            for (int s : e.getValue().shape()) {
                buf.putInt(s);
            }
            buf.flip();
            md.update(buf);
            buf.clear();
            float[] data = e.getValue().toFloats();
            for (float x : data) {
                if (buf.remaining() < 4) {
                    buf.flip();
                    md.update(buf);
                    buf.clear();
                }
                buf.putFloat(x);
            }
            buf.flip();
            md.update(buf);
            buf.clear();
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
