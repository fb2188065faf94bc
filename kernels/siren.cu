// SIRENs, each with its own weights, at shared coordinates: Ops.siren and Ops.sirenBackward.
//
// w: a weight-space batch in the canonical layout of the network [in, hidden, hidden, out]:
// W0 [B][hidden][in], b0 [B][hidden], W1 [B][hidden][hidden], b1 [B][hidden], W2 [B][out][hidden],
// b2 [B][out], one after another; coords [points][in]; out, dOut, target [B][points][out].
//   h0 = sin(omega0 (W0 x + b0))    h1 = sin(omega (W1 h0 + b1))    y = W2 h1 + b2
// One block per SIREN (grid-stride over the batch), its weights in shared memory, the points in
// tiles of SIREN_TILE whose activations live in shared memory, phases separated by barriers. The
// backward recomputes the forward tile by tile; every weight gradient entry belongs to one thread
// (at most SIREN_SLOTS per thread), which sums the tile's points in order, tile after tile: no
// atomics, a fixed order. Sizes: in <= SIREN_MAX_IN, hidden <= SIREN_MAX_HIDDEN, out <=
// SIREN_MAX_OUT (KernelPlans checks them).
#include "common.cuh"

#define SIREN_MAX_IN 4
#define SIREN_MAX_HIDDEN 32
#define SIREN_MAX_OUT 4
#define SIREN_TILE 64
#define SIREN_PAD (SIREN_MAX_HIDDEN + 1)
#define SIREN_MAX_PARAMS (SIREN_MAX_HIDDEN * (SIREN_MAX_IN + 1) + SIREN_MAX_HIDDEN * (SIREN_MAX_HIDDEN + 1) + SIREN_MAX_OUT * (SIREN_MAX_HIDDEN + 1))
#define SIREN_SLOTS ((SIREN_MAX_PARAMS + NFN_THREADS - 1) / NFN_THREADS)

// sin and cos of z, with the operations of the simd backend's SirenKernel.sinCos (a Cody-Waite
// reduction by pi/2, then Cephes' sinf/cosf polynomials on [-pi/4, pi/4]), every step rounded
// explicitly so the compiler contracts nothing: no local memory, unlike sinf's slow path.
__device__ __forceinline__ void siren_sincos(float z, float& s, float& c) {
    const float t = __fmaf_rn(z, 0x1.45f306p-1f, 0x1.8p23f); // 1.5 * 2^23 + rint(z 2/pi)
    const float k = __fsub_rn(t, 0x1.8p23f), nk = -k;
    const int q = __float_as_int(t) & 3;
    float r = __fmaf_rn(nk, 0x1.921fb6p+0f, z);
    r = __fmaf_rn(nk, -0x1.777a5cp-25f, r);
    r = __fmaf_rn(nk, -0x1.ee59dap-50f, r);
    const float r2 = __fmul_rn(r, r);
    float sp = __fmaf_rn(r2, -0x1.9943f2p-13f, 0x1.11073cp-7f);
    sp = __fmaf_rn(r2, sp, -0x1.555546p-3f);
    const float sr = __fmaf_rn(__fmul_rn(r, r2), sp, r);
    float cp = __fmaf_rn(r2, 0x1.99eb9cp-16f, -0x1.6c0c34p-10f);
    cp = __fmaf_rn(r2, cp, 0x1.55554ap-5f);
    const float cr = __fmaf_rn(__fmul_rn(r2, r2), cp, __fmaf_rn(r2, -0.5f, 1.0f));
    const float sv = (q & 1) ? cr : sr, cv = (q & 1) ? sr : cr;
    s = (q & 2) ? -sv : sv;
    c = ((q + 1) & 2) ? -cv : cv;
}

// Where one SIREN's tensors start in the batch layout.
struct SirenOffsets {
    long long w0, b0, w1, b1, w2, b2;
};

__device__ __forceinline__ SirenOffsets siren_offsets(long long b, int batch, int in, int hidden, int outs) {
    const long long B = batch, H = hidden;
    SirenOffsets o;
    const long long w0 = 0, b0 = B * H * in, w1 = b0 + B * H, b1 = w1 + B * H * H, w2 = b1 + B * H, b2 = w2 + B * outs * H;
    o.w0 = w0 + b * H * in;
    o.b0 = b0 + b * H;
    o.w1 = w1 + b * H * H;
    o.b1 = b1 + b * H;
    o.w2 = w2 + b * outs * H;
    o.b2 = b2 + b * outs;
    return o;
}

// The shared memory of one block: a SIREN's weights and one tile's activations.
struct SirenShared {
    float w0[SIREN_MAX_HIDDEN * SIREN_MAX_IN], b0[SIREN_MAX_HIDDEN], w1[SIREN_MAX_HIDDEN * SIREN_MAX_HIDDEN], b1[SIREN_MAX_HIDDEN];
    float w2[SIREN_MAX_OUT * SIREN_MAX_HIDDEN], b2[SIREN_MAX_OUT];
    float x[SIREN_TILE * SIREN_MAX_IN];
    float h0[SIREN_TILE * SIREN_PAD], c0[SIREN_TILE * SIREN_PAD]; // c0: cos, then g0 (the backward)
    float h1[SIREN_TILE * SIREN_PAD], c1[SIREN_TILE * SIREN_PAD]; // c1: cos, then g1
    float g[SIREN_TILE * SIREN_MAX_OUT];
    double red[NFN_WARPS];
};

__device__ __forceinline__ void siren_load_weights(SirenShared& sh, const float* w, const SirenOffsets& o, int in, int hidden, int outs) {
    for (int e = threadIdx.x; e < hidden * in; e += NFN_THREADS) sh.w0[e] = w[o.w0 + e];
    for (int e = threadIdx.x; e < hidden * hidden; e += NFN_THREADS) sh.w1[e] = w[o.w1 + e];
    for (int e = threadIdx.x; e < outs * hidden; e += NFN_THREADS) sh.w2[e] = w[o.w2 + e];
    for (int e = threadIdx.x; e < hidden; e += NFN_THREADS) {
        sh.b0[e] = w[o.b0 + e];
        sh.b1[e] = w[o.b1 + e];
    }
    for (int e = threadIdx.x; e < outs; e += NFN_THREADS) sh.b2[e] = w[o.b2 + e];
}

// The tile's coordinates, h0 and h1 (and their cosines when `cos`), for points p0 .. p0 + n.
__device__ __forceinline__ void siren_tile_forward(SirenShared& sh, const float* coords, int p0, int n, int in, int hidden, float omega0,
                                                   float omega, bool cos) {
    for (int e = threadIdx.x; e < n * in; e += NFN_THREADS) sh.x[e] = coords[(long long)p0 * in + e];
    __syncthreads();
    for (int e = threadIdx.x; e < n * hidden; e += NFN_THREADS) {
        const int t = e / hidden, j = e - t * hidden;
        float z = sh.b0[j];
        for (int i = 0; i < in; i++) z = __fmaf_rn(sh.w0[j * in + i], sh.x[t * in + i], z);
        float s, c;
        siren_sincos(__fmul_rn(z, omega0), s, c);
        sh.h0[t * SIREN_PAD + j] = s;
        if (cos) sh.c0[t * SIREN_PAD + j] = c;
    }
    __syncthreads();
    for (int e = threadIdx.x; e < n * hidden; e += NFN_THREADS) {
        const int t = e / hidden, j = e - t * hidden;
        float z = sh.b1[j];
        for (int i = 0; i < hidden; i++) z = __fmaf_rn(sh.w1[j * hidden + i], sh.h0[t * SIREN_PAD + i], z);
        float s, c;
        siren_sincos(__fmul_rn(z, omega), s, c);
        sh.h1[t * SIREN_PAD + j] = s;
        if (cos) sh.c1[t * SIREN_PAD + j] = c;
    }
    __syncthreads();
}

__device__ __forceinline__ float siren_output(const SirenShared& sh, int t, int k, int hidden) {
    float y = 0.0f;
    for (int j = 0; j < hidden; j++) y = __fmaf_rn(sh.w2[k * hidden + j], sh.h1[t * SIREN_PAD + j], y);
    return __fadd_rn(y, sh.b2[k]);
}

// out[b][p][k] = y.
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
siren_forward(const float* __restrict__ w, const float* __restrict__ coords, float* __restrict__ out, int batch, int points, int in, int hidden,
              int outs, float omega0, float omega) {
    __shared__ SirenShared sh;
    for (long long b = blockIdx.x; b < batch; b += gridDim.x) {
        siren_load_weights(sh, w, siren_offsets(b, batch, in, hidden, outs), in, hidden, outs);
        for (int p0 = 0; p0 < points; p0 += SIREN_TILE) {
            const int n = min(SIREN_TILE, points - p0);
            siren_tile_forward(sh, coords, p0, n, in, hidden, omega0, omega, false);
            for (int e = threadIdx.x; e < n * outs; e += NFN_THREADS) {
                const int t = e / outs, k = e - t * outs;
                out[(b * points + p0 + t) * outs + k] = siren_output(sh, t, k, hidden);
            }
            __syncthreads(); // the next tile overwrites x, h0, h1
        }
    }
}

// dw (overwritten) from dOut, or, when dOut is null, from the gradient of each SIREN's mean squared
// error against target, (2 / (points outs)) (y - target); loss[b] (optional) gets that error.
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
siren_backward(const float* __restrict__ w, const float* __restrict__ coords, const float* __restrict__ dOut, const float* __restrict__ target,
               float* __restrict__ dw, float* __restrict__ loss, int batch, int points, int in, int hidden, int outs, float omega0, float omega) {
    __shared__ SirenShared sh;
    const int nW0 = hidden * in, nB0 = hidden, nW1 = hidden * hidden, nB1 = hidden, nW2 = outs * hidden;
    const int perSiren = nW0 + nB0 + nW1 + nB1 + nW2 + outs;
    const float scale = (float)(2.0 / ((double)points * outs));
    for (long long b = blockIdx.x; b < batch; b += gridDim.x) {
        const SirenOffsets o = siren_offsets(b, batch, in, hidden, outs);
        siren_load_weights(sh, w, o, in, hidden, outs);
        float acc[SIREN_SLOTS];
#pragma unroll
        for (int r = 0; r < SIREN_SLOTS; r++) acc[r] = 0.0f;
        double sq = 0.0;
        for (int p0 = 0; p0 < points; p0 += SIREN_TILE) {
            const int n = min(SIREN_TILE, points - p0);
            siren_tile_forward(sh, coords, p0, n, in, hidden, omega0, omega, true);
            // g, the cotangent of y
            for (int e = threadIdx.x; e < n * outs; e += NFN_THREADS) {
                const long long at = (b * points + p0) * outs + e;
                float gk;
                if (dOut != nullptr) {
                    gk = dOut[at];
                } else {
                    const int t = e / outs, k = e - t * outs;
                    const float err = __fsub_rn(siren_output(sh, t, k, hidden), target[at]);
                    sq += (double)err * err;
                    gk = __fmul_rn(scale, err);
                }
                sh.g[e] = gk;
            }
            __syncthreads();
            // g1 = omega c1 (W2^T g), into c1
            for (int e = threadIdx.x; e < n * hidden; e += NFN_THREADS) {
                const int t = e / hidden, j = e - t * hidden;
                float d = 0.0f;
                for (int k = 0; k < outs; k++) d = __fmaf_rn(sh.w2[k * hidden + j], sh.g[t * outs + k], d);
                sh.c1[t * SIREN_PAD + j] = __fmul_rn(__fmul_rn(d, sh.c1[t * SIREN_PAD + j]), omega);
            }
            __syncthreads();
            // g0 = omega0 c0 (W1^T g1), into c0
            for (int e = threadIdx.x; e < n * hidden; e += NFN_THREADS) {
                const int t = e / hidden, i = e - t * hidden;
                float d = 0.0f;
                for (int j = 0; j < hidden; j++) d = __fmaf_rn(sh.w1[j * hidden + i], sh.c1[t * SIREN_PAD + j], d);
                sh.c0[t * SIREN_PAD + i] = __fmul_rn(__fmul_rn(d, sh.c0[t * SIREN_PAD + i]), omega0);
            }
            __syncthreads();
            // each thread's gradient entries, summed over the tile's points in order
#pragma unroll
            for (int r = 0; r < SIREN_SLOTS; r++) {
                int e = threadIdx.x + r * NFN_THREADS;
                if (e >= perSiren) continue;
                float s = acc[r];
                if (e < nW0) {
                    const int j = e / in, i = e - j * in;
                    for (int t = 0; t < n; t++) s = __fmaf_rn(sh.c0[t * SIREN_PAD + j], sh.x[t * in + i], s);
                } else if ((e -= nW0) < nB0) {
                    for (int t = 0; t < n; t++) s = __fadd_rn(s, sh.c0[t * SIREN_PAD + e]);
                } else if ((e -= nB0) < nW1) {
                    const int j = e / hidden, i = e - j * hidden;
                    for (int t = 0; t < n; t++) s = __fmaf_rn(sh.c1[t * SIREN_PAD + j], sh.h0[t * SIREN_PAD + i], s);
                } else if ((e -= nW1) < nB1) {
                    for (int t = 0; t < n; t++) s = __fadd_rn(s, sh.c1[t * SIREN_PAD + e]);
                } else if ((e -= nB1) < nW2) {
                    const int k = e / hidden, j = e - k * hidden;
                    for (int t = 0; t < n; t++) s = __fmaf_rn(sh.g[t * outs + k], sh.h1[t * SIREN_PAD + j], s);
                } else {
                    e -= nW2;
                    for (int t = 0; t < n; t++) s = __fadd_rn(s, sh.g[t * outs + e]);
                }
                acc[r] = s;
            }
            __syncthreads(); // the next tile overwrites the activations
        }
#pragma unroll
        for (int r = 0; r < SIREN_SLOTS; r++) {
            int e = threadIdx.x + r * NFN_THREADS;
            if (e >= perSiren) continue;
            long long at;
            if (e < nW0) at = o.w0 + e;
            else if ((e -= nW0) < nB0) at = o.b0 + e;
            else if ((e -= nB0) < nW1) at = o.w1 + e;
            else if ((e -= nW1) < nB1) at = o.b1 + e;
            else if ((e -= nB1) < nW2) at = o.w2 + e;
            else at = o.b2 + (e - nW2);
            dw[at] = acc[r];
        }
        if (loss != nullptr) {
            const double total = block_sum_d(sq, sh.red); // every thread takes part (barriers inside)
            if (threadIdx.x == 0) loss[b] = (float)(total / ((double)points * outs));
        }
        __syncthreads(); // the next SIREN overwrites the weights
    }
}
