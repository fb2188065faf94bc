package dev.nfn4j.ops;

/** Sizes of one {@link Ops#channelMix}: x {@code [batch][cin][rows][cols]} to y {@code [batch][cout][rows][cols]}. */
public record MixShape(int batch, int cin, int cout, int rows, int cols) {
    /** Checks that every size is at least 1. */
    public MixShape {
        if (batch < 1 || cin < 1 || cout < 1 || rows < 1 || cols < 1)
            throw new IllegalArgumentException("bad channel-mix shape " + this);
    }

    /** Elements of one plane, {@code rows * cols}. */
    public long plane() {
        return (long) rows * cols;
    }
}
