package dev.nfn4j.nn;

import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.Value;

import java.util.Arrays;

/** A dense row-major tensor in backend memory, batch first (e.g. pooled features {@code [B, C, K]}). */
public record Tensor(int[] shape, Ptr data) implements Value {
    /** Copies the shape, which needs a batch dimension. */
    public Tensor {
        if (shape.length < 1) throw new IllegalArgumentException("a tensor needs a batch dimension");
        shape = shape.clone();
    }

    /** A copy of the shape. */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public int batch() {
        return shape[0];
    }

    @Override
    public long size() {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    @Override
    public Tensor withData(Ptr data) {
        return new Tensor(shape, data);
    }

    /** Elements per sample. */
    public long perSample() {
        return size() / shape[0];
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
