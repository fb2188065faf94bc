// Plane pools and their adjoint: Ops.planeReduce and Ops.planeBroadcast.
//
// A plane batch is `planes` contiguous planes of rows x cols floats (for a weight-space tensor,
// planes = B * C). rows * cols < 2^31 (checked on the host); plane and element offsets are 64-bit.
#include "common.cuh"
#include "act.cuh"

// Per plane p, in one read of the plane:
//   rowOut[p][k] = sr * sum_j x[p][j][k]      [planes][cols]
//   colOut[p][j] = sc * sum_k x[p][j][k]      [planes][rows]
//   allOut[p]    = sa * sum_{j,k} x[p][j][k]  [planes]
// Any output may be null. Grid: min(planes, 2^31-1) blocks of NFN_THREADS (grid-stride over
// planes); the block walks the plane in strips of 32 columns, warp w taking rows j = w (mod 8):
//  * colOut: the warp sums each row's strip with a butterfly; lane 0 of that warp (always the
//    same thread for row j) adds strip after strip into colOut[p][j] and scales after the last;
//  * rowOut: each lane sums its column over its rows, then warp 0 adds the 8 warps' partials
//    in warp order;
//  * allOut: each thread's running total, then a fixed-order block sum in double.
// GATED (plane_reduce_relu_gated, the backward's dOut pooling through a fused ReLU: x is dy, gate
// the forward's output in x's layout): each x value is first multiplied by relu'(gate)
// (relu_gate), so the pools are those of the gradient before the ReLU, in the same pass.
template <bool GATED>
__device__ __forceinline__ void
plane_reduce_body(const float* __restrict__ x, const float* __restrict__ gate, float* __restrict__ rowOut, float* __restrict__ colOut,
                  float* __restrict__ allOut, long long planes, int rows, int cols, double sr, double sc, double sa) {
    __shared__ float colPart[NFN_WARPS][33];
    __shared__ double red[NFN_WARPS];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const long long plane = (long long)rows * cols;
    for (long long p = blockIdx.x; p < planes; p += gridDim.x) {
        const float* xp = x + p * plane;
        const float* gp = GATED ? gate + p * plane : nullptr;
        float total = 0.0f;
        for (int k0 = 0; k0 < cols; k0 += 32) {
            const int k = k0 + lane;
            const bool inside = k < cols;
            const bool lastStrip = k0 + 32 >= cols;
            float colAcc = 0.0f;
            for (int j = warp; j < rows; j += NFN_WARPS) {
                const long long at = (long long)j * cols + k;
                const float v = inside ? relu_gate<GATED>(xp[at], gp, at) : 0.0f;
                colAcc += v;
                if (colOut != nullptr) {
                    const float s = warp_sum(v);
                    if (lane == 0) {
                        float* dst = colOut + p * rows + j;
                        const float acc = k0 == 0 ? s : *dst + s;
                        *dst = lastStrip ? (float)((double)acc * sc) : acc;
                    }
                }
            }
            total += colAcc;
            if (rowOut != nullptr) {
                colPart[warp][lane] = colAcc;
                __syncthreads();
                if (warp == 0 && inside) {
                    float s = 0.0f;
#pragma unroll
                    for (int w = 0; w < NFN_WARPS; w++) s += colPart[w][lane];
                    rowOut[p * cols + k] = (float)((double)s * sr);
                }
                __syncthreads();
            }
        }
        if (allOut != nullptr) {
            const double t = block_sum_d((double)total, red);
            if (threadIdx.x == 0) allOut[p] = (float)(t * sa);
        }
    }
}

extern "C" __global__ void __launch_bounds__(NFN_THREADS)
plane_reduce(const float* __restrict__ x, float* __restrict__ rowOut, float* __restrict__ colOut,
             float* __restrict__ allOut, long long planes, int rows, int cols, double sr, double sc, double sa) {
    plane_reduce_body<false>(x, nullptr, rowOut, colOut, allOut, planes, rows, cols, sr, sc, sa);
}

extern "C" __global__ void __launch_bounds__(NFN_THREADS)
plane_reduce_relu_gated(const float* __restrict__ x, float* __restrict__ rowOut, float* __restrict__ colOut,
                        float* __restrict__ allOut, long long planes, int rows, int cols, double sr, double sc, double sa,
                        const float* __restrict__ gate) {
    plane_reduce_body<true>(x, gate, rowOut, colOut, allOut, planes, rows, cols, sr, sc, sa);
}

// The adjoint of plane_reduce, accumulated:
//   dx[p][j][k] += sRow * row[p][k] + sCol * col[p][j] + sAll * all[p]
// row [planes][cols], col [planes][rows], all [planes] (each may be null), dx [planes][rows][cols].
// The sum is taken in double (each product of two floats is exact there), as the reference does.
// Grid: 1-d grid-stride over planes * rows * cols elements.
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
plane_broadcast(const float* __restrict__ row, float sRow, const float* __restrict__ col, float sCol,
                const float* __restrict__ all, float sAll, float* __restrict__ dx, long long planes, int rows, int cols) {
    const int plane = rows * cols;
    const long long n = planes * plane;
    const bool narrow = n < 2147483648LL;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        long long p;
        int q;
        split_plane_index(i, plane, narrow, p, q);
        const int j = q / cols, k = q - j * cols;
        double acc = 0.0;
        if (row != nullptr) acc += (double)sRow * row[p * cols + k];
        if (col != nullptr) acc += (double)sCol * col[p * rows + j];
        if (all != nullptr) acc += (double)sAll * all[p];
        dx[i] += (float)acc;
    }
}
