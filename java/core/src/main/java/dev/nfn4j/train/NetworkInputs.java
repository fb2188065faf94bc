package dev.nfn4j.train;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Npy;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.StateDicts;
import dev.nfn4j.io.TensorSource;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.zoo.SmallCnnZoo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Networks to predict on, from the files users have: what {@code nfn4j predict} and services
 * read. One input gives a batch of networks of the model's spec (one channel), each with a label
 * for output lines. Recognised inputs:
 * <ul>
 *   <li>a Small CNN Zoo folder (or its {@code weights.npy} with {@code layout.csv} beside it):
 *       its rows, TensorFlow layout converted, all or those selected;</li>
 *   <li>{@code .safetensors} or {@code .npz}: a weight-space batch
 *       ({@code PREFIX.weight.i [B, 1, out, in(, h, w)]}, {@code PREFIX.bias.i [B, 1, out]}),
 *       or one PyTorch {@code state_dict()} of an {@code nn.Sequential} (see {@link StateDicts});</li>
 *   <li>any other {@code .npy}: flattened networks, {@code [P]} or {@code [N, P]}, each row the
 *       state_dict's tensors in module order (weight then bias per layer, PyTorch shapes,
 *       C order), as {@code torch.cat([t.flatten() for t in sd.values()])} gives.</li>
 * </ul>
 * Anything else, or networks of another spec, is refused naming the file, what was expected
 * and what was found.
 */
public final class NetworkInputs {
    private NetworkInputs() {}

    /** A batch of networks and one label per network ("file[3]", "zoo[row 17]"). */
    public record Networks(HostWeights weights, List<String> labels) {}

    /**
     * Reads one input.
     *
     * @param expected the model's network spec (also what gives flat rows their shapes), or null
     *                 to take the networks as they are (then a flat {@code .npy} cannot be read)
     * @param prefix   tensor name prefix of weight-space batches ("input")
     * @param rows     rows to take from a zoo or a flat {@code .npy}, or null for all
     */
    public static Networks read(Path input, NetworkSpec expected, String prefix, long[] rows) throws IOException {
        if (!Files.exists(input)) throw new NfnFormatException(input, "no such file or folder");
        String name = input.getFileName() == null ? "" : input.getFileName().toString();
        Path zoo = Files.isDirectory(input) ? input
                : name.equals("weights.npy") && Files.exists(input.resolveSibling("layout.csv")) ? input.getParent() : null;
        if (zoo != null) {
            if (!Files.exists(zoo.resolve("weights.npy")) || !Files.exists(zoo.resolve("layout.csv")))
                throw new NfnFormatException(input, "a folder input must be a Small CNN Zoo (weights.npy and layout.csv)");
            HostWeights w = checked(input, SmallCnnZoo.networks(zoo, rows), expected);
            return new Networks(w, labels(input, w.layout().batch(), i -> "row " + (rows == null ? i : rows[i])));
        }
        if (rows != null && !name.endsWith(".npy"))
            throw new NfnFormatException(input, "row selection applies to Small CNN Zoo folders and flat .npy files, not to " + name);
        TensorSource tensors;
        if (Safetensors.isFileName(name)) tensors = Safetensors.read(input);
        else if (name.endsWith(".npz")) tensors = TensorSource.of(input, Npy.readNpz(input));
        else if (name.endsWith(".npy")) return flatRows(input, Npy.read(input), expected, rows);
        else throw new NfnFormatException(input, "unknown input kind: expected a Small CNN Zoo folder, .safetensors (or .safetensors.gz), .npz or .npy");
        HostWeights w = tensors.has(prefix + ".weight.0")
                ? Checkpoints.readWeights(tensors, prefix, false)
                : StateDicts.read(tensors, expected);
        return new Networks(checked(input, w, expected), labels(input, w.layout().batch(), Integer::toString));
    }

    /** Rows {@code [P]} or {@code [N, P]} of flattened state dicts, in PyTorch order. */
    static Networks flatRows(Path file, HostTensor t, NetworkSpec spec, long[] rows) throws NfnFormatException {
        if (spec == null)
            throw new NfnFormatException(file, "a flat .npy does not say its networks' shapes; give a zoo folder, a state_dict or a weight-space batch");
        int[] shape = t.shape();
        long p = spec.numParams();
        if ((shape.length != 1 && shape.length != 2) || shape[shape.length - 1] != p)
            throw new NfnFormatException(file, "shape " + t.shapeString() + ": expected [" + p + "] or [N, " + p
                    + "] (flattened networks of " + spec + ", weight then bias per layer)");
        int n = shape.length == 1 ? 1 : shape[0];
        float[] all = t.toFloats();
        long[] picked = rows == null ? null : rows.clone();
        int count = picked == null ? n : picked.length;
        if (count == 0) throw new NfnFormatException(file, "no rows selected");
        if (picked != null)
            for (long r : picked)
                if (r < 0 || r >= n) throw new NfnFormatException(file, "row " + r + " is outside the file's " + n + " rows");
        WsLayout layout = new WsLayout(spec, count, 1);
        List<float[]> ws = new ArrayList<>(), bs = new ArrayList<>();
        for (int i = 0; i < spec.numLayers(); i++) {
            ws.add(new float[Math.toIntExact(count * layout.wPerSample(i))]);
            bs.add(new float[Math.toIntExact(count * layout.bPerSample(i))]);
        }
        for (int k = 0; k < count; k++) {
            int at = Math.toIntExact((picked == null ? k : picked[k]) * p);
            for (int i = 0; i < spec.numLayers(); i++) {
                at = take(all, at, ws.get(i), k, (int) layout.wPerSample(i));
                at = take(all, at, bs.get(i), k, (int) layout.bPerSample(i));
            }
        }
        try {
            HostWeights w = HostWeights.fromTorch(layout, ws, bs, false);
            return new Networks(w, labels(file, count, k -> "row " + (picked == null ? k : picked[k])));
        } catch (IllegalArgumentException e) {
            throw new NfnFormatException(file, e.getMessage());
        }
    }

    /** Copies {@code len} floats from {@code src[at..]} to network k's slice of {@code dst}; returns the next position. */
    private static int take(float[] src, int at, float[] dst, int k, int len) {
        System.arraycopy(src, at, dst, k * len, len);
        return at + len;
    }

    private static HostWeights checked(Path input, HostWeights w, NetworkSpec expected) throws NfnFormatException {
        if (expected != null && !w.layout().spec().equals(expected))
            throw new NfnFormatException(input, "networks shaped " + w.layout().spec() + ", the model expects " + expected);
        if (w.layout().channels() != 1)
            throw new NfnFormatException(input, w.layout().channels() + " channels per network; the model reads one");
        return w;
    }

    private static List<String> labels(Path input, int count, java.util.function.IntFunction<String> what) {
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(input + "[" + what.apply(i) + "]");
        return out;
    }
}
