package dev.nfn4j.ops.simd;

import dev.nfn4j.ops.Parallel;
import jdk.incubator.vector.FloatVector;

import static dev.nfn4j.ops.simd.Lanes.S;
import static dev.nfn4j.ops.simd.Lanes.V;

/**
 * The input gradient of a Linear layer (a channel mix on one-position planes):
 * {@code dx[b][c] (+)= sum_o dy[b][o] a[o][c]}, dy {@code [B][cout]}, a {@code [cout][cin]}, dx
 * {@code [B][cin]}. The batch is small (the zoo's 8) and a large (the head's 1000 x 1000), so a is
 * streamed once in its own layout: tasks over blocks of 2V input positions, and per block four
 * samples x two vectors in eight accumulators, over o in order. The tiled GEMM this replaces
 * packed a into panels first, and with only two blocks of four samples to share it, packing cost
 * as much as the products. Each lane sums over o in order from zero and is then added to dx
 * when accumulating, as the tiled GEMM does, so the bits are the same.
 */
final class LinearInputGrad {
    private LinearInputGrad() {}

    static void run(Parallel par, int B, int cin, int cout, float[] A, int ao, float[] DY, int dyo, float[] DX, int dxo, boolean accumulate) {
        int blocks = (cin + 2 * V - 1) / (2 * V);
        par.forEach(blocks, (long) B * cin * cout, t -> {
            int c0 = t * 2 * V, c1 = Math.min(cin, c0 + 2 * V);
            int b = 0;
            for (; b + 4 <= B; b += 4) fourSamples(b, c0, c1, cin, cout, A, ao, DY, dyo, DX, dxo, accumulate);
            for (; b < B; b++) oneSample(b, c0, c1, cin, cout, A, ao, DY, dyo, DX, dxo, accumulate);
        });
    }

    /** Samples b..b+3 over positions [c0, c1): two vectors when the block is whole, else one sample at a time. */
    private static void fourSamples(int b, int c0, int c1, int cin, int cout, float[] A, int ao, float[] DY, int dyo, float[] DX, int dxo,
                                    boolean accumulate) {
        if (c1 - c0 < 2 * V) {
            for (int q = 0; q < 4; q++) oneSample(b + q, c0, c1, cin, cout, A, ao, DY, dyo, DX, dxo, accumulate);
            return;
        }
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        int w0 = dyo + b * cout, w1 = w0 + cout, w2 = w1 + cout, w3 = w2 + cout;
        for (int o = 0, ai = ao + c0; o < cout; o++, ai += cin) {
            FloatVector x0 = FloatVector.fromArray(S, A, ai), x1 = FloatVector.fromArray(S, A, ai + V);
            FloatVector d0 = FloatVector.broadcast(S, DY[w0 + o]), d1 = FloatVector.broadcast(S, DY[w1 + o]);
            FloatVector d2 = FloatVector.broadcast(S, DY[w2 + o]), d3 = FloatVector.broadcast(S, DY[w3 + o]);
            s00 = x0.fma(d0, s00);
            s01 = x1.fma(d0, s01);
            s10 = x0.fma(d1, s10);
            s11 = x1.fma(d1, s11);
            s20 = x0.fma(d2, s20);
            s21 = x1.fma(d2, s21);
            s30 = x0.fma(d3, s30);
            s31 = x1.fma(d3, s31);
        }
        int y = dxo + b * cin + c0;
        store(s00, DX, y, accumulate);
        store(s01, DX, y + V, accumulate);
        store(s10, DX, y + cin, accumulate);
        store(s11, DX, y + cin + V, accumulate);
        store(s20, DX, y + 2 * cin, accumulate);
        store(s21, DX, y + 2 * cin + V, accumulate);
        store(s30, DX, y + 3 * cin, accumulate);
        store(s31, DX, y + 3 * cin + V, accumulate);
    }

    /** One sample over positions [c0, c1): vectors, then scalars, each over o in order. */
    private static void oneSample(int b, int c0, int c1, int cin, int cout, float[] A, int ao, float[] DY, int dyo, float[] DX, int dxo,
                                  boolean accumulate) {
        int w = dyo + b * cout, y = dxo + b * cin, c = c0;
        for (; c + V <= c1; c += V) {
            FloatVector s = FloatVector.zero(S);
            for (int o = 0, ai = ao + c; o < cout; o++, ai += cin) s = FloatVector.fromArray(S, A, ai).fma(FloatVector.broadcast(S, DY[w + o]), s);
            store(s, DX, y + c, accumulate);
        }
        for (; c < c1; c++) {
            float s = 0;
            for (int o = 0, ai = ao + c; o < cout; o++, ai += cin) s = Math.fma(A[ai], DY[w + o], s);
            DX[y + c] = accumulate ? DX[y + c] + s : s;
        }
    }

    private static void store(FloatVector v, float[] out, int at, boolean accumulate) {
        if (accumulate) v = v.add(FloatVector.fromArray(S, out, at));
        v.intoArray(out, at);
    }
}
