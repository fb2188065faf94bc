// Softmax attention within independent token sets: Ops.attention and Ops.attentionBackward.
//
// qkv [groups][tokens][3][dim] (each token's query, key, value), probs [groups][tokens][tokens],
// out and dOut [groups][tokens][dim]. Token sets are small (a neuron set of a weight space and its
// neighbours), so one block takes one set (grid-stride over sets) and loops over it in phases
// separated by barriers; every dot product and sum is one thread's loop in double, in index order.
#include "common.cuh"

// probs = softmax(scale q k^T) by rows, out = probs v.
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
attention(const float* __restrict__ qkv, float* __restrict__ probs, float* __restrict__ out,
          long long groups, int tokens, int dim, float scale) {
    const int T = tokens, D = dim;
    for (long long g = blockIdx.x; g < groups; g += gridDim.x) {
        const float* q = qkv + g * 3LL * T * D;
        float* p = probs + g * (long long)T * T;
        float* o = out + g * (long long)T * D;
        for (int idx = threadIdx.x; idx < T * T; idx += NFN_THREADS) {
            const int t = idx / T, u = idx - t * T;
            double dot = 0.0;
            for (int d = 0; d < D; d++) dot += (double)q[t * 3 * D + d] * q[u * 3 * D + D + d];
            p[idx] = (float)(dot * scale);
        }
        __syncthreads();
        for (int t = threadIdx.x; t < T; t += NFN_THREADS) {
            double mx = -INFINITY, sum = 0.0;
            for (int u = 0; u < T; u++) mx = fmax(mx, (double)p[t * T + u]);
            for (int u = 0; u < T; u++) sum += exp(p[t * T + u] - mx);
            for (int u = 0; u < T; u++) p[t * T + u] = (float)(exp(p[t * T + u] - mx) / sum);
        }
        __syncthreads();
        for (int idx = threadIdx.x; idx < T * D; idx += NFN_THREADS) {
            const int t = idx / D, d = idx - t * D;
            double acc = 0.0;
            for (int u = 0; u < T; u++) acc += (double)p[t * T + u] * q[u * 3 * D + 2 * D + d];
            o[idx] = (float)acc;
        }
        __syncthreads();
    }
}

// dqkv (overwritten) from dOut: dS = P (dP - rowsum(P dP)) with dP = dOut v^T held in dScores,
// [gridDim.x][tokens][tokens] doubles (one slice per block); dq = scale dS k, dk = scale dS^T q,
// dv = P^T dOut.
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
attention_backward(const float* __restrict__ qkv, const float* __restrict__ probs, const float* __restrict__ dOut,
                   float* __restrict__ dqkv, double* __restrict__ dScores, long long groups, int tokens, int dim, float scale) {
    const int T = tokens, D = dim;
    double* ds = dScores + (long long)blockIdx.x * T * T;
    for (long long g = blockIdx.x; g < groups; g += gridDim.x) {
        const float* q = qkv + g * 3LL * T * D;
        const float* p = probs + g * (long long)T * T;
        const float* go = dOut + g * (long long)T * D;
        float* dq = dqkv + g * 3LL * T * D;
        for (int idx = threadIdx.x; idx < T * T; idx += NFN_THREADS) {
            const int t = idx / T, u = idx - t * T;
            double dp = 0.0;
            for (int d = 0; d < D; d++) dp += (double)go[t * D + d] * q[u * 3 * D + 2 * D + d];
            ds[idx] = dp;
        }
        __syncthreads();
        for (int t = threadIdx.x; t < T; t += NFN_THREADS) {
            double rowSum = 0.0;
            for (int u = 0; u < T; u++) rowSum += p[t * T + u] * ds[t * T + u];
            for (int u = 0; u < T; u++) ds[t * T + u] = p[t * T + u] * (ds[t * T + u] - rowSum);
        }
        __syncthreads();
        for (int idx = threadIdx.x; idx < T * D; idx += NFN_THREADS) {
            const int t = idx / D, d = idx - t * D;
            double aq = 0.0, ak = 0.0, av = 0.0;
            for (int u = 0; u < T; u++) {
                aq += ds[t * T + u] * q[u * 3 * D + D + d];
                ak += ds[u * T + t] * q[u * 3 * D + d];
                av += (double)p[u * T + t] * go[u * D + d];
            }
            dq[t * 3 * D + d] = (float)(aq * scale);
            dq[t * 3 * D + D + d] = (float)(ak * scale);
            dq[t * 3 * D + 2 * D + d] = (float)av;
        }
        __syncthreads();
    }
}
