// Strided 4-d copy: Ops.copy4d.
#include "common.cuh"

// For every index below the dims: dst[sum i * dstStride] (+)= src[sum i * srcStride].
// The host splits the four axes in two, keeping their order:
//  * outer axes (o0..o3, padded with extent 1 at the front): those with a non-zero destination
//    stride, or extent 1; each outer index is one destination element, owned by one thread;
//  * summed axes (z0..z3, padded likewise): a zero destination stride and extent > 1 (only with
//    accumulate). The owning thread walks them in index order and adds one value after another
//    into the destination, exactly the reference's sequence of float additions (bit-identical).
// Strides are in elements and may be zero on the source (a broadcast). Without accumulate and
// with summed axes, the last value wins, as in the reference. Grid: 1-d grid-stride over
// outer = o0 * o1 * o2 * o3.
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
copy4d(const float* src, float* dst, long long outer,
       int o0, int o1, int o2, int o3, long long os0, long long os1, long long os2, long long os3,
       long long od0, long long od1, long long od2, long long od3,
       int z0, int z1, int z2, int z3, long long zs0, long long zs1, long long zs2, long long zs3, int accumulate) {
    for (long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x; idx < outer; idx += (long long)gridDim.x * blockDim.x) {
        long long rest = idx;
        const long long i3 = rest % o3;
        rest /= o3;
        const long long i2 = rest % o2;
        rest /= o2;
        const long long i1 = rest % o1;
        const long long i0 = rest / o1;
        const long long s = i0 * os0 + i1 * os1 + i2 * os2 + i3 * os3;
        const long long d = i0 * od0 + i1 * od1 + i2 * od2 + i3 * od3;
        float v = accumulate ? dst[d] : 0.0f;
        for (int a = 0; a < z0; a++)
            for (int b = 0; b < z1; b++)
                for (int c = 0; c < z2; c++)
                    for (int e = 0; e < z3; e++) {
                        const float sv = src[s + a * zs0 + b * zs1 + c * zs2 + e * zs3];
                        v = accumulate ? v + sv : sv;
                    }
        dst[d] = v;
    }
}
