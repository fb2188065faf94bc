package dev.nfn4j.zoo;

import dev.nfn4j.io.DType;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.TensorSource;
import dev.nfn4j.ops.SirenShape;
import dev.nfn4j.space.NetworkSpec;

import java.util.Arrays;
import java.util.List;

/**
 * The image SIRENs of nfn's experiments ({@code experiments/siren_utils.py}): 2 -> 32 -> 32 -> 1,
 * omega 30 on both sine layers, a linear last layer; their coordinate grid, initialisation, image
 * targets and reconstruction PSNR, and nfn's state_dict names.
 *
 * <p>One SIREN's parameters, flattened, are its state_dict's tensors in order
 * ({@link #STATE_DICT_NAMES}), row-major: W0 [32][2], b0 [32], W1 [32][32], b1 [32], W2 [1][32],
 * b2 [1], 1,185 floats. That is also the one-sample form of the canonical weight-space layout, so
 * a batch of them becomes the SIREN op's input with {@code WsLayout.gather}.
 */
public final class Sirens {
    /** Input, hidden and output widths. */
    public static final int IN = 2, HIDDEN = 32, OUT = 1;
    /** The frequency of both sine layers. */
    public static final float OMEGA = 30f;
    /** nfn's parameter names, in state_dict order. */
    public static final List<String> STATE_DICT_NAMES = List.of("net.0.linear.weight", "net.0.linear.bias", "net.1.linear.weight",
            "net.1.linear.bias", "net.2.weight", "net.2.bias");
    /** The network the SIRENs are, for the NF-Layers. */
    public static final NetworkSpec SPEC = new NetworkSpec(new int[]{IN, HIDDEN, HIDDEN, OUT}, new int[3][]);
    /** Parameters of one SIREN. */
    public static final int PARAMS = SirenShape.nfn(1, 1, OUT).perSiren();

    private Sirens() {
    }

    /** The op's shape for a batch of these SIRENs on a rows x cols image. */
    public static SirenShape shape(int batch, int rows, int cols) {
        return SirenShape.nfn(batch, rows * cols, OUT);
    }

    /**
     * nfn's {@code get_mgrid}: coordinates {@code [rows * cols][2]}, point {@code r * cols + c} at
     * (linspace(-1, 1, rows)[r], linspace(-1, 1, cols)[c]) (meshgrid with 'ij' indexing).
     */
    public static float[] grid(int rows, int cols) {
        float[] g = new float[rows * cols * 2];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                g[2 * (r * cols + c)] = linspace(r, rows);
                g[2 * (r * cols + c) + 1] = linspace(c, cols);
            }
        return g;
    }

    private static float linspace(int i, int n) {
        return n == 1 ? -1f : (float) (-1.0 + 2.0 * i / (n - 1));
    }

    /** Image i's pixels scaled to [-1, 1] ({@code (x / 255 - 0.5) / 0.5}, torchvision's Normalize(0.5, 0.5)), row-major. */
    public static void target(ImageData d, int i, float[] out, int at) {
        for (int q = 0; q < d.pixels(); q++) out[at + q] = pixel(d.images()[i * d.pixels() + q] & 0xff);
    }

    /** One 8-bit grey level (0-255) scaled to [-1, 1] as the SIRENs' targets are. */
    public static float pixel(int grey) {
        return (float) ((grey / 255.0 - 0.5) / 0.5);
    }

    /**
     * A freshly initialised SIREN (flattened, as above) as nfn's {@code Siren} draws it: first
     * layer weights U(-1/in, 1/in), the others U(-sqrt(6/fan_in)/omega, +), biases PyTorch's
     * default U(-1/sqrt(fan_in), +); from {@code seed} alone.
     */
    public static float[] init(long seed) {
        ZooRandom r = new ZooRandom(seed);
        float[] p = new float[PARAMS];
        int at = 0;
        at = uniform(r, p, at, HIDDEN * IN, 1.0 / IN);
        at = uniform(r, p, at, HIDDEN, 1 / StrictMath.sqrt(IN));
        double hidden = StrictMath.sqrt(6.0 / HIDDEN) / OMEGA;
        at = uniform(r, p, at, HIDDEN * HIDDEN, hidden);
        at = uniform(r, p, at, HIDDEN, 1 / StrictMath.sqrt(HIDDEN));
        at = uniform(r, p, at, OUT * HIDDEN, hidden);
        uniform(r, p, at, OUT, 1 / StrictMath.sqrt(HIDDEN));
        return p;
    }

    private static int uniform(ZooRandom r, float[] p, int at, int n, double bound) {
        for (int i = 0; i < n; i++) p[at + i] = (float) r.uniform(-bound, bound);
        return at + n;
    }

    /** PSNR in dB of a mean squared error on [-1, 1] images (peak-to-peak 2): {@code 10 log10(4 / mse)}. */
    public static double psnr(double mse) {
        return 10 * Math.log10(4 / mse);
    }

    /**
     * One SIREN from a PyTorch state_dict with nfn's names ({@link #STATE_DICT_NAMES}, keys
     * optionally after {@code prefix}), flattened as above. Any missing tensor or any shape other
     * than this SIREN's is refused with the name, the expected and the found shape.
     */
    public static float[] fromStateDict(TensorSource sd, String prefix) throws NfnFormatException {
        int[][] shapes = {{HIDDEN, IN}, {HIDDEN}, {HIDDEN, HIDDEN}, {HIDDEN}, {OUT, HIDDEN}, {OUT}};
        float[] p = new float[PARAMS];
        int at = 0;
        for (int t = 0; t < shapes.length; t++) {
            String name = prefix + STATE_DICT_NAMES.get(t);
            if (!sd.has(name))
                throw new NfnFormatException(sd.path(), name, "missing: a SIREN 2-32-32-1 state_dict has " + STATE_DICT_NAMES + " (nfn's names)");
            HostTensor h = sd.get(name);
            if (!Arrays.equals(h.shape(), shapes[t]))
                throw new NfnFormatException(sd.path(), name, "shape " + h.shapeString() + ", expected " + Arrays.toString(shapes[t])
                        + " (a SIREN 2-32-32-1)");
            if (h.dtype() == DType.I32 || h.dtype() == DType.I64)
                throw new NfnFormatException(sd.path(), name, "holds integers (" + h.dtype() + "), expected floats");
            float[] v = h.toFloats();
            System.arraycopy(v, 0, p, at, v.length);
            at += v.length;
        }
        return p;
    }
}
