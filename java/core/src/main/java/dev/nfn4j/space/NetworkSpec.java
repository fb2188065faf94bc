package dev.nfn4j.space;

import java.util.Arrays;
import java.util.List;

/**
 * The shape of the networks a weight space holds: L layers; layer i maps n_{i-1} inputs to n_i
 * outputs with a filter of h x w positions (1 x 1 for a dense layer). {@code sizes} is
 * (n_{-1}, n_0, ..., n_{L-1}), so layer i has {@code rows(i) = sizes[i+1]} and
 * {@code cols(i) = sizes[i]}.
 */
public final class NetworkSpec {
    private final int[] sizes;
    private final int[][] filters; // per layer {h, w}, or null for a dense layer

    /** A network of {@code sizes} (n_in, n_0, ..., n_out) with per layer its filter shape, or null for a dense layer. */
    public NetworkSpec(int[] sizes, int[][] filters) {
        if (sizes.length < 2) throw new IllegalArgumentException("a network needs at least one layer, got sizes " + Arrays.toString(sizes));
        if (filters.length != sizes.length - 1)
            throw new IllegalArgumentException("got " + filters.length + " filter entries for " + (sizes.length - 1) + " layers");
        for (int i = 0; i < sizes.length; i++)
            if (sizes[i] < 1) throw new IllegalArgumentException("layer size n_" + (i - 1) + " = " + sizes[i] + " must be positive");
        for (int i = 0; i < filters.length; i++)
            if (filters[i] != null && (filters[i].length != 2 || filters[i][0] < 1 || filters[i][1] < 1))
                throw new IllegalArgumentException("layer " + i + ": filter " + Arrays.toString(filters[i]) + " must be [h, w] with h, w >= 1");
        this.sizes = sizes.clone();
        this.filters = new int[filters.length][];
        for (int i = 0; i < filters.length; i++) this.filters[i] = filters[i] == null ? null : filters[i].clone();
    }

    /** A dense MLP with the given sizes (n_in, hidden..., n_out). */
    public static NetworkSpec mlp(int... sizes) {
        return new NetworkSpec(sizes, new int[sizes.length - 1][]);
    }

    /**
     * The spec of a network from its PyTorch-shaped tensors (nfn's {@code network_spec_from_wsfeat}
     * without the batch and channel dims): weights {@code [o, i]} or {@code [o, i, h, w]}, biases
     * {@code [o]}. Consecutive layers must chain; errors name the layer and both shapes.
     */
    public static NetworkSpec fromShapes(List<int[]> weightShapes, List<int[]> biasShapes) {
        if (weightShapes.isEmpty()) throw new IllegalArgumentException("no weight tensors given");
        if (weightShapes.size() != biasShapes.size())
            throw new IllegalArgumentException(weightShapes.size() + " weight tensors but " + biasShapes.size() + " bias tensors");
        int L = weightShapes.size();
        int[] sizes = new int[L + 1];
        int[][] filters = new int[L][];
        for (int i = 0; i < L; i++) {
            int[] w = weightShapes.get(i), b = biasShapes.get(i);
            if (w.length != 2 && w.length != 4)
                throw new IllegalArgumentException("layer " + i + ": weight shape " + Arrays.toString(w) + " must be [out, in] or [out, in, h, w]");
            if (b.length != 1 || b[0] != w[0])
                throw new IllegalArgumentException("layer " + i + ": bias shape " + Arrays.toString(b) + " does not match weight shape "
                        + Arrays.toString(w) + " (expected [" + w[0] + "])");
            if (i > 0 && w[1] != sizes[i])
                throw new IllegalArgumentException("layer " + i + ": weight shape " + Arrays.toString(w) + " takes " + w[1]
                        + " inputs but layer " + (i - 1) + " has weight shape " + Arrays.toString(weightShapes.get(i - 1))
                        + " with " + sizes[i] + " outputs");
            if (i == 0) sizes[0] = w[1];
            sizes[i + 1] = w[0];
            filters[i] = w.length == 4 ? new int[]{w[2], w[3]} : null;
        }
        return new NetworkSpec(sizes, filters);
    }

    /** The number of weight layers. */
    public int numLayers() {
        return sizes.length - 1;
    }

    /** The width of the network's input. */
    public int nIn() {
        return sizes[0];
    }

    /** The width of the network's output. */
    public int nOut() {
        return sizes[sizes.length - 1];
    }

    /** n_i, the outputs of layer i (rows of W_i). */
    public int rows(int i) {
        return sizes[i + 1];
    }

    /** n_{i-1}, the inputs of layer i (columns of W_i). */
    public int cols(int i) {
        return sizes[i];
    }

    /** Filter positions f_i = h*w (1 for dense layers). */
    public int filterSize(int i) {
        return filters[i] == null ? 1 : filters[i][0] * filters[i][1];
    }

    /** Whether layer i is a convolution. */
    public boolean isConv(int i) {
        return filters[i] != null;
    }

    /** {h, w} of layer i, or null when dense. */
    public int[] filter(int i) {
        return filters[i] == null ? null : filters[i].clone();
    }

    /** The neuron counts n_in, n_0, ..., n_out (a copy). */
    public int[] sizes() {
        return sizes.clone();
    }

    /** PyTorch shape of W_i without batch and channel: [o, i] or [o, i, h, w]. */
    public int[] weightShape(int i) {
        return filters[i] == null ? new int[]{rows(i), cols(i)} : new int[]{rows(i), cols(i), filters[i][0], filters[i][1]};
    }

    /** Number of weights and biases of one network. */
    public long numParams() {
        long n = 0;
        for (int i = 0; i < numLayers(); i++) n += (long) rows(i) * cols(i) * filterSize(i) + rows(i);
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NetworkSpec s && Arrays.equals(sizes, s.sizes) && Arrays.deepEquals(filters, s.filters);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sizes) * 31 + Arrays.deepHashCode(filters);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("NetworkSpec(sizes=").append(Arrays.toString(sizes)).append(", filters=[");
        for (int i = 0; i < filters.length; i++)
            sb.append(i > 0 ? ", " : "").append(filters[i] == null ? "dense" : filters[i][0] + "x" + filters[i][1]);
        return sb.append("])").toString();
    }
}
