package dev.nfn4j.space;

import dev.nfn4j.nn.Value;
import dev.nfn4j.ops.Ptr;

/**
 * A batch of weight-space features (B samples, C channels, every W_i and b_i) in one backend
 * buffer, laid out as {@link WsLayout} says. The input and output type of the equivariant layers.
 */
public record WeightSpace(WsLayout layout, Ptr data) implements Value {
    /** Where weight tensor i starts. */
    public Ptr w(int i) {
        return data.plus(layout.wOffset(i));
    }

    /** Where bias tensor i starts. */
    public Ptr b(int i) {
        return data.plus(layout.bOffset(i));
    }

    @Override
    public int batch() {
        return layout.batch();
    }

    @Override
    public long size() {
        return layout.size();
    }

    @Override
    public WeightSpace withData(Ptr data) {
        return new WeightSpace(layout, data);
    }

    /** The network the weights are of. */
    public NetworkSpec spec() {
        return layout.spec();
    }

    /** Channels per entry. */
    public int channels() {
        return layout.channels();
    }
}
