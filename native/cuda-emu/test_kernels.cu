// Kernels with deliberate bugs, compiled into the emulation only (never into the fatbin), so
// that its tests can show each check catching what it is for (CudaEmulationTest).
#include "common.cuh"

// A block sum with the barrier between the shared-memory store and the loads missing.
extern "C" __global__ void nfn4j_emu_test_racy_sum(const float* x, float* out, int n) {
    __shared__ float part[NFN_THREADS];
    const int t = threadIdx.x;
    part[t] = t < n ? x[t] : 0.0f;
    // missing: __syncthreads();
    if (t == 0) {
        float s = 0.0f;
        for (int i = 0; i < NFN_THREADS; i++) s += part[i];
        out[blockIdx.x] = s;
    }
}

// The same sum, correct.
extern "C" __global__ void nfn4j_emu_test_block_sum(const float* x, float* out, int n) {
    __shared__ float part[NFN_THREADS];
    const int t = threadIdx.x;
    part[t] = t < n ? x[t] : 0.0f;
    __syncthreads();
    if (t == 0) {
        float s = 0.0f;
        for (int i = 0; i < NFN_THREADS; i++) s += part[i];
        out[blockIdx.x] = s;
    }
}

// Thread t writes y[t] for t <= n: one element past an n-element buffer.
extern "C" __global__ void nfn4j_emu_test_write_past(float* y, int n) {
    const int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t <= n) y[t] = 1.0f;
}

// Reads a shared element no thread wrote.
extern "C" __global__ void nfn4j_emu_test_uninitialized_shared(float* y) {
    __shared__ float s[64];
    if (threadIdx.x < 32) s[threadIdx.x] = 1.0f;
    __syncthreads();
    if (threadIdx.x == 0) y[0] = s[40];
}

// A __syncthreads that only half the block reaches.
extern "C" __global__ void nfn4j_emu_test_divergent_barrier(float* y) {
    if (threadIdx.x < 16) __syncthreads();
    y[threadIdx.x] = 1.0f;
}

// A full-warp shuffle after half the warp has returned.
extern "C" __global__ void nfn4j_emu_test_shuffle_after_exit(float* y) {
    if (threadIdx.x >= 16) return;
    y[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1.0f, 1);
}

// Two blocks writing the same element, each its own value: the result depends on block order.
extern "C" __global__ void nfn4j_emu_test_blocks_collide(float* y) {
    if (threadIdx.x == 0) y[0] = (float)blockIdx.x;
}

// Reads one element past an n-element buffer.
extern "C" __global__ void nfn4j_emu_test_read_past(const float* x, float* y, int n) {
    if (threadIdx.x == 0) y[0] = x[n];
}

// A kernel compiled for blocks of at most 128 threads: a launch of 256 a block must be refused.
extern "C" __global__ void __launch_bounds__(128) nfn4j_emu_test_bounded(float* y) {
    y[blockIdx.x * blockDim.x + threadIdx.x] = 1.0f;
}
