package dev.nfn4j.space;

import dev.nfn4j.ops.Ptr;

/**
 * A batch of weight-space features (B samples, C channels, every W_i and b_i) in one backend
 * buffer, laid out as {@link WsLayout} says. The input and output type of the equivariant layers.
 * {@code pools}: the plane means of data, taken by the layer that wrote it (null: none), which the
 * next NF-Layer uses instead of pooling data again; a value with other data carries none.
 */
public record WeightSpace(WsLayout layout, Ptr data, WsPools pools) implements Value {
    /** Features without pools. */
    public WeightSpace(WsLayout layout, Ptr data) {
        this(layout, data, null);
    }

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

    /** The same layout holding {@code data}, without pools (they were of this value's data). */
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

    @Override
    public String toString() {
        return "WeightSpace[layout=" + layout + ", data=" + data + (pools == null ? "" : ", with pools") + "]";
    }
}
