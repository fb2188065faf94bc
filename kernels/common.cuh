// Helpers shared by every kernel family (included once per translation unit; the build compiles
// all kernels/*.cu as one unit, so nothing here may be defined twice).
//
// Conventions of every kernel in this folder:
//  * extern "C" __global__, parameters only of the types float*, const float*, double*,
//    const double*, int, long long, float and double (the Java side checks its launches against
//    these signatures, parsed from the sources: CudaKernelSignatureTest).
//  * Element counts and offsets that can pass 2^31 (planes * rows * cols over a batch) are
//    long long; a plane (rows * cols) and channel counts are int, checked on the host.
//  * Optional tensors are null pointers, as in the Ops SPI.
//  * Reductions are deterministic: a fixed partition and a fixed combining order, never float
//    atomics, so a run reproduces bit for bit on the same GPU.
#pragma once

#define NFN_THREADS 256
#define NFN_WARPS (NFN_THREADS / 32)

// Sum over a warp by a fixed butterfly: every lane ends with the same value, computed in the
// same order on every run.
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ double warp_sum_d(double v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Sum of one value per thread over a block of NFN_THREADS threads, in a fixed order (warp
// butterflies, then warp 0 over the warp totals). Every thread gets the result. scratch holds
// NFN_WARPS doubles; the call contains barriers, so every thread of the block must make it.
__device__ __forceinline__ double block_sum_d(double v, double* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = warp_sum_d(v);
    __syncthreads(); // scratch may still be read by a previous call
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    double t = lane < NFN_WARPS ? scratch[lane] : 0.0;
    if (warp == 0) t = warp_sum_d(t);
    if (threadIdx.x == 0) scratch[0] = t;
    __syncthreads();
    double r = scratch[0];
    return r;
}

// Splits a flat element index of a plane batch into (plane, position); `narrow` when the whole
// batch has fewer than 2^31 elements, so 32-bit division does.
__device__ __forceinline__ void split_plane_index(long long i, int plane, bool narrow, long long& p, int& q) {
    if (narrow) {
        const unsigned ui = (unsigned)i, up = ui / (unsigned)plane;
        p = up;
        q = (int)(ui - up * (unsigned)plane);
    } else {
        p = i / plane;
        q = (int)(i - p * plane);
    }
}
