package dev.nfn4j.zoo;

import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A Small CNN Zoo {@code layout.csv}: which columns of a weights row hold which TensorFlow
 * tensor ({@code varname, start_idx, end_idx, shape}, e.g.
 * {@code sequential/conv2d/kernel:0, 0, 144, "(3, 3, 1, 16)"}), checked to describe one
 * network and turned into a gather from a TensorFlow-ordered row to nfn4j's canonical
 * one-network layout. As nfn does, kernels and biases pair up in order of appearance;
 * TensorFlow conv kernels {@code (kh, kw, in, out)} become PyTorch {@code (out, in, kh, kw)},
 * dense kernels {@code (in, out)} become {@code (out, in)}, biases stay as they are.
 */
public final class TfLayout {
    /** One row of layout.csv. {@code row} is its 0-based data row, as pandas numbers it. */
    public record Tensor(String varname, long row, int start, int end, int[] shape) {
        /** Copies the shape. */
        public Tensor {
            shape = shape.clone();
        }

        /** The tensor's shape (a copy). */
        @Override
        public int[] shape() {
            return shape.clone();
        }

        boolean isKernel() {
            return varname.endsWith("kernel:0");
        }

        /** The variable's scope, shared by a layer's kernel and bias ("sequential/conv2d/"). */
        String scope() {
            return varname.substring(0, varname.length() - (isKernel() ? "kernel:0" : "bias:0").length());
        }

        String describe() {
            return "row " + row + " ('" + varname + "', shape " + tuple(shape) + ")";
        }
    }

    private final Path file;
    private final List<Tensor> tensors; // in file order
    private final NetworkSpec spec;
    private final int[] gather;         // canonical index -> column of the TensorFlow row

    private TfLayout(Path file, List<Tensor> tensors, NetworkSpec spec, int[] gather) {
        this.file = file;
        this.tensors = List.copyOf(tensors);
        this.spec = spec;
        this.gather = gather;
    }

    /**
     * Reads and checks {@code layout.csv} for rows of {@code columns} floats: every varname a
     * kernel ("...kernel:0") or a bias ("...bias:0"); as many kernels as biases, the i-th of each
     * in the same scope; kernel shapes of 4 (conv) or 2 (dense) dims, bias shape (out,); each
     * layer's inputs the previous layer's outputs; {@code end - start} the shape's size; and the
     * ranges tiling [0, columns) without gap or overlap. Errors name the file, row and shape.
     */
    public static TfLayout read(Path file, long columns) throws IOException {
        if (columns < 1 || columns > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("a weights row of " + columns + " floats");
        List<Tensor> tensors = new ArrayList<>();
        int[] cols = new int[4];
        CsvTable.read(file, header -> {
            String[] names = {"varname", "start_idx", "end_idx", "shape"};
            for (int i = 0; i < names.length; i++) cols[i] = CsvTable.column(file, header, names[i]);
        }, row -> {
            String name = row.get(cols[0], "varname").strip();
            long start = index(row, cols[1], "start_idx"), end = index(row, cols[2], "end_idx");
            int[] shape = parseShape(file, row.row(), row.get(cols[3], "shape"));
            if (!name.endsWith("kernel:0") && !name.endsWith("bias:0"))
                throw new NfnFormatException(file, "row " + row.row() + ": varname '" + name + "' is neither a kernel (...kernel:0) nor a bias (...bias:0)");
            if (start < 0 || end <= start || end > columns)
                throw new NfnFormatException(file, "row " + row.row() + " ('" + name + "'): columns [" + start + ", " + end
                        + ") are not a non-empty range within the " + columns + " columns of a weights row");
            long numel = 1;
            for (int d : shape) {
                if (numel > columns) break; // already too many; stopping here keeps the product from overflowing
                numel *= d;
            }
            if (numel != end - start)
                throw new NfnFormatException(file, "row " + row.row() + " ('" + name + "'): shape " + tuple(shape) + " has "
                        + (numel > columns ? "more than " + columns : String.valueOf(numel)) + " elements but columns [" + start + ", " + end + ") hold " + (end - start));
            // Non-empty ranges that tile the row: at most one tensor per column, so a hostile
            // file cannot make the list outgrow the weights it describes.
            if (tensors.size() >= columns)
                throw new NfnFormatException(file, "row " + row.row() + ": more tensors than the " + columns + " columns of a weights row");
            tensors.add(new Tensor(name, row.row(), (int) start, (int) end, shape));
        });
        if (tensors.isEmpty()) throw new NfnFormatException(file, "no tensors listed");
        List<Tensor> kernels = tensors.stream().filter(Tensor::isKernel).toList();
        List<Tensor> biases = tensors.stream().filter(t -> !t.isKernel()).toList();
        if (kernels.size() != biases.size())
            throw new NfnFormatException(file, kernels.size() + " kernels but " + biases.size() + " biases: every layer needs one of each");
        NetworkSpec spec = spec(file, kernels, biases);
        checkTiling(file, tensors, columns);
        return new TfLayout(file, tensors, spec, gather(spec, kernels, biases));
    }

    /** The architecture, in PyTorch terms. */
    public NetworkSpec spec() {
        return spec;
    }

    /** The rows of layout.csv, in file order. */
    public List<Tensor> tensors() {
        return tensors;
    }

    /** The layout file read. */
    public Path file() {
        return file;
    }

    /** Floats in one weights row (and in one canonical network). */
    public int columns() {
        return gather.length;
    }

    /**
     * Rewrites one TensorFlow-ordered row {@code src[srcOff .. srcOff + columns)} into the
     * canonical one-network layout at {@code dst[dstOff ..]} (as {@code WsLayout(spec, 1, 1)}).
     * {@code src} and {@code dst} must not overlap.
     */
    public void toCanonical(float[] src, int srcOff, float[] dst, int dstOff) {
        for (int q = 0; q < gather.length; q++) dst[dstOff + q] = src[srcOff + gather[q]];
    }

    /** The tensor holding column {@code column} of a row (to name it in errors). */
    public Tensor tensorAt(int column) {
        for (Tensor t : tensors) if (column >= t.start() && column < t.end()) return t;
        throw new IndexOutOfBoundsException("column " + column + " of " + gather.length);
    }

    private static NetworkSpec spec(Path file, List<Tensor> kernels, List<Tensor> biases) throws NfnFormatException {
        int L = kernels.size();
        int[] sizes = new int[L + 1];
        int[][] filters = new int[L][];
        for (int i = 0; i < L; i++) {
            Tensor k = kernels.get(i), b = biases.get(i);
            int[] ks = k.shape(), bs = b.shape();
            if (!k.scope().equals(b.scope()))
                throw new NfnFormatException(file, "layer " + i + ": kernel " + k.describe() + " and bias " + b.describe()
                        + " are in different scopes; kernels and biases pair up in order of appearance");
            if (ks.length != 4 && ks.length != 2)
                throw new NfnFormatException(file, "layer " + i + ": kernel " + k.describe()
                        + " must be (kh, kw, in, out) for a conv layer or (in, out) for a dense layer");
            int in = ks[ks.length - 2], out = ks[ks.length - 1];
            if (bs.length != 1 || bs[0] != out)
                throw new NfnFormatException(file, "layer " + i + ": bias " + b.describe() + " does not match kernel "
                        + k.describe() + " (expected (" + out + ",))");
            if (i > 0 && in != sizes[i])
                throw new NfnFormatException(file, "layer " + i + ": kernel " + k.describe() + " takes " + in
                        + " inputs but layer " + (i - 1) + "'s kernel " + kernels.get(i - 1).describe() + " has " + sizes[i] + " outputs");
            if (i == 0) sizes[0] = in;
            sizes[i + 1] = out;
            filters[i] = ks.length == 4 ? new int[]{ks[0], ks[1]} : null;
        }
        return new NetworkSpec(sizes, filters);
    }

    /** canonical[q] = tfRow[gather[q]]: TF (kh, kw, in, out) / (in, out) to canonical [s][out][in]. */
    private static int[] gather(NetworkSpec spec, List<Tensor> kernels, List<Tensor> biases) {
        WsLayout one = new WsLayout(spec, 1, 1);
        int[] g = new int[Math.toIntExact(one.size())];
        for (int l = 0; l < spec.numLayers(); l++) {
            int out = spec.rows(l), in = spec.cols(l), f = spec.filterSize(l);
            int wo = (int) one.wOffset(l), ks = kernels.get(l).start();
            // TF flattens (kh, kw, in, out) row-major: column = ((s * in + i) * out + o), s = y * kw + x;
            // a dense (in, out) kernel is the same with f = 1.
            for (int s = 0; s < f; s++)
                for (int o = 0; o < out; o++)
                    for (int i = 0; i < in; i++)
                        g[wo + (s * out + o) * in + i] = ks + (s * in + i) * out + o;
            int bo = (int) one.bOffset(l), bs = biases.get(l).start();
            for (int o = 0; o < out; o++) g[bo + o] = bs + o;
        }
        return g;
    }

    private static void checkTiling(Path file, List<Tensor> tensors, long columns) throws NfnFormatException {
        List<Tensor> byStart = new ArrayList<>(tensors);
        byStart.sort(Comparator.comparingInt(Tensor::start));
        long next = 0;
        for (int i = 0; i < byStart.size(); i++) {
            Tensor t = byStart.get(i);
            if (t.start() < next)
                throw new NfnFormatException(file, t.describe() + " at columns [" + t.start() + ", " + t.end() + ") overlaps "
                        + byStart.get(i - 1).describe() + " at [" + byStart.get(i - 1).start() + ", " + byStart.get(i - 1).end() + ")");
            if (t.start() > next)
                throw new NfnFormatException(file, "columns [" + next + ", " + t.start() + ") of the weights rows belong to no tensor");
            next = t.end();
        }
        if (next != columns)
            throw new NfnFormatException(file, "columns [" + next + ", " + columns + ") of the weights rows belong to no tensor");
    }

    private static long index(CsvTable.Row row, int column, String name) throws NfnFormatException {
        String s = row.get(column, name).strip();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new NfnFormatException(row.file(), "row " + row.row() + ": " + name + " '" + s + "' is not an integer");
        }
    }

    /** A Python tuple of positive ints as pandas wrote it: "(3, 3, 1, 16)", "(16,)"; a list "[3, 3]" is accepted too. */
    static int[] parseShape(Path file, long row, String text) throws NfnFormatException {
        String s = text.strip();
        boolean tuple = s.startsWith("(") && s.endsWith(")"), list = s.startsWith("[") && s.endsWith("]");
        if (!tuple && !list) throw new NfnFormatException(file, "row " + row + ": shape '" + text + "' is not a tuple such as (3, 3, 1, 16)");
        String inner = s.substring(1, s.length() - 1).strip();
        if (inner.endsWith(",")) inner = inner.substring(0, inner.length() - 1);
        if (inner.isBlank()) throw new NfnFormatException(file, "row " + row + ": shape '" + text + "' has no dimensions");
        String[] parts = inner.split(",", -1);
        if (tuple && parts.length == 1 && !s.replace(" ", "").endsWith(",)"))
            throw new NfnFormatException(file, "row " + row + ": shape '" + text + "' is not a tuple; a 1-element shape is written (" + inner + ",)");
        int[] dims = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                dims[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                dims[i] = -1;
            }
            if (dims[i] < 1) throw new NfnFormatException(file, "row " + row + ": shape '" + text + "' must list positive integers");
        }
        return dims;
    }

    /** A shape as a Python tuple, the way the layout file writes it: "(3, 3, 1, 16)", "(16,)". */
    public static String tuple(int[] dims) {
        if (dims.length == 1) return "(" + dims[0] + ",)";
        String a = Arrays.toString(dims);
        return "(" + a.substring(1, a.length() - 1) + ")";
    }

    @Override
    public String toString() {
        return "TfLayout[" + file + ": " + tensors.size() + " tensors, " + spec + "]";
    }
}
