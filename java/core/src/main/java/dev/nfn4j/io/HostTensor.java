package dev.nfn4j.io;

import java.util.Objects;

/**
 * A tensor in host memory: dtype, shape (PyTorch order, row-major) and data.
 *
 * <p>Floating data is held as float[] (F32; F16 and BF16 are widened to F32 when read) or
 * double[] (F64); integer data (I32, I64) as long[]. The factories take ownership of the array
 * they are given rather than copying it, so callers must not change it afterwards; every
 * accessor returns a copy, so a HostTensor never changes once built.
 */
public final class HostTensor {
    /** The largest array the JVM reliably allocates (a few header words below Integer.MAX_VALUE). */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private final DType dtype;
    private final int[] shape;
    // Exactly one of these is non-null, matching dtype.
    private final float[] floats;
    private final double[] doubles;
    private final long[] longs;

    private HostTensor(DType dtype, int[] shape, float[] floats, double[] doubles, long[] longs) {
        this.dtype = dtype;
        this.shape = shape;
        this.floats = floats;
        this.doubles = doubles;
        this.longs = longs;
    }

    /** An F32 tensor; {@code data} must hold exactly the shape's element count. */
    public static HostTensor f32(int[] shape, float[] data) {
        int[] s = checkedShape(shape, Objects.requireNonNull(data, "data").length);
        return new HostTensor(DType.F32, s, data, null, null);
    }

    /** An F64 tensor; {@code data} must hold exactly the shape's element count. */
    public static HostTensor f64(int[] shape, double[] data) {
        int[] s = checkedShape(shape, Objects.requireNonNull(data, "data").length);
        return new HostTensor(DType.F64, s, null, data, null);
    }

    /** An I32 or I64 tensor, its values held as longs whatever the file width. */
    static HostTensor ofLongs(DType dtype, int[] shape, long[] data) {
        if (dtype != DType.I32 && dtype != DType.I64) {
            throw new IllegalArgumentException("not an integer dtype: " + dtype);
        }
        return new HostTensor(dtype, checkedShape(shape, data.length), null, null, data);
    }

    /** F32, F64, or the integer dtype it was read as. */
    public DType dtype() {
        return dtype;
    }

    /** The shape, as a copy. */
    public int[] shape() {
        return shape.clone();
    }

    /** The number of elements: the product of the shape. */
    public long numel() {
        return length();
    }

    /** The data as floats (a converting copy; F64 and I64 may round). */
    public float[] toFloats() {
        if (floats != null) {
            return floats.clone();
        }
        float[] out = new float[length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = doubles != null ? (float) doubles[i] : (float) longs[i];
        }
        return out;
    }

    /** The data as doubles (a converting copy; exact except for I64 beyond 2^53). */
    public double[] toDoubles() {
        if (doubles != null) {
            return doubles.clone();
        }
        double[] out = new double[length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = floats != null ? floats[i] : (double) longs[i];
        }
        return out;
    }

    /**
     * The data of an I32 or I64 tensor, as a copy. Not part of the float API because a
     * silent float-to-long cast would hide a wrong dtype.
     *
     * @throws IllegalStateException for a floating-point tensor
     */
    public long[] toLongs() {
        if (longs == null) {
            throw new IllegalStateException("toLongs() on a " + dtype + " tensor; use toFloats() or toDoubles()");
        }
        return longs.clone();
    }

    /** The shape as "[2, 3, 4]"; a scalar is "[]"; abbreviated past rank 10 (see {@link ShapeText}). */
    public String shapeString() {
        return ShapeText.list(shape);
    }

    @Override
    public String toString() {
        return "HostTensor[" + dtype + " " + shapeString() + "]";
    }

    // Internal views for the writer, which streams the data without copying it.
    float[] floatData() {
        return floats;
    }

    double[] doubleData() {
        return doubles;
    }

    long[] longData() {
        return longs;
    }

    private int length() {
        return floats != null ? floats.length : doubles != null ? doubles.length : longs.length;
    }

    /** Copies the shape and checks its dims are non-negative and multiply to {@code length}. */
    private static int[] checkedShape(int[] shape, int length) {
        int[] s = Objects.requireNonNull(shape, "shape").clone();
        boolean empty = false;
        for (int d : s) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + ShapeText.list(s));
            }
            empty |= d == 0;
        }
        long numel = empty ? 0 : 1;
        for (int i = 0; i < s.length && !empty && numel <= length; i++) {
            numel *= s[i]; // stops once past length, so the long cannot overflow
        }
        if (numel != length) {
            throw new IllegalArgumentException("shape " + ShapeText.list(s) + " has "
                    + (numel > length ? "more than " + length : numel) + " elements but data has " + length);
        }
        return s;
    }
}
