package dev.nfn4j.space;

/**
 * Where each tensor of a weight-space batch lives in its one contiguous buffer, in the canonical
 * layout of DESIGN.md section 3: tensors in the order W_0, b_0, W_1, b_1, ..., each batch first,
 * <pre>
 * W_i: [B][C*f_i][n_i][n_{i-1}]   (channel index c*f_i + s, s the filter position, h major)
 * b_i: [B][C][n_i]
 * </pre>
 * so a conv layer is a dense layer with C*f_i channels.
 */
public record WsLayout(NetworkSpec spec, int batch, int channels) {
    /** Checks batch and channels (at least 1). */
    public WsLayout {
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        if (channels < 1) throw new IllegalArgumentException("channels must be >= 1, got " + channels);
    }

    /** The number of weight layers. */
    public int numLayers() {
        return spec.numLayers();
    }

    /** Channels of W_i's planes: C * f_i. */
    public int wChannels(int i) {
        return channels * spec.filterSize(i);
    }

    /** Floats in one sample's W_i: C f_i n_i n_{i-1}. */
    public long wPerSample(int i) {
        return (long) wChannels(i) * spec.rows(i) * spec.cols(i);
    }

    /** Floats of bias tensor i per sample. */
    public long bPerSample(int i) {
        return (long) channels * spec.rows(i);
    }

    /** Where weight tensor i starts in the buffer. */
    public long wOffset(int i) {
        long off = 0;
        for (int l = 0; l < i; l++) off += batch * (wPerSample(l) + bPerSample(l));
        return off;
    }

    /** Where bias tensor i starts in the buffer. */
    public long bOffset(int i) {
        return wOffset(i) + batch * wPerSample(i);
    }

    /** Total floats of the batch. */
    public long size() {
        return wOffset(numLayers());
    }

    /**
     * Stacks samples stored one after another, each in the one-sample form of this layout
     * ({@code withBatch(1)}, as zoos keep them), into one batch: sample b of {@code out} (laid out
     * as {@code withBatch(indices.length)}) is sample {@code indices[b]} of {@code samples}.
     */
    public void gather(float[] samples, int[] indices, float[] out) {
        WsLayout one = withBatch(1), batched = withBatch(indices.length);
        long perSample = one.size();
        if (out.length != batched.size())
            throw new IllegalArgumentException("a batch of " + indices.length + " needs " + batched.size() + " floats, got " + out.length);
        for (int idx : indices)
            if (idx < 0 || (idx + 1) * perSample > samples.length)
                throw new IndexOutOfBoundsException("sample " + idx + " of " + samples.length / perSample);
        int pos = 0;
        for (int i = 0; i < numLayers(); i++) { // W_i of every sample, then b_i of every sample
            int wOff = (int) one.wOffset(i), wLen = (int) one.wPerSample(i), bOff = (int) one.bOffset(i), bLen = (int) one.bPerSample(i);
            for (int idx : indices) {
                System.arraycopy(samples, (int) (idx * perSample) + wOff, out, pos, wLen);
                pos += wLen;
            }
            for (int idx : indices) {
                System.arraycopy(samples, (int) (idx * perSample) + bOff, out, pos, bLen);
                pos += bLen;
            }
        }
    }

    /** The same network and batch with {@code c} channels. */
    public WsLayout withChannels(int c) {
        return new WsLayout(spec, batch, c);
    }

    /** The same network and channels with a batch of {@code b}. */
    public WsLayout withBatch(int b) {
        return new WsLayout(spec, b, channels);
    }
}
