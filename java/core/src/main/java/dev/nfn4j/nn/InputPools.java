package dev.nfn4j.nn;

import dev.nfn4j.ops.PlanePools;

/**
 * The plane means of a weight space, tensor by tensor, taken by the layer that wrote it
 * ({@link MixGraph.Run#outPools}) and handed to the next NF-Layer, which then does not pool its
 * input again: for weight i, row, column and global means of {@code [B][f_i C][rows_i][cols_i]};
 * for bias i, the global means of {@code [B][C][1][n_i]}. A tensor without them (null) is pooled
 * by the next layer as usual.
 */
final class InputPools {
    private final PlanePools[] weights, biases;

    private InputPools(PlanePools[] weights, PlanePools[] biases) {
        this.weights = weights;
        this.biases = biases;
    }

    /** The pools of weight {@code layer} (or its bias), or null. */
    PlanePools of(int layer, boolean bias) {
        return (bias ? biases : weights)[layer];
    }

    static Builder builder(int layers) {
        return new Builder(layers);
    }

    static final class Builder {
        private final PlanePools[] weights, biases;

        private Builder(int layers) {
            weights = new PlanePools[layers];
            biases = new PlanePools[layers];
        }

        void put(int layer, boolean bias, PlanePools p) {
            (bias ? biases : weights)[layer] = p;
        }

        InputPools build() {
            return new InputPools(weights.clone(), biases.clone());
        }
    }
}
