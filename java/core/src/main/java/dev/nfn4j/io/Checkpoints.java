package dev.nfn4j.io;

import dev.nfn4j.nn.Param;
import dev.nfn4j.nn.Params;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parameters and weight-space batches in safetensors files, with nfn's names: a model's
 * parameters as {@code <prefix><state_dict key>}, a weight-space batch as
 * {@code <prefix>.weight.i} {@code [B, C, o, i(, h, w)]} and {@code <prefix>.bias.i} {@code [B, C, o]}.
 * Every error names the file and the tensor.
 */
public final class Checkpoints {
    private Checkpoints() {}

    /**
     * Loads every parameter from {@code prefix + name}. A missing tensor, one of the wrong shape,
     * a non-finite value, or (when {@code strict}) a {@code prefix*} tensor the model does not
     * have, is an error.
     */
    public static void loadParams(SafetensorsFile f, String prefix, Params params, boolean strict) throws NfnFormatException {
        loadParams(f, prefix, params, strict, Set.of());
    }

    /** As above; {@code alsoAllowed} names tensors that may sit beside the parameters (input statistics, say). */
    public static void loadParams(SafetensorsFile f, String prefix, Params params, boolean strict, Set<String> alsoAllowed) throws NfnFormatException {
        requireParams(f, prefix, params, strict, alsoAllowed);
        for (Param p : params.all()) {
            String name = prefix + p.name();
            float[] v = f.get(name, p.shape()).toFloats();
            requireFinite(f.path(), name, v);
            params.write(p, v);
        }
    }

    /**
     * Checks, before anything is allocated, that the file holds every declared parameter with its
     * exact shape, and (when {@code strict}) nothing else under {@code prefix} but {@code alsoAllowed}.
     */
    public static void requireParams(TensorSource f, String prefix, Params params, boolean strict, Set<String> alsoAllowed) throws NfnFormatException {
        for (Param p : params.all()) {
            String name = prefix + p.name();
            if (!f.has(name)) throw new NfnFormatException(f.path(), name, "missing: the model needs it with shape " + Arrays.toString(p.shape()));
            f.get(name, p.shape());
        }
        if (strict)
            for (String n : f.names())
                if (n.startsWith(prefix) && !params.has(n.substring(prefix.length())) && !alsoAllowed.contains(n))
                    throw new NfnFormatException(f.path(), n, "the model has no parameter named " + n.substring(prefix.length()));
    }

    /** A non-finite value is an error naming the tensor and the first such index. */
    public static void requireFinite(Path file, String tensor, float[] v) throws NfnFormatException {
        for (int i = 0; i < v.length; i++)
            if (!Float.isFinite(v[i])) throw new NfnFormatException(file, tensor, "non-finite value " + v[i] + " at flat index " + i);
    }

    /** Writes every parameter as {@code prefix + name} (F32), atomically. */
    public static void saveParams(Path file, String prefix, Params params, Map<String, String> metadata) throws IOException {
        saveParams(file, prefix, params, Map.of(), metadata);
    }

    /** As above, with {@code extra} tensors after the parameters. */
    public static void saveParams(Path file, String prefix, Params params, Map<String, HostTensor> extra, Map<String, String> metadata)
            throws IOException {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        for (Param p : params.all()) t.put(prefix + p.name(), HostTensor.f32(p.shape(), params.read(p)));
        t.putAll(extra);
        Safetensors.write(file, t, metadata);
    }

    /**
     * Reads the weight-space batch {@code prefix.weight.0, prefix.bias.0, ...} (as many layers as
     * the file has), inferring the network spec, batch and channels from the shapes and checking
     * they agree. Non-finite values are rejected unless {@code allowNonFinite}.
     */
    public static HostWeights readWeights(TensorSource f, String prefix, boolean allowNonFinite) throws NfnFormatException {
        List<HostTensor> ws = new ArrayList<>(), bs = new ArrayList<>();
        for (int i = 0; f.has(prefix + ".weight." + i); i++) {
            ws.add(f.get(prefix + ".weight." + i));
            if (!f.has(prefix + ".bias." + i)) throw new NfnFormatException(f.path(), prefix + ".bias." + i, "missing (layer " + i + " has a weight)");
            bs.add(f.get(prefix + ".bias." + i));
        }
        if (ws.isEmpty()) throw new NfnFormatException(f.path(), prefix + ".weight.0", "missing: no weight-space tensors with this prefix");
        int[] w0 = ws.get(0).shape();
        if (w0.length != 4 && w0.length != 6)
            throw new NfnFormatException(f.path(), prefix + ".weight.0", "shape " + Arrays.toString(w0) + " must be [B, C, o, i] or [B, C, o, i, h, w]");
        int B = w0[0], C = w0[1];
        List<int[]> wShapes = new ArrayList<>(), bShapes = new ArrayList<>();
        for (int i = 0; i < ws.size(); i++) {
            int[] w = ws.get(i).shape(), b = bs.get(i).shape();
            if ((w.length != 4 && w.length != 6) || w[0] != B || w[1] != C)
                throw new NfnFormatException(f.path(), prefix + ".weight." + i, "shape " + Arrays.toString(w) + " must be [" + B + ", " + C
                        + ", o, i(, h, w)] like " + prefix + ".weight.0");
            if (b.length != 3 || b[0] != B || b[1] != C)
                throw new NfnFormatException(f.path(), prefix + ".bias." + i, "shape " + Arrays.toString(b) + " must be [" + B + ", " + C + ", o]");
            wShapes.add(Arrays.copyOfRange(w, 2, w.length));
            bShapes.add(Arrays.copyOfRange(b, 2, 3));
        }
        NetworkSpec spec;
        try {
            spec = NetworkSpec.fromShapes(wShapes, bShapes);
        } catch (IllegalArgumentException e) {
            throw new NfnFormatException(f.path(), prefix + ".*", e.getMessage());
        }
        List<float[]> wd = new ArrayList<>(), bd = new ArrayList<>();
        for (int i = 0; i < ws.size(); i++) {
            wd.add(ws.get(i).toFloats());
            bd.add(bs.get(i).toFloats());
        }
        try {
            return HostWeights.fromTorch(new WsLayout(spec, B, C), wd, bd, allowNonFinite);
        } catch (IllegalArgumentException e) {
            throw new NfnFormatException(f.path(), prefix + "." + e.getMessage().split(":")[0], e.getMessage());
        }
    }

    /** Writes a weight-space batch as {@code prefix.weight.i} / {@code prefix.bias.i} in PyTorch layout (F32), atomically. */
    public static void writeWeights(Path file, String prefix, HostWeights x, Map<String, String> metadata) throws IOException {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        WsLayout lay = x.layout();
        for (int i = 0; i < lay.numLayers(); i++) {
            t.put(prefix + ".weight." + i, HostTensor.f32(HostWeights.torchWeightShape(lay, i), x.torchWeight(i)));
            t.put(prefix + ".bias." + i, HostTensor.f32(new int[]{lay.batch(), lay.channels(), lay.spec().rows(i)}, x.torchBias(i)));
        }
        Safetensors.write(file, t, metadata);
    }
}
