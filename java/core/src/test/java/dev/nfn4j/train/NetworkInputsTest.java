package dev.nfn4j.train;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Npy;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every input kind of {@code nfn4j predict} gives the same canonical networks; bad inputs say what is wrong. */
class NetworkInputsTest {
    /** A CNN then a dense layer: odd sizes, a 2x3 filter, so any transposition shows. */
    private static final NetworkSpec SPEC = new NetworkSpec(new int[]{2, 3, 5, 4}, new int[][]{{2, 3}, {1, 1}, null});
    private static final int N = 3;

    @TempDir
    Path tmp;

    /** N random networks in PyTorch layout: per layer, [N, 1, out, in(, h, w)] and [N, 1, out]. */
    private static HostWeights networks() {
        Random r = new Random(7);
        WsLayout layout = new WsLayout(SPEC, N, 1);
        List<float[]> ws = new ArrayList<>(), bs = new ArrayList<>();
        for (int i = 0; i < SPEC.numLayers(); i++) {
            float[] w = new float[(int) (N * layout.wPerSample(i))], b = new float[(int) (N * layout.bPerSample(i))];
            for (int q = 0; q < w.length; q++) w[q] = (float) r.nextGaussian();
            for (int q = 0; q < b.length; q++) b[q] = (float) r.nextGaussian();
            ws.add(w);
            bs.add(b);
        }
        return HostWeights.fromTorch(layout, ws, bs, false);
    }

    /** Network n as a state_dict of an nn.Sequential (keys 0.weight, 0.bias, 2.weight, ...). */
    private static Map<String, HostTensor> stateDict(HostWeights x, int n) {
        Map<String, HostTensor> sd = new LinkedHashMap<>();
        for (int i = 0; i < SPEC.numLayers(); i++) {
            float[] w = x.torchWeight(i), b = x.torchBias(i);
            int batch = x.layout().batch(), wl = w.length / batch, bl = b.length / batch;
            sd.put(2 * i + ".weight", HostTensor.f32(SPEC.weightShape(i), Arrays.copyOfRange(w, n * wl, (n + 1) * wl)));
            sd.put(2 * i + ".bias", HostTensor.f32(new int[]{SPEC.rows(i)}, Arrays.copyOfRange(b, n * bl, (n + 1) * bl)));
        }
        return sd;
    }

    /** The flattened state dicts, one row per network. */
    private static float[] flat(HostWeights x) {
        int p = (int) SPEC.numParams();
        float[] out = new float[N * p];
        for (int n = 0; n < N; n++) {
            int at = n * p;
            for (HostTensor t : stateDict(x, n).values()) {
                float[] v = t.toFloats();
                System.arraycopy(v, 0, out, at, v.length);
                at += v.length;
            }
        }
        return out;
    }

    private static void writeNpz(Path file, Map<String, HostTensor> arrays, Path scratch) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (var e : arrays.entrySet()) {
                Path one = scratch.resolve(e.getKey() + ".npy");
                Npy.write(one, e.getValue());
                zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
                zip.write(Files.readAllBytes(one));
                zip.closeEntry();
            }
        }
    }

    /** Network n of x as its own batch of one. */
    private static float[] network(HostWeights x, int n) {
        float[] out = new float[(int) SPEC.numParams()];
        int at = 0;
        for (HostTensor t : stateDict(x, n).values()) {
            float[] v = t.toFloats();
            System.arraycopy(v, 0, out, at, v.length);
            at += v.length;
        }
        return out;
    }

    private static float[] networkOf(NetworkInputs.Networks got, int k) {
        return network(got.weights(), k);
    }

    @Test
    void everyInputKindGivesTheSameNetworks() throws IOException {
        HostWeights x = networks();
        Path batch = tmp.resolve("batch.safetensors");
        Checkpoints.writeWeights(batch, "input", x, Map.of());
        Path sd1 = tmp.resolve("net1.safetensors");
        Safetensors.write(sd1, stateDict(x, 1), Map.of());
        Path npzSd = tmp.resolve("net2.npz");
        Files.createDirectories(tmp.resolve("scratch"));
        writeNpz(npzSd, stateDict(x, 2), tmp.resolve("scratch"));
        Path npy = tmp.resolve("flat.npy");
        Npy.write(npy, HostTensor.f32(new int[]{N, (int) SPEC.numParams()}, flat(x)));
        Path one = tmp.resolve("one.npy");
        Npy.write(one, HostTensor.f32(new int[]{(int) SPEC.numParams()}, network(x, 0)));

        NetworkInputs.Networks all = NetworkInputs.read(batch, SPEC, "input", null);
        assertArrayEquals(x.data(), all.weights().data());
        assertEquals(List.of(batch + "[0]", batch + "[1]", batch + "[2]"), all.labels());
        assertArrayEquals(network(x, 1), networkOf(NetworkInputs.read(sd1, SPEC, "input", null), 0));
        assertArrayEquals(network(x, 2), networkOf(NetworkInputs.read(npzSd, SPEC, "input", null), 0));
        NetworkInputs.Networks rows = NetworkInputs.read(npy, SPEC, "input", new long[]{2, 0});
        assertEquals(List.of(npy + "[row 2]", npy + "[row 0]"), rows.labels());
        assertArrayEquals(network(x, 2), networkOf(rows, 0));
        assertArrayEquals(network(x, 0), networkOf(rows, 1));
        assertArrayEquals(x.data(), NetworkInputs.read(npy, SPEC, "input", null).weights().data());
        assertArrayEquals(network(x, 0), networkOf(NetworkInputs.read(one, SPEC, "input", null), 0));
    }

    @Test
    void badInputsSayWhatWasExpected() throws IOException {
        HostWeights x = networks();
        Path npy = tmp.resolve("short.npy");
        Npy.write(npy, HostTensor.f32(new int[]{2, 5}, new float[10]));
        assertMessage(npy, null, "expected [" + SPEC.numParams() + "] or [N, " + SPEC.numParams() + "]");
        Path flat = tmp.resolve("flat.npy");
        Npy.write(flat, HostTensor.f32(new int[]{N, (int) SPEC.numParams()}, flat(x)));
        assertMessage(flat, new long[]{N}, "row 3 is outside the file's 3 rows");
        Path txt = tmp.resolve("net.txt");
        Files.writeString(txt, "hello");
        assertMessage(txt, null, "unknown input kind");
        Path batch = tmp.resolve("batch.safetensors");
        Checkpoints.writeWeights(batch, "input", x, Map.of());
        assertMessage(batch, new long[]{0}, "row selection applies to");
        assertMessage(tmp.resolve("missing.npz"), null, "no such file or folder");
        assertMessage(tmp, null, "must be a Small CNN Zoo");
        // a network of another architecture
        NetworkSpec other = new NetworkSpec(new int[]{2, 3, 5, 6}, new int[][]{{2, 3}, {1, 1}, null});
        var e = assertThrows(NfnFormatException.class, () -> NetworkInputs.read(batch, other, "input", null));
        assertTrue(e.getMessage().contains("the model expects"), e.getMessage());
        // a non-finite weight names the tensor
        float[] bad = flat(x);
        bad[4] = Float.NaN;
        Npy.write(flat, HostTensor.f32(new int[]{N, (int) SPEC.numParams()}, bad));
        assertMessage(flat, null, "non-finite");
    }

    private static void assertMessage(Path in, long[] rows, String expected) {
        var e = assertThrows(NfnFormatException.class, () -> NetworkInputs.read(in, SPEC, "input", rows));
        assertTrue(e.getMessage().contains(expected) && e.getMessage().contains(" (" + in), e.getMessage());
    }
}
