package dev.nfn4j.nn;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;

/**
 * nfn's IOSinusoidalEncoding: appends {@code d = 2 numBands + 1} channels of fixed sinusoidal
 * position codes to every tensor, so later layers can tell the network's input and output neurons
 * (and its layers) apart. With {@code enc(x) = [sin(pi s_b x) for b], [cos(pi s_b x) for b], x} and
 * {@code s = linspace(1, maxFreq / 2, numBands)}, tensor i gets {@code enc(linspace(-1, 1, L)[i])}
 * (zeros without {@code encLayers}), plus on W_0 the code of its input column
 * {@code enc(linspace(-1, 1, n_in)[k])}, and on W_{L-1} and b_{L-1} the code of the output row
 * {@code enc(linspace(-1, 1, n_out)[j])}. Conv filter positions share their entry's code. (nfn adds
 * the input code again on a conv last layer, which cannot broadcast there: the output code is
 * meant.) No parameters; the input channels pass through first, so the backward keeps their part
 * of the gradient.
 */
public final class IOSinusoidalEncoding implements Layer {
    private final Ops ops;
    private final NetworkSpec spec;
    private final int cin, d;
    /** One sample's code channels: per layer, W_i's {@code [d f_i][n_i][n_{i-1}]} then b_i's {@code [d][n_i]} (as a 1-sample layout of d channels). */
    private final Ptr codes;
    private final WsLayout codeLayout;
    private final Workspace ws;
    private WeightSpace lastOut;
    private WsLayout lastIn;

    /** Appends {@code 2 numBands + 1} code channels to {@code cin}; {@code encLayers} also codes each tensor's layer. */
    public IOSinusoidalEncoding(Ops ops, NetworkSpec spec, int cin, double maxFreq, int numBands, boolean encLayers) {
        if (cin < 1 || numBands < 1) throw new IllegalArgumentException("IOSinusoidalEncoding needs channels >= 1 and num_bands >= 1");
        this.ops = ops;
        this.spec = spec;
        this.cin = cin;
        this.d = 2 * numBands + 1;
        this.ws = new Workspace(ops);
        int L = spec.numLayers();
        double[][] layerCode = new double[L][], inCode = new double[spec.nIn()][], outCode = new double[spec.nOut()][];
        for (int i = 0; i < L; i++) layerCode[i] = encLayers ? encode(linspace(L, i), maxFreq, numBands) : new double[d];
        for (int k = 0; k < spec.nIn(); k++) inCode[k] = encode(linspace(spec.nIn(), k), maxFreq, numBands);
        for (int j = 0; j < spec.nOut(); j++) outCode[j] = encode(linspace(spec.nOut(), j), maxFreq, numBands);
        codeLayout = new WsLayout(spec, 1, d);
        float[] host = new float[Math.toIntExact(codeLayout.size())];
        for (int i = 0; i < L; i++) {
            int f = spec.filterSize(i), rows = spec.rows(i), cols = spec.cols(i);
            int wOff = (int) codeLayout.wOffset(i), bOff = (int) codeLayout.bOffset(i);
            for (int e = 0; e < d; e++) {
                for (int j = 0; j < rows; j++) {
                    for (int k = 0; k < cols; k++) {
                        double v = layerCode[i][e] + (i == 0 ? inCode[k][e] : 0) + (i == L - 1 ? outCode[j][e] : 0);
                        for (int s = 0; s < f; s++) host[wOff + ((e * f + s) * rows + j) * cols + k] = (float) v;
                    }
                    host[bOff + e * rows + j] = (float) (layerCode[i][e] + (i == L - 1 ? outCode[j][e] : 0));
                }
            }
        }
        codes = ops.alloc(host.length).at(0);
        ops.upload(host, 0, codes, host.length);
    }

    /** torch.linspace(-1, 1, steps)[i]. */
    private static double linspace(int steps, int i) {
        return steps == 1 ? -1 : -1 + 2.0 * i / (steps - 1);
    }

    /** nfn's fourier_encode of one value: sines of every band, cosines of every band, the value. */
    private static double[] encode(double x, double maxFreq, int bands) {
        double[] e = new double[2 * bands + 1];
        for (int b = 0; b < bands; b++) {
            double scale = bands == 1 ? 1 : 1 + (maxFreq / 2 - 1) * b / (bands - 1);
            e[b] = Math.sin(x * scale * Math.PI);
            e[bands + b] = Math.cos(x * scale * Math.PI);
        }
        e[2 * bands] = x;
        return e;
    }

    /** Output channels, {@code cin + 2 numBands + 1}. */
    public int outChannels() {
        return cin + d;
    }

    @Override
    public Value forward(Value in) {
        WeightSpace x = WeightSpaces.check(this, in, spec, cin);
        WsLayout out = x.layout().withChannels(cin + d);
        WeightSpace y = new WeightSpace(out, ws.get("out", out.size()));
        int B = x.batch();
        for (int i = 0; i < spec.numLayers(); i++) {
            long wIn = x.layout().wPerSample(i), wCode = codeLayout.wPerSample(i), bIn = x.layout().bPerSample(i), bCode = codeLayout.bPerSample(i);
            // per sample: the input's channels, then the codes (the same for every sample)
            copyRows(B, x.w(i), wIn, y.w(i), wIn + wCode, wIn, false);
            copyRows(B, codes.plus(codeLayout.wOffset(i)), 0, y.w(i).plus(wIn), wIn + wCode, wCode, false);
            copyRows(B, x.b(i), bIn, y.b(i), bIn + bCode, bIn, false);
            copyRows(B, codes.plus(codeLayout.bOffset(i)), 0, y.b(i).plus(bIn), bIn + bCode, bCode, false);
        }
        lastIn = x.layout();
        lastOut = y;
        return y;
    }

    /** For b < B: {@code dst[b * dstStride + q] = src[b * srcStride + q]} for q < n (srcStride 0 broadcasts). */
    private void copyRows(int B, Ptr src, long srcStride, Ptr dst, long dstStride, long n, boolean accumulate) {
        ops.copy4d(new int[]{1, 1, B, Math.toIntExact(n)}, src, new long[]{0, 0, srcStride, 1}, dst, new long[]{0, 0, dstStride, 1}, accumulate);
    }

    @Override
    public Value backward(Value gradOut) {
        WeightSpace g = WeightSpaces.checkGrad(this, gradOut, lastOut);
        WeightSpace dx = new WeightSpace(lastIn, ws.get("dx", lastIn.size()));
        for (int i = 0; i < spec.numLayers(); i++) {
            long wIn = lastIn.wPerSample(i), wOut = g.layout().wPerSample(i), bIn = lastIn.bPerSample(i), bOut = g.layout().bPerSample(i);
            copyRows(lastIn.batch(), g.w(i), wOut, dx.w(i), wIn, wIn, false);
            copyRows(lastIn.batch(), g.b(i), bOut, dx.b(i), bIn, bIn, false);
        }
        return dx;
    }

    @Override
    public String toString() {
        return "IOSinusoidalEncoding(" + cin + " -> " + (cin + d) + ")";
    }
}
