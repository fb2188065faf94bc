// The channel mix (Ops.channelMix) and its backward (Ops.channelMixBackward).
//
// Per sample b the mix is a GEMM: Y_b [cout][P] = A [cout][cin] x X_b [cin][P], P = rows * cols.
// The kernels see all samples as one matrix of N = batch * P columns: column n = (b, p) with
// b = n / P, p = n % P lives at x[b][.][p], so a Linear layer (P = 1, N = batch) and a weight
// plane (P = rows * cols) take the same path.
#include "common.cuh"
#include "act.cuh"
#include <mma.h>

#define MIX_BM 32  // output channels per block
#define MIX_BN 256 // columns per block
#define MIX_BK 8   // input channels per shared-memory step

// The epilogue of one output (b, m, p = j * cols + k) of the mix kernels: the broadcast terms,
// the store (or add), then the activation. Returns the value stored.
__device__ __forceinline__ float mix_store(float v, long long b, int m, long long p, int j, int k, const float* __restrict__ bias,
                                          const float* __restrict__ row, const float* __restrict__ col, const float* __restrict__ glob,
                                          float* __restrict__ y, int cout, int rows, int cols, long long P, int accumulate, int act) {
    const long long bm = b * cout + m;
    if (bias != nullptr) v += bias[m];
    if (row != nullptr) v += row[bm * cols + k];
    if (col != nullptr) v += col[bm * rows + j];
    if (glob != nullptr) v += glob[bm];
    const long long yi = bm * P + p;
    const float out = act_apply(act, accumulate ? y[yi] + v : v);
    y[yi] = out;
    return out;
}

// Stages channel_mix's 8 x 256 X tiles (channels k0 .. k0 + 7, columns n0 .. n0 + 255) through
// registers, so the next tile is in flight while this one is multiplied.
//  * scalar: thread t holds column n0 + t of all 8 channels (a warp reads 32 consecutive floats
//    per channel: coalesced, but eight 4-byte loads per thread);
//  * VEC, taken when every plane is a multiple of 4 floats and x is 16-byte aligned (so 4
//    consecutive columns lie in one sample and form one aligned float4): thread t holds columns
//    n0 + 4 (t % 64) .. + 3 of channels t / 64 and t / 64 + 4, two 16-byte loads.
// GATED: each loaded value is multiplied by relu'(gate) at the same index (relu_gate; gate has
// x's layout and the same alignment), the backward's dx through a fused ReLU.
template <bool VEC, bool GATED>
struct MixXTile {
    long long base; // x offset of this thread's (first) column at channel 0
    bool in;        // the column(s) lie inside the N columns
    int c0;         // this thread's first column within the tile
    float r[8];

    __device__ __forceinline__ MixXTile(int tid, long long n0, long long N, long long P, int cin) {
        c0 = VEC ? 4 * (tid & 63) : tid;
        const long long n = n0 + c0;
        in = n < N; // VEC: N is a multiple of 4 too, so all four columns are in or out together
        base = 0;
        if (in) {
            const long long b = n / P;
            base = b * cin * P + (n - b * P);
        }
    }

    // Column tid of a 2-d tile of sample b's plane (channel_mix_pooled): plane row j0 + tid / 32,
    // column k0 + tid % 32. Scalar loads only (VEC false): a tile row is 32 floats of one plane row.
    __device__ __forceinline__ MixXTile(int tid, long long b, int j0, int k0, int rows, int cols, int cin) {
        c0 = tid;
        const int j = j0 + (tid >> 5), k = k0 + (tid & 31);
        in = j < rows && k < cols;
        base = in ? b * cin * ((long long)rows * cols) + (long long)j * cols + k : 0;
    }

    __device__ __forceinline__ void load(const float* __restrict__ x, const float* __restrict__ gate, int k0, int cin, long long P, int tid) {
        if constexpr (VEC) {
#pragma unroll
            for (int i = 0; i < 2; i++) {
                const int k = k0 + (tid >> 6) + 4 * i;
                float4 v = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
                if (in && k < cin) {
                    const long long at = base + (long long)k * P;
                    v = *reinterpret_cast<const float4*>(x + at);
                    if constexpr (GATED) {
                        const float4 g = *reinterpret_cast<const float4*>(gate + at);
                        v = make_float4(v.x * act_derivative(ACT_RELU, g.x), v.y * act_derivative(ACT_RELU, g.y),
                                        v.z * act_derivative(ACT_RELU, g.z), v.w * act_derivative(ACT_RELU, g.w));
                    }
                }
                r[4 * i] = v.x;
                r[4 * i + 1] = v.y;
                r[4 * i + 2] = v.z;
                r[4 * i + 3] = v.w;
            }
        } else {
#pragma unroll
            for (int kk = 0; kk < MIX_BK; kk++) {
                const int k = k0 + kk;
                r[kk] = (in && k < cin) ? relu_gate<GATED>(x[base + (long long)k * P], gate, base + (long long)k * P) : 0.0f;
            }
        }
    }

    __device__ __forceinline__ void store(float (*Xs)[MIX_BN], int tid) const {
        if constexpr (VEC) {
#pragma unroll
            for (int i = 0; i < 2; i++)
                *reinterpret_cast<float4*>(&Xs[(tid >> 6) + 4 * i][c0]) = make_float4(r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]);
        } else {
#pragma unroll
            for (int kk = 0; kk < MIX_BK; kk++) Xs[kk][c0] = r[kk];
        }
    }
};

// The GEMM of the mix kernels' block: acc[i][c] = sum_k A[m0 + 4 ty + i][k] * X[k][tile column
// tx + 32 c], over all cin channels in steps of MIX_BK. Each step stages an 8 x 32 tile of A
// (element kk = tid / 32, mm = tid % 32; float4 broadcast reads) and the 8 x 256 X tile of `xt`
// in shared memory; the next X tile is loaded into registers while this one is used.
template <bool VEC, bool GATED>
__device__ __forceinline__ void
mix_gemm(MixXTile<VEC, GATED>& xt, const float* __restrict__ x, const float* __restrict__ gate, const float* __restrict__ a, int cin,
         int cout, long long P, int m0, int aRowStride, int aColStride, float (*As)[MIX_BM], float (*Xs)[MIX_BN], float (&acc)[4][8]) {
    const int tid = threadIdx.x, tx = tid & 31, ty = tid >> 5;
    const int aM = m0 + (tid & 31), aK = tid >> 5;
    xt.load(x, gate, 0, cin, P, tid);
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int c = 0; c < 8; c++) acc[i][c] = 0.0f;

    for (int k0 = 0; k0 < cin; k0 += MIX_BK) {
        xt.store(Xs, tid);
        {
            const int k = k0 + aK;
            As[aK][tid & 31] = (aM < cout && k < cin) ? a[(long long)aM * aRowStride + (long long)k * aColStride] : 0.0f;
        }
        __syncthreads();
        if (k0 + MIX_BK < cin) xt.load(x, gate, k0 + MIX_BK, cin, P, tid); // the next X tile, while this one is multiplied
#pragma unroll
        for (int kk = 0; kk < MIX_BK; kk++) {
            const float4 av = *reinterpret_cast<const float4*>(&As[kk][4 * ty]);
#pragma unroll
            for (int c = 0; c < 8; c++) {
                const float xv = Xs[kk][tx + 32 * c];
                acc[0][c] = fmaf(av.x, xv, acc[0][c]);
                acc[1][c] = fmaf(av.y, xv, acc[1][c]);
                acc[2][c] = fmaf(av.z, xv, acc[2][c]);
                acc[3][c] = fmaf(av.w, xv, acc[3][c]);
            }
        }
        __syncthreads();
    }
}

// Forward, with the broadcast epilogue:
//   y[b][o][j][k] (+)= sum_c A[o][c] * x[b][c][j][k] + bias[o] + row[b][o][k] + col[b][o][j] + glob[b][o]
// A[o][c] = a[o * aRowStride + c * aColStride]: (cin, 1) for a [cout][cin] matrix; (1, cout_of_a)
// reads a transposed, which is how the backward's dx uses this kernel. bias [cout],
// row [batch][cout][cols], col [batch][cout][rows], glob [batch][cout], each may be null.
// y is overwritten, or added to when `accumulate` is non-zero; then the activation `act` (an
// ACT_ code, ACT_IDENTITY for none) is applied to the stored value, as the activation kernel
// would apply it afterwards (the same act_apply: bit-identical).
// channel_mix_relu_gated (GATED): the same with one more argument, `gate`, x's layout: each x
// value is multiplied by relu'(gate) as it is loaded (relu_gate). The backward's dx through a
// fused ReLU (x = dy, gate = the forward's output), so the gradient before the ReLU is never
// stored; a separate kernel, so the forward's registers stay as they were.
//
// Grid (ceil(N / 256), ceil(cout / 32)), 256 threads. Thread (tx = lane, ty = warp) owns output
// channels m0 + 4 ty + i (i < 4) and columns n0 + tx + 32 c (c < 8): a warp's stores and the
// row term's loads are 32 consecutive columns. Each step stages an 8 x 32 tile of A (float4
// broadcast reads) and an 8 x 256 tile of X (MixXTile: 16-byte loads where the layout allows)
// in shared memory; the next X tile is loaded into registers while this one is used.
template <bool VEC, bool GATED>
__device__ __forceinline__ void
channel_mix_body(const float* __restrict__ x, const float* __restrict__ gate, const float* __restrict__ a, const float* __restrict__ bias,
                 const float* __restrict__ row, const float* __restrict__ col, const float* __restrict__ glob,
                 float* __restrict__ y, int batch, int cin, int cout, int rows, int cols,
                 int aRowStride, int aColStride, int accumulate, int act, float (*As)[MIX_BM], float (*Xs)[MIX_BN]) {
    const int tid = threadIdx.x, tx = tid & 31, ty = tid >> 5;
    const long long P = (long long)rows * cols;
    const long long N = (long long)batch * P;
    const int m0 = blockIdx.y * MIX_BM;
    const long long n0 = (long long)blockIdx.x * MIX_BN;

    MixXTile<VEC, GATED> xt(tid, n0, N, P, cin); // this thread's share of every X tile
    float acc[4][8];
    mix_gemm<VEC, GATED>(xt, x, gate, a, cin, cout, P, m0, aRowStride, aColStride, As, Xs, acc);

    // Epilogue: the broadcast terms, then one store (or add) per output.
#pragma unroll
    for (int c = 0; c < 8; c++) {
        const long long n = n0 + tx + 32 * c;
        if (n >= N) continue;
        const long long b = n / P;
        const long long p = n - b * P;
        const int j = (int)p / cols, k = (int)p - j * cols; // p < P < 2^31
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const int m = m0 + 4 * ty + i;
            if (m >= cout) continue;
            mix_store(acc[i][c], b, m, p, j, k, bias, row, col, glob, y, cout, rows, cols, P, accumulate, act);
        }
    }
}

// Picks the 16-byte loads where every plane is a multiple of 4 floats and x (and the gate) are
// aligned: the same branch for every thread. The tiles live here, not in the body, so both
// variants share one allocation of shared memory.
template <bool GATED>
__device__ __forceinline__ void
channel_mix_entry(const float* __restrict__ x, const float* __restrict__ gate, const float* __restrict__ a, const float* __restrict__ bias,
                  const float* __restrict__ row, const float* __restrict__ col, const float* __restrict__ glob,
                  float* __restrict__ y, int batch, int cin, int cout, int rows, int cols,
                  int aRowStride, int aColStride, int accumulate, int act) {
    __shared__ __align__(16) float As[MIX_BK][MIX_BM];
    __shared__ __align__(16) float Xs[MIX_BK][MIX_BN];
    const long long P = (long long)rows * cols;
    const bool aligned = ((reinterpret_cast<unsigned long long>(x) | reinterpret_cast<unsigned long long>(gate)) & 15) == 0;
    if ((P & 3) == 0 && aligned)
        channel_mix_body<true, GATED>(x, gate, a, bias, row, col, glob, y, batch, cin, cout, rows, cols, aRowStride, aColStride, accumulate,
                                      act, As, Xs);
    else
        channel_mix_body<false, GATED>(x, gate, a, bias, row, col, glob, y, batch, cin, cout, rows, cols, aRowStride, aColStride, accumulate,
                                       act, As, Xs);
}

// The kernels themselves: thin wrappers, each parameter list written out in full (not through a
// macro) because CudaKernelSignatureTest reads these signatures from the source text.
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
channel_mix(const float* __restrict__ x, const float* __restrict__ a, const float* __restrict__ bias,
            const float* __restrict__ row, const float* __restrict__ col, const float* __restrict__ glob,
            float* __restrict__ y, int batch, int cin, int cout, int rows, int cols,
            int aRowStride, int aColStride, int accumulate, int act) {
    channel_mix_entry<false>(x, nullptr, a, bias, row, col, glob, y, batch, cin, cout, rows, cols, aRowStride, aColStride, accumulate, act);
}

extern "C" __global__ void __launch_bounds__(NFN_THREADS)
channel_mix_relu_gated(const float* __restrict__ x, const float* __restrict__ a, const float* __restrict__ bias,
                       const float* __restrict__ row, const float* __restrict__ col, const float* __restrict__ glob,
                       float* __restrict__ y, int batch, int cin, int cout, int rows, int cols,
                       int aRowStride, int aColStride, int accumulate, int act, const float* __restrict__ gate) {
    channel_mix_entry<true>(x, gate, a, bias, row, col, glob, y, batch, cin, cout, rows, cols, aRowStride, aColStride, accumulate, act);
}

// The forward mix that also takes the plane means of its output (Ops.channelMix with PlanePools),
// pass 1 of 2: partial sums per tile, from the values as stored (after the activation). Only
// for planes of at least 8 rows and 32 columns (KernelPlans.pooledMixApplies; smaller ones run
// channel_mix, then plane_reduce). A block covers 32 output channels of a 2-d tile of sample b's
// planes, rows j0 .. j0 + 7 and columns k0 .. k0 + 31; thread (tx, ty) owns channels m0 + 4 ty + i,
// rows j0 + c (c < 8) and column k0 + tx, channel_mix's register block with its columns
// tx + 32 c read as (row c, column tx). After the epilogue (terms, store, activation):
//   partRow[rt][b][m][k] = sum_{c < 8} y[b][m][j0 + c][k]        (rt = j0 / 8; in c order)
//   partCol[kt][b][m][j] = sum_{tx < 32} y[b][m][j][k0 + tx]     (kt = k0 / 32; warp butterfly)
// positions outside the plane counting 0. plane_pools_finish adds the tiles in order. No atomics:
// deterministic. A is [cout][cin]; act as channel_mix's.
// Grid (batch * ceil(rows / 8) * ceil(cols / 32), ceil(cout / 32)), 256 threads.
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
channel_mix_pooled(const float* __restrict__ x, const float* __restrict__ a, const float* __restrict__ bias,
                   const float* __restrict__ row, const float* __restrict__ col, const float* __restrict__ glob,
                   float* __restrict__ y, int batch, int cin, int cout, int rows, int cols, int act,
                   float* __restrict__ partRow, float* __restrict__ partCol) {
    __shared__ __align__(16) float As[MIX_BK][MIX_BM];
    __shared__ __align__(16) float Xs[MIX_BK][MIX_BN];
    const int tid = threadIdx.x, tx = tid & 31, ty = tid >> 5;
    const int rowTiles = (rows + 7) / 8, colTiles = (cols + 31) / 32;
    const unsigned t = blockIdx.x / colTiles; // 32-bit divisions: the grid's x extent is below 2^31
    const int kt = (int)(blockIdx.x - t * colTiles), rt = (int)(t % rowTiles);
    const long long b = t / rowTiles;
    const long long planes = (long long)batch * cout;
    const int j0 = 8 * rt, k0 = 32 * kt, k = k0 + tx, m0 = blockIdx.y * MIX_BM;
    const long long P = (long long)rows * cols;

    MixXTile<false, false> xt(tid, b, j0, k0, rows, cols, cin);
    float acc[4][8];
    mix_gemm<false, false>(xt, x, nullptr, a, cin, cout, P, m0, cin, 1, As, Xs, acc);

    float rowAcc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
#pragma unroll
    for (int c = 0; c < 8; c++) {
        const int j = j0 + c;
        const bool inside = j < rows && k < cols;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const int m = m0 + 4 * ty + i;
            const float v = inside && m < cout
                    ? mix_store(acc[i][c], b, m, (long long)j * cols + k, j, k, bias, row, col, glob, y, cout, rows, cols, P, 0, act)
                    : 0.0f;
            rowAcc[i] += v;
            const float s = warp_sum(v); // every lane takes part: the condition only guards the store
            if (tx == 0 && j < rows && m < cout) partCol[(kt * planes + b * cout + m) * rows + j] = s;
        }
    }
#pragma unroll
    for (int i = 0; i < 4; i++) {
        const int m = m0 + 4 * ty + i;
        if (k < cols && m < cout) partRow[(rt * planes + b * cout + m) * cols + k] = rowAcc[i];
    }
}

// Pass 2 of 2 (of channel_mix_pooled, and of mix_weight_grad_pooled for the dOut pools): the pools
// of each of the batch * cout planes (p = b * cout + m) from the tiles' partial sums (partRow
// [rowTiles][planes][cols], partCol [colTiles][planes][rows], colTiles = ceil(cols / 32)), tile
// by tile in order, in double; sr, sc, sa are 1 for sums, 1/rows, 1/cols, 1/(rows*cols) for means:
//   rowOut[p][k] = sr * sum_rt partRow[rt][p][k]      colOut[p][j] = sc * sum_kt partCol[kt][p][j]
//   allOut[p]    = sa * sum_j sum_kt partCol[kt][p][j] (a fixed-order block sum)
// rowOut [planes][cols], colOut [planes][rows], allOut [planes]; any may be null. Grid:
// min(planes, 2^20) blocks, grid-stride over planes.
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
plane_pools_finish(const float* __restrict__ partRow, const float* __restrict__ partCol, float* __restrict__ rowOut,
                   float* __restrict__ colOut, float* __restrict__ allOut, int batch, int cout, int rows, int cols,
                   int rowTiles, double sr, double sc, double sa) {
    __shared__ double red[NFN_WARPS];
    const int colTiles = (cols + 31) / 32;
    const long long planes = (long long)batch * cout;
    for (long long p = blockIdx.x; p < planes; p += gridDim.x) {
        if (rowOut != nullptr)
            for (int k = threadIdx.x; k < cols; k += NFN_THREADS) {
                double s = 0.0;
                for (int rt = 0; rt < rowTiles; rt++) s += partRow[(rt * planes + p) * cols + k];
                rowOut[p * cols + k] = (float)(s * sr);
            }
        double total = 0.0;
        for (int j = threadIdx.x; j < rows; j += NFN_THREADS) {
            double s = 0.0;
            for (int kt = 0; kt < colTiles; kt++) s += partCol[(kt * planes + p) * rows + j];
            if (colOut != nullptr) colOut[p * rows + j] = (float)(s * sc);
            total += s;
        }
        if (allOut != nullptr) { // the same branch for the whole block: block_sum_d's barriers are reached by all
            const double all = block_sum_d(total, red);
            if (threadIdx.x == 0) allOut[p] = (float)(all * sa);
        }
    }
}

// The same mix on the tensor cores in TF32 (opt-in: -Dnfn4j.tf32=true, used when cin and cout are
// both >= 64; the host picks it, KernelPlans.tf32Applies). Same arguments, same epilogue, same
// result layout as channel_mix; only the products differ: A and x are rounded to TF32 (10-bit
// mantissa, round to nearest, ties away: __float_to_tf32) and the products accumulated in FP32.
// Accuracy bound: each product carries a relative error of at most 2 * 2^-11 = 2^-10, so
// |y - y_fp32| <= 2^-10 * sum_c |A[o][c] x[c][n]| plus the FP32 accumulation error; on data with
// mixed signs the relative L2 error is about 3e-4 (Tf32AccuracyTest emulates the rounding on the
// CPU; the GPU tests allow 2e-3). Deterministic like every kernel here (no atomics).
// channel_mix_tf32_relu_gated: with channel_mix_relu_gated's `gate` (the backward's dx).
//
// Grid (ceil(N / 64), ceil(cout / 64)), 256 threads = 8 warps as 4 (output rows) x 2 (columns):
// warp (wm, wn) owns rows m0 + 16 wm .. +15 and columns n0 + 32 wn .. +31, two 16 x 16 FP32
// accumulator fragments. Each step stages a 64 x 8 tile of A and an 8 x 64 tile of X in shared
// memory, already rounded to TF32; at the end the fragments go through shared memory so the
// epilogue can walk the outputs column-contiguously, as channel_mix's does.
#define T32_BM 64
#define T32_BN 64
#define T32_BK 8
#define T32_LDA (T32_BK + 4) // row strides: multiples of 4 floats (wmma's rule), padded off the bank pattern
#define T32_LDX (T32_BN + 4)
#define T32_LDC (T32_BN + 4)

template <bool GATED>
__device__ __forceinline__ void
channel_mix_tf32_body(const float* __restrict__ x, const float* __restrict__ gate, const float* __restrict__ a, const float* __restrict__ bias,
                      const float* __restrict__ row, const float* __restrict__ col, const float* __restrict__ glob,
                      float* __restrict__ y, int batch, int cin, int cout, int rows, int cols,
                      int aRowStride, int aColStride, int accumulate, int act) {
    using namespace nvcuda;
    __shared__ __align__(32) float As[T32_BM * T32_LDA];
    __shared__ __align__(32) float Xs[T32_BK * T32_LDX];
    __shared__ __align__(32) float Cs[T32_BM * T32_LDC];
    const int tid = threadIdx.x, warp = tid >> 5, wm = warp >> 1, wn = warp & 1;
    const long long P = (long long)rows * cols;
    const long long N = (long long)batch * P;
    const int m0 = blockIdx.y * T32_BM;
    const long long n0 = (long long)blockIdx.x * T32_BN;

    // Loader roles: X column n0 + xn at channels xk and xk + 4 of each step (a warp reads 32
    // consecutive columns); A elements (e >> 3, e & 7) for e = tid and tid + 256.
    const int xn = tid & (T32_BN - 1), xk = tid >> 6;
    const long long nLoad = n0 + xn;
    const bool loadIn = nLoad < N;
    long long xBase = 0;
    if (loadIn) {
        const long long b = nLoad / P;
        xBase = b * cin * P + (nLoad - b * P);
    }

    wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2];
    wmma::fill_fragment(acc[0], 0.0f);
    wmma::fill_fragment(acc[1], 0.0f);
    for (int k0 = 0; k0 < cin; k0 += T32_BK) {
#pragma unroll
        for (int i = 0; i < 2; i++) {
            const int e = tid + NFN_THREADS * i, mm = e >> 3, kk = e & 7, m = m0 + mm, k = k0 + kk;
            const float v = (m < cout && k < cin) ? a[(long long)m * aRowStride + (long long)k * aColStride] : 0.0f;
            As[mm * T32_LDA + kk] = wmma::__float_to_tf32(v);
        }
#pragma unroll
        for (int i = 0; i < 2; i++) {
            const int kk = xk + 4 * i, k = k0 + kk;
            const float v = (loadIn && k < cin) ? relu_gate<GATED>(x[xBase + (long long)k * P], gate, xBase + (long long)k * P) : 0.0f;
            Xs[kk * T32_LDX + xn] = wmma::__float_to_tf32(v);
        }
        __syncthreads();
        wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fa;
        wmma::load_matrix_sync(fa, As + 16 * wm * T32_LDA, T32_LDA);
#pragma unroll
        for (int f = 0; f < 2; f++) {
            wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fb;
            wmma::load_matrix_sync(fb, Xs + 32 * wn + 16 * f, T32_LDX);
            wmma::mma_sync(acc[f], fa, fb, acc[f]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int f = 0; f < 2; f++)
        wmma::store_matrix_sync(Cs + 16 * wm * T32_LDC + 32 * wn + 16 * f, acc[f], T32_LDC, wmma::mem_row_major);
    __syncthreads();

    // Epilogue, as channel_mix's: consecutive threads take consecutive columns of one output row.
    for (int e = tid; e < T32_BM * T32_BN; e += NFN_THREADS) {
        const int mm = e / T32_BN, nn = e % T32_BN, m = m0 + mm;
        const long long n = n0 + nn;
        if (m >= cout || n >= N) continue;
        const long long b = n / P;
        const long long p = n - b * P;
        const int j = (int)p / cols, k = (int)p - j * cols; // p < P < 2^31
        mix_store(Cs[mm * T32_LDC + nn], b, m, p, j, k, bias, row, col, glob, y, cout, rows, cols, P, accumulate, act);
    }
}

extern "C" __global__ void __launch_bounds__(NFN_THREADS)
channel_mix_tf32(const float* __restrict__ x, const float* __restrict__ a, const float* __restrict__ bias,
                 const float* __restrict__ row, const float* __restrict__ col, const float* __restrict__ glob,
                 float* __restrict__ y, int batch, int cin, int cout, int rows, int cols,
                 int aRowStride, int aColStride, int accumulate, int act) {
    channel_mix_tf32_body<false>(x, nullptr, a, bias, row, col, glob, y, batch, cin, cout, rows, cols, aRowStride, aColStride, accumulate, act);
}

extern "C" __global__ void __launch_bounds__(NFN_THREADS)
channel_mix_tf32_relu_gated(const float* __restrict__ x, const float* __restrict__ a, const float* __restrict__ bias,
                            const float* __restrict__ row, const float* __restrict__ col, const float* __restrict__ glob,
                            float* __restrict__ y, int batch, int cin, int cout, int rows, int cols,
                            int aRowStride, int aColStride, int accumulate, int act, const float* __restrict__ gate) {
    channel_mix_tf32_body<true>(x, gate, a, bias, row, col, glob, y, batch, cin, cout, rows, cols, aRowStride, aColStride, accumulate, act);
}

// Backward, weight part, pass 1 of 2 (deterministic: fixed chunks, then a fixed-order sum):
//   partDa[s][o][c] = sum_{n in chunk s} dy[b][o][p] * x[b][c][p]
//   partDb[s][o]    = sum_{n in chunk s} dy[b][o][p]       (written by the blocks of blockIdx.z == 0)
// Chunk s covers columns [s * chunk, min(N, (s + 1) * chunk)); chunk is a multiple of 32.
// partDa [S][cout][cin], partDb [S][cout]; either may be null (then it is not computed).
//
// Grid (S, ceil(cout / 32), ceil(cin / 32)), 256 threads. Each step stages 32 columns of dy
// (32 output channels) and of x (32 input channels), transposed to [column][channel] so that a
// thread reads 4 consecutive channels as one float4. The 256 threads form 4 groups of 64; group
// g takes columns 8g..8g+7 of each step, and each thread of a group owns a 4 x 4 block of the
// 32 x 32 output tile. At the end the 4 groups' sums are added in group order.
// mix_weight_grad_partial_relu_gated: one more argument, `gate` (dy's layout): dy is multiplied
// by relu'(gate) as it is loaded (relu_gate), the weight gradient through a fused ReLU.
#define WG_TILE 32
#define WG_PAD 36 // row length of the staged tiles: float4-aligned, and 4-way (not 32-way) store conflicts

// One staged step of the weight-gradient kernels: compute group g (64 threads) multiplies the
// step's columns 8 g .. 8 g + 7 into thread (to, tc)'s 4 x 4 block of the 32 x 32 output tile.
__device__ __forceinline__ void wg_step(const float (*Ds)[WG_PAD], const float (*Xs)[WG_PAD], int g, int to, int tc, float (&acc)[4][4]) {
#pragma unroll
    for (int q = 0; q < 8; q++) {
        const int col = 8 * g + q;
        const float4 dv = *reinterpret_cast<const float4*>(&Ds[col][4 * to]);
        const float4 xv = *reinterpret_cast<const float4*>(&Xs[col][4 * tc]);
        const float d4[4] = {dv.x, dv.y, dv.z, dv.w}, x4[4] = {xv.x, xv.y, xv.z, xv.w};
#pragma unroll
        for (int i = 0; i < 4; i++)
#pragma unroll
            for (int k = 0; k < 4; k++) acc[i][k] = fmaf(d4[i], x4[k], acc[i][k]);
    }
}

// The end of the weight-gradient kernels: the four groups' blocks added in group order through
// shared memory (red [4][32 * 32]) and stored as chunk blockIdx.x's partDa [chunk][cout][cin].
// Contains a barrier: every thread of the block must call it.
__device__ __forceinline__ void wg_store_da(const float (&acc)[4][4], float (*red)[WG_TILE * WG_TILE], int g, int to, int tc, int o0, int c0,
                                            int cin, int cout, float* __restrict__ partDa) {
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int k = 0; k < 4; k++) red[g][(4 * to + i) * WG_TILE + 4 * tc + k] = acc[i][k];
    __syncthreads();
#pragma unroll
    for (int e = 0; e < 4; e++) {
        const int idx = threadIdx.x + NFN_THREADS * e; // (o, c) of the tile, o major
        const int o = o0 + idx / WG_TILE, c = c0 + idx % WG_TILE;
        if (o < cout && c < cin) {
            const float s = ((red[0][idx] + red[1][idx]) + red[2][idx]) + red[3][idx];
            partDa[((long long)blockIdx.x * cout + o) * cin + c] = s;
        }
    }
}

template <bool GATED>
__device__ __forceinline__ void
mix_weight_grad_partial_body(const float* __restrict__ x, const float* __restrict__ dy, const float* __restrict__ gate,
                             float* __restrict__ partDa, float* __restrict__ partDb, int batch, int cin, int cout, int rows, int cols,
                             long long chunk) {
    __shared__ __align__(16) float Ds[WG_TILE][WG_PAD]; // Ds[n][o]
    __shared__ __align__(16) float Xs[WG_TILE][WG_PAD]; // Xs[n][c]
    __shared__ float red[4][WG_TILE * WG_TILE];
    const int tid = threadIdx.x;
    const long long P = (long long)rows * cols;
    const long long N = (long long)batch * P;
    const long long nBeg = (long long)blockIdx.x * chunk;
    const long long nEnd = min(N, nBeg + chunk);
    const int o0 = blockIdx.y * WG_TILE, c0 = blockIdx.z * WG_TILE;
    const bool doDa = partDa != nullptr, doDb = partDb != nullptr && blockIdx.z == 0;

    // Loader role: column nn of the step, channels r + 8 i (i < 4) of both tiles.
    const int nn = tid & 31, r = tid >> 5;
    // Compute role.
    const int g = tid >> 6, gt = tid & 63, to = gt >> 3, tc = gt & 7;

    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int q = 0; q < 4; q++) acc[i][q] = 0.0f;
    float dbAcc = 0.0f; // threads 0..31: output channel o0 + tid

    for (long long s0 = nBeg; s0 < nEnd; s0 += WG_TILE) {
        const long long n = s0 + nn;
        const bool in = n < nEnd;
        long long b = 0, p = 0;
        if (in) {
            b = n / P;
            p = n - b * P;
        }
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const int ch = r + 8 * i;
            const int o = o0 + ch, c = c0 + ch;
            Ds[nn][ch] = (in && o < cout) ? relu_gate<GATED>(dy[(b * cout + o) * P + p], gate, (b * cout + o) * P + p) : 0.0f;
            Xs[nn][ch] = (doDa && in && c < cin) ? x[(b * cin + c) * P + p] : 0.0f;
        }
        __syncthreads();
        if (doDa) wg_step(Ds, Xs, g, to, tc, acc);
        if (doDb && tid < WG_TILE) {
#pragma unroll 8
            for (int q = 0; q < WG_TILE; q++) dbAcc += Ds[q][tid];
        }
        __syncthreads();
    }

    if (doDb && tid < WG_TILE && o0 + tid < cout) partDb[(long long)blockIdx.x * cout + o0 + tid] = dbAcc;
    if (doDa) wg_store_da(acc, red, g, to, tc, o0, c0, cin, cout, partDa);
}

// The weight gradient and the dOut pools in one pass over dy (Ops.channelMixBackward with term
// gradients; planes of at least 32 columns: KernelPlans.pooledWeightGradApplies). As
// mix_weight_grad_partial, with chunks that are 2-d tiles of one sample's plane, plane rows
// j0 .. j0 + tileRows - 1 by columns k0 .. k0 + 31, one plane row a step. Chunk
// s = blockIdx.x = (b * rowTiles + rt) * colTiles + kt. Beside partDa [S][cout][cin], the blocks
// of the first cin tile (blockIdx.z == 0) write, of g = dy (times relu'(gate) in the _relu_gated
// variant) as they stage it:
//   partCol[kt][b][o][j] = sum_{k < 32} g[b][o][j][k0 + k]     (one step's 32 columns, in order)
//   partRow[rt][b][o][k] = sum_{j in the tile} g[b][o][j][k]   (each loader's running sums, in row order)
//   partDb[s][o]         = sum over the tile's rows of its partCol values, in row order
// plane_pools_finish (sums) turns partRow and partCol into dRow, dCol and dGlob; mix_weight_grad_final
// adds partDa and partDb. partDa and partDb may be null (not computed); partRow and partCol may not.
// Grid (batch * rowTiles * colTiles, ceil(cout / 32), partDa ? ceil(cin / 32) : 1), 256 threads.
template <bool GATED>
__device__ __forceinline__ void
mix_weight_grad_pooled_body(const float* __restrict__ x, const float* __restrict__ dy, const float* __restrict__ gate,
                            float* __restrict__ partDa, float* __restrict__ partDb, float* __restrict__ partRow, float* __restrict__ partCol,
                            int batch, int cin, int cout, int rows, int cols, int tileRows) {
    __shared__ __align__(16) float Ds[WG_TILE][WG_PAD]; // Ds[k][o]
    __shared__ __align__(16) float Xs[WG_TILE][WG_PAD]; // Xs[k][c]
    __shared__ float red[4][WG_TILE * WG_TILE];
    const int tid = threadIdx.x;
    const long long P = (long long)rows * cols, planes = (long long)batch * cout;
    const int rowTiles = (rows + tileRows - 1) / tileRows, colTiles = (cols + WG_TILE - 1) / WG_TILE;
    const unsigned t = blockIdx.x / colTiles; // 32-bit divisions: the grid's x extent is below 2^31
    const int kt = (int)(blockIdx.x - t * colTiles), rt = (int)(t % rowTiles);
    const long long b = t / rowTiles;
    const int j0 = rt * tileRows, j1 = min(rows, j0 + tileRows), k0 = WG_TILE * kt;
    const int o0 = blockIdx.y * WG_TILE, c0 = blockIdx.z * WG_TILE;
    const bool doDa = partDa != nullptr, pools = blockIdx.z == 0;

    // Loader role: column k0 + nn of the step's plane row, channels r + 8 i (i < 4) of both tiles.
    const int nn = tid & 31, r = tid >> 5, k = k0 + nn;
    const bool kIn = k < cols;
    // Compute role, as mix_weight_grad_partial's.
    const int g = tid >> 6, gt = tid & 63, to = gt >> 3, tc = gt & 7;

    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int q = 0; q < 4; q++) acc[i][q] = 0.0f;
    float rowAcc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    float dbAcc = 0.0f; // threads 0..31: output channel o0 + tid

    for (int j = j0; j < j1; j++) {
        const long long p = (long long)j * cols + k;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const int ch = r + 8 * i;
            const int o = o0 + ch, c = c0 + ch;
            const long long at = (b * cout + o) * P + p;
            const float v = (kIn && o < cout) ? relu_gate<GATED>(dy[at], gate, at) : 0.0f;
            Ds[nn][ch] = v;
            rowAcc[i] += v;
            Xs[nn][ch] = (doDa && kIn && c < cin) ? x[(b * cin + c) * P + p] : 0.0f;
        }
        __syncthreads();
        if (doDa) wg_step(Ds, Xs, g, to, tc, acc);
        if (pools && tid < WG_TILE) {
            float sum = 0.0f;
#pragma unroll 8
            for (int q = 0; q < WG_TILE; q++) sum += Ds[q][tid];
            if (o0 + tid < cout) partCol[(kt * planes + b * cout + o0 + tid) * rows + j] = sum;
            dbAcc += sum;
        }
        __syncthreads();
    }

    if (pools) {
        if (partDb != nullptr && tid < WG_TILE && o0 + tid < cout) partDb[(long long)blockIdx.x * cout + o0 + tid] = dbAcc;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const int o = o0 + r + 8 * i;
            if (kIn && o < cout) partRow[(rt * planes + b * cout + o) * cols + k] = rowAcc[i];
        }
    }
    if (doDa) wg_store_da(acc, red, g, to, tc, o0, c0, cin, cout, partDa);
}

extern "C" __global__ void __launch_bounds__(NFN_THREADS)
mix_weight_grad_pooled(const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ partDa, float* __restrict__ partDb,
                       float* __restrict__ partRow, float* __restrict__ partCol, int batch, int cin, int cout, int rows, int cols,
                       int tileRows) {
    mix_weight_grad_pooled_body<false>(x, dy, nullptr, partDa, partDb, partRow, partCol, batch, cin, cout, rows, cols, tileRows);
}

extern "C" __global__ void __launch_bounds__(NFN_THREADS)
mix_weight_grad_pooled_relu_gated(const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ partDa,
                                  float* __restrict__ partDb, float* __restrict__ partRow, float* __restrict__ partCol, int batch, int cin,
                                  int cout, int rows, int cols, int tileRows, const float* __restrict__ gate) {
    mix_weight_grad_pooled_body<true>(x, dy, gate, partDa, partDb, partRow, partCol, batch, cin, cout, rows, cols, tileRows);
}

extern "C" __global__ void __launch_bounds__(NFN_THREADS)
mix_weight_grad_partial(const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ partDa,
                        float* __restrict__ partDb, int batch, int cin, int cout, int rows, int cols, long long chunk) {
    mix_weight_grad_partial_body<false>(x, dy, nullptr, partDa, partDb, batch, cin, cout, rows, cols, chunk);
}

extern "C" __global__ void __launch_bounds__(NFN_THREADS)
mix_weight_grad_partial_relu_gated(const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ partDa,
                                   float* __restrict__ partDb, int batch, int cin, int cout, int rows, int cols, long long chunk,
                                   const float* __restrict__ gate) {
    mix_weight_grad_partial_body<true>(x, dy, gate, partDa, partDb, batch, cin, cout, rows, cols, chunk);
}

// Backward, weight part, pass 2 of 2: the chunks' partial sums in chunk order, in double, added
// to the gradients:
//   da[o][c] += sum_s partDa[s][o][c]      dbias[o] += sum_s partDb[s][o]
// da (with partDa) and dbias (with partDb) may be null. Grid: 1-d over max(cout * cin, cout).
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
mix_weight_grad_final(const float* __restrict__ partDa, const float* __restrict__ partDb, float* __restrict__ da,
                      float* __restrict__ dbias, int cin, int cout, int chunks) {
    const int idx = blockIdx.x * blockDim.x + threadIdx.x;
    const long long mat = (long long)cout * cin;
    if (da != nullptr && idx < mat) {
        double s = 0.0;
        for (int q = 0; q < chunks; q++) s += partDa[q * mat + idx];
        da[idx] += (float)s;
    }
    if (dbias != nullptr && idx < cout) {
        double s = 0.0;
        for (int q = 0; q < chunks; q++) s += partDb[(long long)q * cout + idx];
        dbias[idx] += (float)s;
    }
}
