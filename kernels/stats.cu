// Plane statistics, the StatNN featurizer: Ops.planeStats and Ops.planeStatsBackward.
//
// Per plane of n values: mean, unbiased variance (NaN for n = 1, as torch), quantiles 0, .25,
// .5, .75, 1 with linear interpolation between the sorted values at floor and ceil of q (n - 1).
// One block per plane. Instead of sorting, each needed sorted position is found by a radix
// select over order-preserving 32-bit keys (4 passes of 8-bit digit histograms; integer shared
// atomics, so the counts and the result are exact and deterministic), which works for any n
// with constant shared memory. The backward also needs *which* element sits at a position:
// ties are ordered by index, as the reference's stable sort (and torch's CPU sort) orders them,
// so the element is the r-th one, in index order, among those equal to the selected key.
// Planes are small and the op is rare; up to 10 selections of 5 passes over the plane each.
#include "common.cuh"

// Keys in the order of Float.compare: -inf < ... < -0 < +0 < ... < +inf < NaN (all NaNs alike).
__device__ __forceinline__ unsigned order_key(float f) {
    if (f != f) return 0xffffffffu;
    const unsigned u = __float_as_uint(f);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

__device__ __forceinline__ float key_value(unsigned k) {
    if (k == 0xffffffffu) return __int_as_float(0x7fffffff);
    return __uint_as_float((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k);
}

struct SelectScratch {
    unsigned hist[256];
    unsigned prefix, rank;
    int warpCount[NFN_WARPS];
    int found;
};

// The key at sorted position `rank` (0-based) of xp[0..n); *within gets the position among the
// elements with that key (0-based, index order). Every thread of the block must call it.
__device__ unsigned select_key(const float* xp, int n, int rank, SelectScratch& s, int* within) {
    unsigned prefix = 0, mask = 0;
    int r = rank;
    for (int shift = 24; shift >= 0; shift -= 8) {
        for (int i = threadIdx.x; i < 256; i += NFN_THREADS) s.hist[i] = 0;
        __syncthreads();
        for (int i = threadIdx.x; i < n; i += NFN_THREADS) {
            const unsigned k = order_key(xp[i]);
            if ((k & mask) == prefix) atomicAdd(&s.hist[(k >> shift) & 255u], 1u);
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            unsigned cum = 0;
            int d = 0;
            for (; d < 255; d++) {
                if (cum + s.hist[d] > (unsigned)r) break;
                cum += s.hist[d];
            }
            s.prefix = prefix | ((unsigned)d << shift);
            s.rank = (unsigned)r - cum;
        }
        __syncthreads();
        prefix = s.prefix;
        r = (int)s.rank;
        mask |= 255u << shift;
        __syncthreads(); // everyone has read prefix and rank before the next pass resets them
    }
    *within = r;
    return prefix;
}

// The index of the r-th element (0-based, index order) of xp[0..n) whose key is `key`.
__device__ int find_nth(const float* xp, int n, unsigned key, int r, SelectScratch& s) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (threadIdx.x == 0) s.found = -1;
    int seen = 0;
    for (int base = 0; base < n; base += NFN_THREADS) {
        const int i = base + threadIdx.x;
        const bool match = i < n && order_key(xp[i]) == key;
        const unsigned ballot = __ballot_sync(0xffffffffu, match);
        if (lane == 0) s.warpCount[warp] = __popc(ballot);
        __syncthreads();
        int before = seen, total = 0;
#pragma unroll
        for (int w = 0; w < NFN_WARPS; w++) {
            if (w < warp) before += s.warpCount[w];
            total += s.warpCount[w];
        }
        before += __popc(ballot & ((1u << lane) - 1u));
        if (match && before == r) s.found = i;
        seen += total;
        __syncthreads();
        if (s.found >= 0) break; // the same value for every thread: read after the barrier
    }
    const int f = s.found;
    __syncthreads(); // s is reused by the next selection
    return f;
}

// Position lo, hi and weight w of quantile q, as the reference computes them.
__device__ __forceinline__ void quantile_position(int q, int n, int& lo, int& hi, double& w) {
    const double qs = q == 0 ? 0.0 : q == 1 ? 0.25 : q == 2 ? 0.5 : q == 3 ? 0.75 : 1.0;
    const double pos = qs * (n - 1);
    lo = (int)floor(pos);
    hi = (int)ceil(pos);
    w = pos - lo;
}

// Mean of xp[0..n) in double (fixed-order block sum); every thread gets it.
__device__ __forceinline__ double plane_mean(const float* xp, int n, double* red) {
    double s = 0.0;
    for (int i = threadIdx.x; i < n; i += NFN_THREADS) s += xp[i];
    return block_sum_d(s, red) / n;
}

// out[p] = (mean, var, q0, q25, q50, q75, q100): x [planes][n], out [planes][7].
// Grid: min(planes, 2^31-1) blocks (grid-stride), NFN_THREADS threads.
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
plane_stats(const float* __restrict__ x, float* __restrict__ out, long long planes, int n) {
    __shared__ SelectScratch s;
    __shared__ double red[NFN_WARPS];
    for (long long p = blockIdx.x; p < planes; p += gridDim.x) {
        const float* xp = x + p * n;
        const double mean = plane_mean(xp, n, red);
        double ss = 0.0;
        for (int i = threadIdx.x; i < n; i += NFN_THREADS) {
            const double d = xp[i] - mean;
            ss += d * d;
        }
        ss = block_sum_d(ss, red);
        float* o = out + p * 7;
        if (threadIdx.x == 0) {
            o[0] = (float)mean;
            o[1] = n > 1 ? (float)(ss / (n - 1)) : __int_as_float(0x7fffffff);
        }
#pragma unroll 1
        for (int q = 0; q < 5; q++) {
            int lo, hi, within;
            double w;
            quantile_position(q, n, lo, hi, w);
            const double vlo = key_value(select_key(xp, n, lo, s, &within));
            const double vhi = hi == lo ? vlo : (double)key_value(select_key(xp, n, hi, s, &within));
            // vlo + w (vhi - vlo), rounded step by step as the reference (no fma)
            if (threadIdx.x == 0) o[2 + q] = (float)__dadd_rn(vlo, __dmul_rn(w, __dsub_rn(vhi, vlo)));
        }
    }
}

// dx[p][i] += d(sum_q dOut[p][q] * stat_q)/dx[p][i]: x, dx [planes][n], dOut [planes][7].
// The gradient is taken in double in the reference's order of operations: the mean's and
// variance's terms, then the quantiles' in order q = 0..4 (lo before hi).
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
plane_stats_backward(const float* __restrict__ x, const float* __restrict__ dOut, float* __restrict__ dx, long long planes, int n) {
    __shared__ SelectScratch s;
    __shared__ double red[NFN_WARPS];
    __shared__ int at[10]; // element at sorted position lo (2q) and hi (2q + 1); -1 when hi == lo
    for (long long p = blockIdx.x; p < planes; p += gridDim.x) {
        const float* xp = x + p * n;
        const float* g = dOut + p * 7;
        const double mean = plane_mean(xp, n, red);
#pragma unroll 1
        for (int q = 0; q < 5; q++) {
            int lo, hi, within;
            double w;
            quantile_position(q, n, lo, hi, w);
            unsigned key = select_key(xp, n, lo, s, &within);
            const int iLo = find_nth(xp, n, key, within, s);
            int iHi = -1;
            if (hi != lo) {
                key = select_key(xp, n, hi, s, &within);
                iHi = find_nth(xp, n, key, within, s);
            }
            if (threadIdx.x == 0) {
                at[2 * q] = iLo;
                at[2 * q + 1] = iHi;
            }
        }
        __syncthreads();
        const float g0 = g[0], g1 = g[1];
        for (int i = threadIdx.x; i < n; i += NFN_THREADS) {
            double gr = (double)(g0 / (float)n); // the reference divides a float by an int: in float
            if (n > 1) gr = __dadd_rn(gr, __ddiv_rn(__dmul_rn((double)(g1 * 2.0f), __dsub_rn((double)xp[i], mean)), (double)(n - 1)));
#pragma unroll
            for (int q = 0; q < 5; q++) {
                int lo, hi;
                double w;
                quantile_position(q, n, lo, hi, w);
                const double gq = g[2 + q];
                if (i == at[2 * q]) gr = __dadd_rn(gr, __dmul_rn(gq, __dsub_rn(1.0, w)));
                if (i == at[2 * q + 1]) gr = __dadd_rn(gr, __dmul_rn(gq, w));
            }
            dx[p * n + i] += (float)gr;
        }
        __syncthreads(); // `at` is rewritten for the next plane
    }
}
