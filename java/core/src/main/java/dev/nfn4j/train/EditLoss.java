package dev.nfn4j.train;

import dev.nfn4j.ops.Buf;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.SirenShape;
import dev.nfn4j.zoo.Sirens;

/**
 * The loss of INR editing on the backend: SIRENs W and a delta of the same layout (the SIREN op's
 * weight layout, batch B), the edited SIRENs {@code W + delta} rendered on the rows x cols grid,
 * and the mean over the batch of each SIREN's pixel MSE against its target:
 * <pre>
 * loss = (1/B) sum_b mean_p (siren(W_b + delta_b)(x_p) - target[b][p])^2
 * </pre>
 * Its gradient with respect to the delta is the SIREN op's gradient with respect to the weights
 * ({@link Ops#sirenBackward}) at the edited weights, times 1/B. Buffers are kept between calls of
 * the same batch size.
 */
public final class EditLoss {
    private final Ops ops;
    private final int rows, cols;
    private final Ptr grid;
    private int batch;
    private Ptr edited, out, loss, invBatch;

    /** The rendering loss of edited SIRENs on a {@code rows x cols} image grid. */
    public EditLoss(Ops ops, int rows, int cols) {
        this.ops = ops;
        this.rows = rows;
        this.cols = cols;
        float[] g = Sirens.grid(rows, cols);
        this.grid = ops.alloc(g.length).at(0);
        ops.upload(g, 0, grid, g.length);
    }

    /** The op's shape for a batch of B SIRENs on this grid. */
    public SirenShape shape(int B) {
        return Sirens.shape(B, rows, cols);
    }

    /**
     * The per-SIREN MSEs {@code [B]} of the edited SIRENs against {@code target} {@code [B][rows cols]};
     * when {@code dDelta} is given, also the mean loss's gradient with respect to delta, overwritten
     * there. A null delta means no edit.
     */
    public double[] compute(int B, Ptr weights, Ptr delta, Ptr target, Ptr dDelta) {
        SirenShape s = shape(B);
        Ptr w = edit(s, weights, delta);
        if (dDelta == null) return mse(s, w, target);
        ops.sirenBackward(s, w, grid, null, target, dDelta, loss);
        ops.planeScale(1, Math.toIntExact(s.size()), dDelta, invBatch, dDelta); // d mean_b L_b = (1/B) dL_b
        float[] l = new float[B];
        ops.download(loss, l, 0, B);
        double[] r = new double[B];
        for (int b = 0; b < B; b++) r[b] = l[b];
        return r;
    }

    /** The edited SIRENs' pixels {@code [B][rows cols]} (no edit for a null delta). */
    public float[] render(int B, Ptr weights, Ptr delta) {
        SirenShape s = shape(B);
        ops.siren(s, edit(s, weights, delta), grid, out);
        float[] y = new float[Math.toIntExact(s.outSize())];
        ops.download(out, y, 0, y.length);
        return y;
    }

    /** Per-SIREN MSE of the rendering, summed in double on the host. */
    private double[] mse(SirenShape s, Ptr w, Ptr target) {
        int B = s.batch(), P = s.points();
        ops.siren(s, w, grid, out);
        float[] y = new float[B * P], t = new float[B * P];
        ops.download(out, y, 0, y.length);
        ops.download(target, t, 0, t.length);
        double[] r = new double[B];
        for (int b = 0; b < B; b++) {
            double sum = 0;
            for (int p = 0; p < P; p++) {
                double d = y[b * P + p] - t[b * P + p];
                sum += d * d;
            }
            r[b] = sum / P;
        }
        return r;
    }

    /** {@code W + delta} in this loss's buffer, or W itself without a delta. */
    private Ptr edit(SirenShape s, Ptr weights, Ptr delta) {
        ensure(s);
        if (delta == null) return weights;
        int n = Math.toIntExact(s.size());
        int[] dims = {1, 1, 1, n};
        long[] strides = {0, 0, 0, 1};
        ops.copy4d(dims, weights, strides, edited, strides, false);
        ops.copy4d(dims, delta, strides, edited, strides, true);
        return edited;
    }

    private void ensure(SirenShape s) {
        if (s.batch() == batch) return;
        batch = s.batch();
        edited = ops.alloc(s.size()).at(0);
        out = ops.alloc(s.outSize()).at(0);
        loss = ops.alloc(batch).at(0);
        Buf inv = ops.alloc(1);
        ops.fill(inv.at(0), 1, 1f / batch);
        invBatch = inv.at(0);
    }
}
