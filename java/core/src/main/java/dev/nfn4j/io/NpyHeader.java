package dev.nfn4j.io;

import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The parsed, validated header of a NumPy {@code .npy} array (format versions 1.0, 2.0, 3.0):
 * element type, byte order, C-order shape, and where the data starts. Produced by
 * {@link Npy#header}; a header that reached this record describes data that fits its file.
 *
 * @param major      format version (1, 2 or 3; the minor version is always 0)
 * @param dtype      {@link DType#F32} ('f4') or {@link DType#F64} ('f8')
 * @param order      the data's byte order ('&lt;' little, '&gt;' big endian)
 * @param dataOffset bytes from the start of the file (or zip entry) to the first element
 */
public record NpyHeader(int major, DType dtype, ByteOrder order, long[] shape, long dataOffset) {
    /** Copies the shape. */
    public NpyHeader {
        shape = shape.clone();
    }

    /** The shape as a copy; {@code []} for a 0-d array. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The number of dimensions. */
    public int ndim() {
        return shape.length;
    }

    /** Elements in the array (1 for a 0-d array); the reader has checked this cannot overflow. */
    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** The size of the data after the header, in bytes. */
    public long dataBytes() {
        return numel() * dtype.byteSize();
    }

    /** numpy's {@code dtype.str}: "&lt;f4", "&gt;f8", ... */
    public String descr() {
        return (order == ByteOrder.LITTLE_ENDIAN ? "<" : ">") + (dtype == DType.F32 ? "f4" : "f8");
    }

    /** The shape as Python prints it: "()", "(5,)", "(2, 3)"; abbreviated past rank 10 (see {@link ShapeText}). */
    public String shapeString() {
        return ShapeText.tuple(shape);
    }

    /** The whole tuple, as a header spells it. */
    static String pythonTuple(long[] dims) {
        if (dims.length == 1) return "(" + dims[0] + ",)";
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) sb.append(i > 0 ? ", " : "").append(dims[i]);
        return sb.append(')').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpyHeader h && major == h.major && dtype == h.dtype && order.equals(h.order)
                && Arrays.equals(shape, h.shape) && dataOffset == h.dataOffset;
    }

    @Override
    public int hashCode() {
        return ((major * 31 + dtype.hashCode()) * 31 + order.hashCode()) * 31 + Arrays.hashCode(shape) + Long.hashCode(dataOffset);
    }

    @Override
    public String toString() {
        return "NpyHeader[v" + major + ".0 " + descr() + " " + shapeString() + " data@" + dataOffset + "]";
    }
}
