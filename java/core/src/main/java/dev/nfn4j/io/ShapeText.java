package dev.nfn4j.io;

/**
 * Shapes as text for messages: in full up to {@value #MAX_DIMS} dimensions, beyond that the first
 * and last few with the rank, so a hostile rank-5000 shape still gives a short line.
 */
public final class ShapeText {
    static final int MAX_DIMS = 10;
    private static final int HEAD = 6, TAIL = 2;

    private ShapeText() {
    }

    /** As Python prints a tuple: "()", "(5,)", "(2, 3)"; "(1, 1, 1, 1, 1, 1, ..., 1, 1) (rank 5002)" when long. */
    public static String tuple(long[] dims) {
        if (dims.length == 1) return "(" + dims[0] + ",)";
        return join("(", dims, ")");
    }

    /** As Java and PyTorch print a shape: "[]", "[5]", "[2, 3]", abbreviated the same way when long. */
    public static String list(long[] dims) {
        return join("[", dims, "]");
    }

    /** The dimensions as {@code [2, 3, 4]}. */
    public static String list(int[] dims) {
        long[] d = new long[dims.length];
        for (int i = 0; i < d.length; i++) d[i] = dims[i];
        return list(d);
    }

    private static String join(String open, long[] dims, String close) {
        StringBuilder sb = new StringBuilder(open);
        boolean cut = dims.length > MAX_DIMS;
        for (int i = 0; i < dims.length; i++) {
            if (cut && i == HEAD) {
                sb.append(", ...");
                i = dims.length - TAIL;
            }
            sb.append(i > 0 ? ", " : "").append(dims[i]);
        }
        sb.append(close);
        return cut ? sb + " (rank " + dims.length + ")" : sb.toString();
    }
}
