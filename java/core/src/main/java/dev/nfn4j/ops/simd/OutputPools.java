package dev.nfn4j.ops.simd;

import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.Parallel;
import dev.nfn4j.ops.PlanePools;
import jdk.incubator.vector.FloatVector;

import java.util.Arrays;

import static dev.nfn4j.ops.simd.Lanes.S;
import static dev.nfn4j.ops.simd.Lanes.V;
import static dev.nfn4j.ops.simd.Lanes.addRowSegment;
import static dev.nfn4j.ops.simd.Lanes.arr;
import static dev.nfn4j.ops.simd.Lanes.off;
import static dev.nfn4j.ops.simd.Lanes.sumLanes;

/**
 * The plane means of a mix's output y {@code [B][cout][rows][cols]}, summed as the GEMM writes
 * it. The plane's positions are cut into stripes of {@code span} (whole tiles); the task
 * writing stripe st of sample b adds each block of rows it has stored into that stripe's partial sums:
 * per plane, the column sums over the stripe's rows {@code [cols]}, the sums of the row
 * segments in the stripe {@code [rows it touches]}, and the total. {@link #finish} adds the
 * stripes in order and scales. (Partials per tile instead of per stripe would make the column
 * sums of a 1024 x 1024 plane as large as y.)
 */
final class OutputPools {
    private final Parallel par;
    private final Scratch scratch;
    private final int B, cout, rows, cols, plane, yo, ro, co, ao;
    private final float[] Y, R, C, A;
    private int stripes, span, colRows;
    private float[] rowPart, colPart, allPart;

    OutputPools(Parallel par, Scratch scratch, MixShape s, float[] Y, int yo, PlanePools out) {
        this.par = par;
        this.scratch = scratch;
        this.B = s.batch();
        this.cout = s.cout();
        this.rows = s.rows();
        this.cols = s.cols();
        this.plane = Math.toIntExact(s.plane());
        this.Y = Y;
        this.yo = yo;
        R = out.rowMean() == null ? null : arr(out.rowMean());
        C = out.colMean() == null ? null : arr(out.colMean());
        A = out.allMean() == null ? null : arr(out.allMean());
        ro = R == null ? 0 : off(out.rowMean());
        co = C == null ? 0 : off(out.colMean());
        ao = A == null ? 0 : off(out.allMean());
    }

    /** Sizes the partial sums (the calling thread's buffers, grown, never shrunk) for stripes of span positions. */
    void begin(int stripes, int span) {
        this.stripes = stripes;
        this.span = span;
        colRows = Math.min(rows, (span - 1) / cols + 2);
        int parts = B * stripes * cout;
        rowPart = scratch.get(Scratch.POOL_ROW_SLOT, parts * cols);
        colPart = scratch.get(Scratch.POOL_COL_SLOT, parts * colRows);
        allPart = scratch.get(Scratch.POOL_ALL_SLOT, parts);
    }

    /** Zeroes stripe st of sample b's partial sums (the task's own). */
    void clear(int b, int st) {
        int p = (b * stripes + st) * cout;
        Arrays.fill(rowPart, p * cols, (p + cout) * cols, 0f);
        Arrays.fill(colPart, p * colRows, (p + cout) * colRows, 0f);
        Arrays.fill(allPart, p, p + cout, 0f);
    }

    /** Adds positions [p0, p1) of output planes o0..o0+n-1 of sample b, just written, to stripe st's partial sums. */
    void take(int b, int st, int p0, int p1, int o0, int n) {
        int jFirst = st * span / cols;
        for (int o = o0; o < o0 + n; o++) {
            int yb = yo + (b * cout + o) * plane, part = (b * stripes + st) * cout + o;
            float all = 0f;
            for (int pos = p0; pos < p1; ) {
                int j = pos / cols, k = pos - j * cols;
                if (k == 0 && pos + 4 * cols <= p1 && cols >= V) { // four whole rows: summed down in registers
                    all += addFourRows(Y, yb + pos, cols, rowPart, part * cols, colPart, part * colRows + j - jFirst);
                    pos += 4 * cols;
                    continue;
                }
                int seg = Math.min(p1 - pos, cols - k); // one row, or the part of it in [p0, p1)
                float sum = addRowSegment(Y, yb + pos, rowPart, part * cols + k, seg);
                colPart[part * colRows + j - jFirst] += sum;
                all += sum;
                pos += seg;
            }
            allPart[part] += all;
        }
    }

    /**
     * Rows r, r+n, r+2n, r+3n of src, {@code n >= V} floats each: their sum down the rows added
     * to {@code acc[accOff, accOff+n)} with one load and store of acc per vector (row by row,
     * acc's read-modify-write made pooling cost as much as the pass it saves), each row's sum
     * added to {@code sums[so + q]}; returns the four rows' total.
     */
    private static float addFourRows(float[] src, int r, int n, float[] acc, int accOff, float[] sums, int so) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
        int k = 0, r1 = r + n, r2 = r1 + n, r3 = r2 + n;
        for (int kb = S.loopBound(n); k < kb; k += V) {
            FloatVector v0 = FloatVector.fromArray(S, src, r + k), v1 = FloatVector.fromArray(S, src, r1 + k);
            FloatVector v2 = FloatVector.fromArray(S, src, r2 + k), v3 = FloatVector.fromArray(S, src, r3 + k);
            c0 = c0.add(v0);
            c1 = c1.add(v1);
            c2 = c2.add(v2);
            c3 = c3.add(v3);
            FloatVector.fromArray(S, acc, accOff + k).add(v0.add(v1).add(v2.add(v3))).intoArray(acc, accOff + k);
        }
        float s0 = sumLanes(c0), s1 = sumLanes(c1), s2 = sumLanes(c2), s3 = sumLanes(c3);
        for (; k < n; k++) {
            s0 += src[r + k];
            s1 += src[r1 + k];
            s2 += src[r2 + k];
            s3 += src[r3 + k];
            acc[accOff + k] += (src[r + k] + src[r1 + k]) + (src[r2 + k] + src[r3 + k]);
        }
        sums[so] += s0;
        sums[so + 1] += s1;
        sums[so + 2] += s2;
        sums[so + 3] += s3;
        return ((s0 + s1) + s2) + s3;
    }

    /** The means: each plane's stripes added in order, then scaled as {@link SimdOps#planeReduce} scales. */
    void finish() {
        float sr = 1f / rows, sc = 1f / cols, sa = (float) (1.0 / plane);
        par.forEach(B * cout, (long) B * cout * (rows + cols) * stripes, q -> {
            int b = q / cout, o = q - b * cout;
            if (R != null) {
                int r = ro + q * cols;
                Arrays.fill(R, r, r + cols, 0f);
                for (int st = 0; st < stripes; st++) addRowSegment(rowPart, ((b * stripes + st) * cout + o) * cols, R, r, cols);
                for (int k = 0; k < cols; k++) R[r + k] *= sr;
            }
            if (C != null) {
                int c = co + q * rows;
                Arrays.fill(C, c, c + rows, 0f);
                for (int st = 0; st < stripes; st++) {
                    int jFirst = st * span / cols, jLast = (Math.min(plane, (st + 1) * span) - 1) / cols;
                    int part = ((b * stripes + st) * cout + o) * colRows;
                    for (int j = jFirst; j <= jLast; j++) C[c + j] += colPart[part + j - jFirst];
                }
                for (int j = 0; j < rows; j++) C[c + j] *= sc;
            }
            if (A != null) {
                float all = 0f;
                for (int st = 0; st < stripes; st++) all += allPart[(b * stripes + st) * cout + o];
                A[ao + q] = all * sa;
            }
        });
    }
}
