package dev.nfn4j.train;

import dev.nfn4j.nn.ClassifierConfig;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Sequential;
import dev.nfn4j.nn.Tensor;
import dev.nfn4j.space.Value;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;

/**
 * A {@link ClassifierConfig}'s model on a backend, fed from host rows: networks stored one after
 * another, each in the one-sample canonical layout (its state_dict's tensors flattened, as SIREN
 * zoos keep them), standardized per tensor when a normalizer is set. The NFNs and StatNN read them
 * as a weight space, the MLP as {@code [B, P]}.
 */
public final class ClassifierNet {
    private final Ops ops;
    private final ClassifierConfig config;
    private final NetworkSpec spec;
    private final WsLayout one;
    private final Params params;
    private final Sequential model;
    private Ptr inputBuf, gradBuf;
    private Value lastOut;
    private WeightNormalizer normalizer;

    /** The configuration's model for networks of {@code spec}, parameters declared but not allocated. */
    public ClassifierNet(Ops ops, ClassifierConfig config, NetworkSpec spec) {
        this.ops = ops;
        this.config = config;
        this.spec = spec;
        this.one = new WsLayout(spec, 1, 1);
        this.params = new Params(ops);
        this.model = config.build(params, spec);
    }

    /** The model's parameters. */
    public Params params() {
        return params;
    }

    /** The model configuration. */
    public ClassifierConfig config() {
        return config;
    }

    /** The network spec of the input weights. */
    public NetworkSpec spec() {
        return spec;
    }

    /** Standardizes every input tensor with these statistics (one mean and std per W_i and b_i) first; null: inputs as given. */
    public void setNormalizer(WeightNormalizer normalizer) {
        this.normalizer = normalizer;
    }

    /** The input standardization, or null when inputs are used as given. */
    public WeightNormalizer normalizer() {
        return normalizer;
    }

    /** Floats of one network's row. */
    public int rowSize() {
        return Math.toIntExact(one.size());
    }

    /**
     * The logits {@code [B][classes]} of networks {@code idx} of {@code rows}; in training mode
     * (dropout on, its masks drawn from {@code step}) the parameter gradients are zeroed for the
     * {@link #backward} that follows.
     */
    public float[] forward(float[] rows, int[] idx, boolean training, long step) {
        int B = idx.length, P = rowSize();
        float[] x = new float[B * P];
        Value in;
        if (config.readsFlatRows()) {
            for (int b = 0; b < B; b++) {
                float[] row = java.util.Arrays.copyOfRange(rows, idx[b] * P, (idx[b] + 1) * P);
                if (normalizer != null) normalizer.apply(new HostWeights(one, row));
                System.arraycopy(row, 0, x, b * P, P);
            }
            in = new Tensor(new int[]{B, P}, upload(x));
        } else {
            WsLayout batch = one.withBatch(B);
            batch.gather(rows, idx, x);
            if (normalizer != null) normalizer.apply(new HostWeights(batch, x));
            in = new WeightSpace(batch, upload(x));
        }
        if (training) params.zeroGrad();
        model.setTraining(training, step);
        lastOut = model.forward(in);
        model.setTraining(false, step);
        float[] z = new float[B * config.classes()];
        ops.download(lastOut.data(), z, 0, z.length);
        return z;
    }

    /** Backpropagates d(loss)/d(logits) of the last {@link #forward}, accumulating parameter gradients. */
    public void backward(float[] dLogits) {
        if (gradBuf == null || gradBuf.buf().length() < dLogits.length) gradBuf = ops.alloc(dLogits.length).at(0);
        ops.upload(dLogits, 0, gradBuf, dLogits.length);
        model.backward(lastOut.withData(gradBuf));
    }

    private Ptr upload(float[] x) {
        if (inputBuf == null || inputBuf.buf().length() < x.length) inputBuf = ops.alloc(x.length).at(0);
        ops.upload(x, 0, inputBuf, x.length);
        return inputBuf;
    }

    /** The parameters' values, in {@link Params} order. */
    public float[] hostParams() {
        float[] v = new float[Math.toIntExact(params.count())];
        ops.download(params.valueBuffer().at(0), v, 0, v.length);
        return v;
    }

    /** Uploads the parameters' values, in {@link Params} order. */
    public void setParams(float[] v) {
        ops.upload(v, 0, params.valueBuffer().at(0), v.length);
    }
}
