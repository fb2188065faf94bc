package dev.nfn4j.space;

import java.util.Arrays;
import java.util.List;

/**
 * A weight-space batch in host memory in the canonical layout, and its conversion from and to
 * PyTorch's layout ({@code W_i: [B, C, o, i(, h, w)]}, {@code b_i: [B, C, o]}), i.e. nfn's
 * {@code b c o i h w -> b (c h w) o i} done once at ingestion.
 */
public final class HostWeights {
    private final WsLayout layout;
    private final float[] data;

    /** A batch in {@code layout}; {@code data} holds exactly {@code layout.size()} floats. */
    public HostWeights(WsLayout layout, float[] data) {
        if (data.length != layout.size())
            throw new IllegalArgumentException("weight-space data has " + data.length + " floats, layout needs " + layout.size());
        this.layout = layout;
        this.data = data;
    }

    /** The layout of {@link #data()}. */
    public WsLayout layout() {
        return layout;
    }

    /** The canonical buffer (not a copy). */
    public float[] data() {
        return data;
    }

    /**
     * Builds the canonical batch from PyTorch-ordered arrays. {@code weights.get(i)} holds
     * {@code [B, C, o, i(, h, w)]}, {@code biases.get(i)} {@code [B, C, o]}. Non-finite values
     * are rejected, naming the tensor and the index, unless {@code allowNonFinite}.
     */
    public static HostWeights fromTorch(WsLayout layout, List<float[]> weights, List<float[]> biases, boolean allowNonFinite) {
        NetworkSpec spec = layout.spec();
        int L = spec.numLayers(), B = layout.batch(), C = layout.channels();
        if (weights.size() != L || biases.size() != L)
            throw new IllegalArgumentException("expected " + L + " weight and bias tensors, got " + weights.size() + " and " + biases.size());
        float[] out = new float[Math.toIntExact(layout.size())];
        for (int i = 0; i < L; i++) {
            int f = spec.filterSize(i), rows = spec.rows(i), cols = spec.cols(i);
            float[] w = weights.get(i), b = biases.get(i);
            if (w.length != layout.batch() * layout.wPerSample(i))
                throw new IllegalArgumentException("weight." + i + ": " + w.length + " values, expected " + B * layout.wPerSample(i)
                        + " for shape " + torchWeightShapeString(layout, i));
            if (b.length != layout.batch() * layout.bPerSample(i))
                throw new IllegalArgumentException("bias." + i + ": " + b.length + " values, expected " + B * layout.bPerSample(i)
                        + " for shape [" + B + ", " + C + ", " + rows + "]");
            if (!allowNonFinite) {
                checkFinite(w, "weight." + i);
                checkFinite(b, "bias." + i);
            }
            int wo = (int) layout.wOffset(i);
            int plane = rows * cols;
            for (int bc = 0; bc < B * C; bc++)
                for (int j = 0; j < rows; j++)
                    for (int k = 0; k < cols; k++)
                        for (int s = 0; s < f; s++)
                            out[wo + (bc * f + s) * plane + j * cols + k] = w[((bc * rows + j) * cols + k) * f + s];
            System.arraycopy(b, 0, out, (int) layout.bOffset(i), b.length);
        }
        return new HostWeights(layout, out);
    }

    /** W_i in PyTorch order {@code [B, C, o, i(, h, w)]}. */
    public float[] torchWeight(int i) {
        NetworkSpec spec = layout.spec();
        int f = spec.filterSize(i), rows = spec.rows(i), cols = spec.cols(i), BC = layout.batch() * layout.channels();
        float[] w = new float[Math.toIntExact(layout.batch() * layout.wPerSample(i))];
        int wo = (int) layout.wOffset(i), plane = rows * cols;
        for (int bc = 0; bc < BC; bc++)
            for (int j = 0; j < rows; j++)
                for (int k = 0; k < cols; k++)
                    for (int s = 0; s < f; s++)
                        w[((bc * rows + j) * cols + k) * f + s] = data[wo + (bc * f + s) * plane + j * cols + k];
        return w;
    }

    /** b_i as {@code [B, C, o]}. */
    public float[] torchBias(int i) {
        int n = Math.toIntExact(layout.batch() * layout.bPerSample(i));
        return Arrays.copyOfRange(data, (int) layout.bOffset(i), (int) layout.bOffset(i) + n);
    }

    /** PyTorch shape of W_i with batch and channels, e.g. [8, 1, 16, 1, 3, 3]. */
    public static int[] torchWeightShape(WsLayout layout, int i) {
        int[] ws = layout.spec().weightShape(i);
        int[] s = new int[ws.length + 2];
        s[0] = layout.batch();
        s[1] = layout.channels();
        System.arraycopy(ws, 0, s, 2, ws.length);
        return s;
    }

    static String torchWeightShapeString(WsLayout layout, int i) {
        return Arrays.toString(torchWeightShape(layout, i));
    }

    private static void checkFinite(float[] a, String name) {
        for (int q = 0; q < a.length; q++)
            if (!Float.isFinite(a[q]))
                throw new IllegalArgumentException(name + ": non-finite value " + a[q] + " at flat index " + q
                        + " (pass allowNonFinite to accept it)");
    }
}
