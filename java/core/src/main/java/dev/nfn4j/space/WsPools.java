package dev.nfn4j.space;

import dev.nfn4j.ops.PlanePools;

/**
 * The plane means of a weight space, tensor by tensor, taken by the layer that wrote it as it
 * wrote it, riding on the {@link WeightSpace} it hands to the next NF-Layer, which then does not
 * pool its input again: for weight i, row, column and global means of
 * {@code [B][f_i C][rows_i][cols_i]}; for bias i, the global means of {@code [B][C][1][n_i]}. A
 * tensor without them (null) is pooled by the next layer as usual.
 */
public final class WsPools {
    private final PlanePools[] weights, biases;

    private WsPools(PlanePools[] weights, PlanePools[] biases) {
        this.weights = weights;
        this.biases = biases;
    }

    /** The pools of weight {@code layer} (or its bias), or null. */
    public PlanePools of(int layer, boolean bias) {
        return (bias ? biases : weights)[layer];
    }

    /** A builder for a network of {@code layers} layers, every tensor without pools. */
    public static Builder builder(int layers) {
        return new Builder(layers);
    }

    /** Collects the pools of the tensors as a layer writes them. */
    public static final class Builder {
        private final PlanePools[] weights, biases;

        private Builder(int layers) {
            weights = new PlanePools[layers];
            biases = new PlanePools[layers];
        }

        /** Sets the pools of weight {@code layer} (or its bias). */
        public void put(int layer, boolean bias, PlanePools p) {
            (bias ? biases : weights)[layer] = p;
        }

        /** The pools collected so far. */
        public WsPools build() {
            return new WsPools(weights.clone(), biases.clone());
        }
    }
}
