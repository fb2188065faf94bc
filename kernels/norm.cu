// Layer norms over groups of a tensor: Ops.layerNorm and Ops.layerNormBackward.
//
// x [outer][a][groups][inner] is normalised over (a, inner) for each of the count = outer * groups
// pairs (o, g); gamma, beta [a][inner]. kind (NormShape.Kind ordinals): NORM_STD_PLUS_EPS,
// r = 1 / (std + eps) with the unbiased std (nfn's ChannelLayerNorm); otherwise r = 1 / sqrt(var + eps)
// with the biased var (torch.nn.LayerNorm). One block per group (grid-stride); means and sums in
// double by the fixed-order block sum, so results reproduce bit for bit.
#include "common.cuh"

#define NORM_STD_PLUS_EPS 0

__device__ __forceinline__ double norm_scale(int kind, double ss, int n, double eps) {
    return kind == NORM_STD_PLUS_EPS ? 1.0 / (sqrt(ss / (n - 1)) + eps) : 1.0 / sqrt(ss / n + eps);
}

// The offset of element e = ai * inner + i (e < a * inner) of group q = o * groups + g.
__device__ __forceinline__ long long norm_offset(long long q, int e, int a, int groups, int inner) {
    const long long o = q / groups;
    const int g = (int)(q - o * groups), ai = e / inner, i = e - ai * inner;
    return ((o * a + ai) * groups + g) * inner + i;
}

// Mean and sum of squared deviations of group q; every thread gets both.
__device__ __forceinline__ void norm_moments(const float* x, long long q, int a, int groups, int inner, double* red, double& mean, double& ss) {
    const int n = a * inner;
    double s = 0.0;
    for (int e = threadIdx.x; e < n; e += NFN_THREADS) s += x[norm_offset(q, e, a, groups, inner)];
    mean = block_sum_d(s, red) / n;
    double t = 0.0;
    for (int e = threadIdx.x; e < n; e += NFN_THREADS) {
        const double d = x[norm_offset(q, e, a, groups, inner)] - mean;
        t += d * d;
    }
    ss = block_sum_d(t, red);
}

// y = (x - mean) r gamma + beta: x, y [outer][a][groups][inner], count = outer * groups.
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
layer_norm(const float* __restrict__ x, const float* __restrict__ gamma, const float* __restrict__ beta, float* __restrict__ y,
           long long count, int a, int groups, int inner, int kind, double eps) {
    __shared__ double red[NFN_WARPS];
    const int n = a * inner;
    for (long long q = blockIdx.x; q < count; q += gridDim.x) {
        double mean, ss;
        norm_moments(x, q, a, groups, inner, red, mean, ss);
        const double r = norm_scale(kind, ss, n, eps);
        for (int e = threadIdx.x; e < n; e += NFN_THREADS) {
            const long long off = norm_offset(q, e, a, groups, inner);
            y[off] = (float)((x[off] - mean) * r * gamma[e] + beta[e]);
        }
    }
}

// dx = r (g - mean g) + c (x - mean), g = dy gamma, c the spread term (NormShape.spreadCoefficient);
// dx (null: not wanted) overwritten. stats [count][2] gets (mean, r) of every group for
// layer_norm_param_grad.
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
layer_norm_backward(const float* __restrict__ x, const float* __restrict__ gamma, const float* __restrict__ dy, float* __restrict__ dx,
                    double* __restrict__ stats, long long count, int a, int groups, int inner, int kind, double eps) {
    __shared__ double red[NFN_WARPS];
    const int n = a * inner;
    for (long long q = blockIdx.x; q < count; q += gridDim.x) {
        double mean, ss;
        norm_moments(x, q, a, groups, inner, red, mean, ss);
        const double r = norm_scale(kind, ss, n, eps);
        if (threadIdx.x == 0) {
            stats[2 * q] = mean;
            stats[2 * q + 1] = r;
        }
        if (dx == nullptr) continue;
        double sg = 0.0, sgd = 0.0;
        for (int e = threadIdx.x; e < n; e += NFN_THREADS) {
            const long long off = norm_offset(q, e, a, groups, inner);
            const double g = (double)dy[off] * gamma[e];
            sg += g;
            sgd += g * (x[off] - mean);
        }
        sg = block_sum_d(sg, red);
        sgd = block_sum_d(sgd, red);
        const double meanG = sg / n;
        const double c = kind == NORM_STD_PLUS_EPS ? -r * r * sgd / (sqrt(ss / (n - 1)) * (n - 1)) : -r * r * r * sgd / n;
        for (int e = threadIdx.x; e < n; e += NFN_THREADS) {
            const long long off = norm_offset(q, e, a, groups, inner);
            dx[off] = (float)(r * ((double)dy[off] * gamma[e] - meanG) + c * (x[off] - mean));
        }
    }
}

// dgamma[e] += sum_q dy (x - mean) r, dbeta[e] += sum_q dy over the groups q in order, from
// layer_norm_backward's stats: one thread per parameter entry e < a * inner (either may be null).
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
layer_norm_param_grad(const float* __restrict__ x, const float* __restrict__ dy, const double* __restrict__ stats,
                      float* __restrict__ dgamma, float* __restrict__ dbeta, long long count, int a, int groups, int inner) {
    const int n = a * inner;
    for (int e = blockIdx.x * NFN_THREADS + threadIdx.x; e < n; e += gridDim.x * NFN_THREADS) {
        double sg = 0.0, sb = 0.0;
        for (long long q = 0; q < count; q++) {
            const long long off = norm_offset(q, e, a, groups, inner);
            sg += (double)dy[off] * (x[off] - stats[2 * q]) * stats[2 * q + 1];
            sb += dy[off];
        }
        if (dgamma != nullptr) dgamma[e] += (float)sg;
        if (dbeta != nullptr) dbeta[e] += (float)sb;
    }
}
