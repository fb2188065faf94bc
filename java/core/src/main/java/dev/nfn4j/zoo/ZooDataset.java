package dev.nfn4j.zoo;

import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A zoo of N networks of one architecture with named per-network metrics, as an NFN trains on:
 * all weights in one {@code float[N * P]} (like weights.npy), network n's row holding its
 * tensors in the canonical layout of one sample with one channel ({@code WsLayout(spec, 1, 1)}:
 * W_0, b_0, W_1, b_1, ..., each W_i as {@code [f_i][n_i][n_{i-1}]}), so a batch is assembled
 * by plain copies. {@link #network} gives one network back, also in PyTorch order.
 *
 * <p>The target is one metric per network, or (for tasks that edit weights, see
 * {@link #withWeightTargets}) a weight space per network in the same canonical layout.
 */
public final class ZooDataset {
    /** The metric nfn predicts. */
    public static final String TEST_ACCURACY = "test_accuracy";

    private final NetworkSpec spec;
    private final WsLayout one;
    private final int size;
    private final int perNetwork;
    private final float[] weights;
    private final Map<String, float[]> metrics;
    private final String target;
    private final Splits splits;
    private final long[] sourceRows;
    /** N rows of {@code targetChannels * P} floats when the targets are weight spaces, else null. */
    private final float[] weightTargets;
    private final int targetChannels;
    /** The layout of one network's weight target (null for a metric target). */
    private final WsLayout targetOne;

    /**
     * Takes ownership of {@code weights} and the metric arrays (no copies: a zoo can be
     * gigabytes); callers must not change them afterwards.
     *
     * @param weights    N rows of {@code spec.numParams()} floats in the canonical one-network layout
     * @param metrics    name to N values, in the order to report them
     * @param target     the metric {@link #batch} returns as the target
     * @param splits     train/val/test indices into [0, N)
     * @param sourceRows where each network came from (e.g. its weights.npy row), or null for 0..N-1
     */
    public ZooDataset(NetworkSpec spec, float[] weights, Map<String, float[]> metrics, String target, Splits splits, long[] sourceRows) {
        this(spec, weights, metrics, target, splits, sourceRows, null, 0);
    }

    private ZooDataset(NetworkSpec spec, float[] weights, Map<String, float[]> metrics, String target, Splits splits, long[] sourceRows,
                       float[] weightTargets, int targetChannels) {
        this.spec = spec;
        this.one = new WsLayout(spec, 1, 1);
        long p = one.size();
        if (p > Integer.MAX_VALUE || weights.length % p != 0)
            throw new IllegalArgumentException("weights hold " + weights.length + " floats, not a whole number of networks of " + p + " parameters (" + spec + ")");
        this.perNetwork = (int) p;
        this.size = (int) (weights.length / p);
        this.weights = weights;
        Map<String, float[]> m = new LinkedHashMap<>();
        metrics.forEach((name, values) -> {
            if (values.length != size)
                throw new IllegalArgumentException("metric '" + name + "' has " + values.length + " values for " + size + " networks");
            m.put(name, values);
        });
        this.metrics = Collections.unmodifiableMap(m);
        if (weightTargets == null && !m.containsKey(target))
            throw new IllegalArgumentException("target metric '" + target + "' is not among the metrics " + m.keySet());
        if (weightTargets != null && (targetChannels < 1 || weightTargets.length != (long) size * perNetwork * targetChannels))
            throw new IllegalArgumentException("weight targets '" + target + "' hold " + weightTargets.length + " floats, not " + size
                    + " networks x " + targetChannels + " channels x " + perNetwork + " parameters");
        this.target = target;
        this.weightTargets = weightTargets;
        this.targetChannels = targetChannels;
        this.targetOne = weightTargets == null ? null : new WsLayout(spec, 1, targetChannels);
        splits.validate(size);
        this.splits = splits;
        if (sourceRows != null && sourceRows.length != size)
            throw new IllegalArgumentException(sourceRows.length + " source rows for " + size + " networks");
        this.sourceRows = sourceRows == null ? null : sourceRows.clone();
    }

    /**
     * A batch: the networks' weights (B = indices.length, C = 1) and their targets: one value per
     * network, or with weight targets a weight space in the batch layout {@code WsLayout(spec, B, channels)}.
     */
    public record Batch(HostWeights weights, float[] targets) {
    }

    /** The network spec every network shares. */
    public NetworkSpec spec() {
        return spec;
    }

    /** Number of networks N. */
    public int size() {
        return size;
    }

    /** P, the floats of one network. */
    public int paramsPerNetwork() {
        return perNetwork;
    }

    /** The metric the dataset predicts. */
    public String target() {
        return target;
    }

    /** The same networks and metrics with another metric as the target (shares the data). */
    public ZooDataset withTarget(String metric) {
        return new ZooDataset(spec, weights, metrics, metric, splits, sourceRows);
    }

    /**
     * The same networks with a weight space per network as the target, for tasks that edit
     * weights (an equivariant NFN learns them): {@code rows} holds N rows of {@code channels x P}
     * floats in the canonical layout of {@code WsLayout(spec, 1, channels)}. Shares the data;
     * {@code name} labels the target in logs and checkpoints.
     */
    public ZooDataset withWeightTargets(String name, float[] rows, int channels) {
        return new ZooDataset(spec, weights, metrics, name, splits, sourceRows, rows, channels);
    }

    /** True when the targets are weight spaces ({@link #withWeightTargets}). */
    public boolean hasWeightTargets() {
        return weightTargets != null;
    }

    /** Floats of target per network: 1 for a metric, channels x P for weight targets. */
    public int targetsPerNetwork() {
        return weightTargets == null ? 1 : targetChannels * perNetwork;
    }

    /** The metrics there are, per network. */
    public Set<String> metricNames() {
        return metrics.keySet();
    }

    /** All N values of a metric, as a copy. */
    public float[] metric(String name) {
        return values(name).clone();
    }

    /** One network's value of a metric. */
    public float metric(String name, int network) {
        return values(name)[checkIndex(network)];
    }

    /** The target metric of every network, as a copy (weight targets: see {@link #batch}). */
    public float[] targets() {
        if (weightTargets != null) throw new IllegalStateException("the targets of " + this + " are weight spaces, not one value per network");
        return metric(target);
    }

    /** The training, validation and test splits. */
    public Splits splits() {
        return splits;
    }

    /** Where network n came from (its row in the source file), or n when not recorded. */
    public long sourceRow(int network) {
        checkIndex(network);
        return sourceRows == null ? network : sourceRows[network];
    }

    /**
     * The backing N x P array, not a copy (for statistics over the whole zoo without another
     * gigabyte); do not change it.
     */
    public float[] canonicalRows() {
        return weights;
    }

    /** Network n alone (B = 1, C = 1), a copy; {@code torchWeight(i)} / {@code torchBias(i)} give PyTorch order. */
    public HostWeights network(int n) {
        checkIndex(n);
        return new HostWeights(one, Arrays.copyOfRange(weights, n * perNetwork, (n + 1) * perNetwork));
    }

    /** The networks at {@code indices} as one canonical batch (C = 1), with their targets. */
    public Batch batch(int[] indices) {
        if (indices.length == 0) throw new IllegalArgumentException("empty batch");
        WsLayout layout = one.withBatch(indices.length);
        float[] data = new float[Math.toIntExact(layout.size())];
        float[] targets = new float[indices.length * targetsPerNetwork()];
        batchInto(indices, data, targets);
        return new Batch(new HostWeights(layout, data), targets);
    }

    /**
     * {@link #batch} into caller-owned arrays, allocating nothing (the training loop's path):
     * {@code weightsOut} must hold exactly {@code WsLayout(spec, indices.length, 1).size()} floats,
     * {@code targetsOut} exactly {@code indices.length * targetsPerNetwork()}.
     */
    public void batchInto(int[] indices, float[] weightsOut, float[] targetsOut) {
        int B = indices.length;
        if (weightsOut.length != (long) B * perNetwork)
            throw new IllegalArgumentException("batch of " + B + " needs " + (long) B * perNetwork + " floats, got " + weightsOut.length);
        if (targetsOut.length != (long) B * targetsPerNetwork())
            throw new IllegalArgumentException("batch of " + B + " needs " + (long) B * targetsPerNetwork() + " target slots, got " + targetsOut.length);
        for (int idx : indices) checkIndex(idx);
        one.gather(weights, indices, weightsOut);
        if (weightTargets != null) {
            targetOne.gather(weightTargets, indices, targetsOut);
            return;
        }
        float[] t = metrics.get(target);
        for (int b = 0; b < B; b++) targetsOut[b] = t[indices[b]];
    }

    private float[] values(String name) {
        float[] v = metrics.get(name);
        if (v == null) throw new IllegalArgumentException("no metric '" + name + "' (have " + metrics.keySet() + ")");
        return v;
    }

    private int checkIndex(int n) {
        if (n < 0 || n >= size) throw new IndexOutOfBoundsException("network " + n + " of a zoo of " + size);
        return n;
    }

    @Override
    public String toString() {
        return "ZooDataset[" + size + " networks of " + spec + ", metrics " + metrics.keySet() + ", target " + target
                + (weightTargets != null ? " (weight spaces, " + targetChannels + " channels)" : "") + ", " + splits + "]";
    }
}
