// The CUDA device language, as far as kernels/*.cu use it, for compiling those same sources with
// g++ into the emulated driver (force-included before them; no kernel source changes for it).
//
// Semantics:
//  * Each thread of a block is a fiber (emu.h); blocks run one after another. __syncthreads
//    waits until every live thread of the block has arrived; a warp exchange (__shfl_xor_sync,
//    __ballot_sync, __syncwarp, the wmma calls) waits until every live lane of the warp has.
//  * __shared__ variables are function-local statics, moved by the build into one section that
//    the scheduler poisons (fills with a NaN pattern) at every launch's start, and at every
//    block's under the race finder, whose runs poison with different patterns: a read of shared
//    memory that the block never wrote propagates a NaN, and differs between those runs.
//  * Floating point is IEEE single and double as on the GPU, built without contraction
//    (-ffp-contract=off), so the __d*_rn intrinsics are plain operations. expf, tanhf, erff and
//    the other math functions are the host C library's (the GPU's differ in the last bits; the
//    tests compare against the reference with a tolerance).
//  * Dynamic shared memory (extern __shared__) is not provided: no kernel uses it, and the
//    driver refuses launches that ask for it.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "emu.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __restrict__ __restrict
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ static

#define threadIdx (::nfn_emu::g_fiber->idx)
#define blockIdx (::nfn_emu::g_blockIdx)
#define blockDim (::nfn_emu::g_blockDim)
#define gridDim (::nfn_emu::g_gridDim)
#define warpSize 32

inline void __syncthreads() { ::nfn_emu::block_barrier(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { ::nfn_emu::warp_op(::nfn_emu::WarpOp::SYNC, mask, 0, 0); }
inline void __threadfence() {}
inline void __threadfence_block() {}
inline void __trap() { ::nfn_emu::device_trap("__trap()"); }

template <typename T>
inline T __shfl_xor_sync(unsigned mask, T v, int laneMask, int width = 32) {
    static_assert(sizeof(T) <= sizeof(uint64_t), "__shfl_xor_sync of a type wider than 8 bytes");
    if (width != 32) ::nfn_emu::device_trap("__shfl_xor_sync with a width other than 32 is not emulated");
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    bits = ::nfn_emu::warp_op(::nfn_emu::WarpOp::SHFL_XOR, mask, bits, laneMask);
    std::memcpy(&v, &bits, sizeof(T));
    return v;
}
inline unsigned __ballot_sync(unsigned mask, int predicate) {
    return (unsigned)::nfn_emu::warp_op(::nfn_emu::WarpOp::BALLOT, mask, predicate != 0, 0);
}
inline int __any_sync(unsigned mask, int predicate) { return (int)::nfn_emu::warp_op(::nfn_emu::WarpOp::ANY, mask, predicate != 0, 0); }
inline int __all_sync(unsigned mask, int predicate) { return (int)::nfn_emu::warp_op(::nfn_emu::WarpOp::ALL, mask, predicate != 0, 0); }

inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
inline int __ffs(int x) { return __builtin_ffs(x); }

// Fibers of one block never run at the same time, so an atomic is a plain read-modify-write;
// the race finder still sees the order dependence of float atomics (their sums differ).
template <typename T>
inline T atomicAdd(T* p, T v) {
    const T old = *p;
    *p = old + v;
    return old;
}
template <typename T>
inline T atomicMax(T* p, T v) {
    const T old = *p;
    if (v > old) *p = v;
    return old;
}
template <typename T>
inline T atomicMin(T* p, T v) {
    const T old = *p;
    if (v < old) *p = v;
    return old;
}
template <typename T>
inline T atomicExch(T* p, T v) {
    const T old = *p;
    *p = v;
    return old;
}
template <typename T>
inline T atomicCAS(T* p, T compare, T v) {
    const T old = *p;
    if (old == compare) *p = v;
    return old;
}

// Bit casts.
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
inline double __longlong_as_double(long long i) { double d; std::memcpy(&d, &i, 8); return d; }
inline long long __double_as_longlong(double d) { long long i; std::memcpy(&i, &d, 8); return i; }

// Round-to-nearest arithmetic: with -ffp-contract=off a plain operation is exactly that.
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __dsqrt_rn(double a) { return std::sqrt(a); }
inline double __fma_rn(double a, double b, double c) { return std::fma(a, b, c); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return std::fmaf(a, b, c); }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline float __expf(float x) { return std::exp(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }

// sin(pi x) and cos(pi x) with an exact argument reduction (as CUDA's sinpi and cospi).
inline double nfn_emu_sinpi(double x) {
    if (!std::isfinite(x)) return NAN;
    double r = std::remainder(x, 2.0);  // exact, in [-1, 1]
    if (r > 0.5) r = 1.0 - r;           // sin(pi (1 - r)) = sin(pi r); exact (Sterbenz)
    else if (r < -0.5) r = -1.0 - r;
    return r == 0.0 ? std::copysign(0.0, x) : std::sin(M_PI * r);
}
inline double nfn_emu_cospi(double x) {
    if (!std::isfinite(x)) return NAN;
    const double r = std::fabs(std::remainder(x, 2.0));  // cos(pi x) = cos(pi |r|), |r| in [0, 1]
    if (r == 0.5) return 0.0;
    return r < 0.25 ? std::cos(M_PI * r) : nfn_emu_sinpi(0.5 - r);  // 0.5 - r exact for r >= 0.25
}
#define sinpi nfn_emu_sinpi
#define cospi nfn_emu_cospi
inline float sinpif(float x) { return (float)nfn_emu_sinpi(x); }
inline float cospif(float x) { return (float)nfn_emu_cospi(x); }

// CUDA's overloaded min and max.
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline float min(float a, float b) { return std::fmin(a, b); }
inline float max(float a, float b) { return std::fmax(a, b); }
inline double min(double a, double b) { return std::fmin(a, b); }
inline double max(double a, double b) { return std::fmax(a, b); }

// Vector types.
struct __attribute__((aligned(8))) float2 { float x, y; };
struct __attribute__((aligned(16))) float4 { float x, y, z, w; };
struct __attribute__((aligned(16))) int4 { int x, y, z, w; };
struct __attribute__((aligned(16))) double2 { double x, y; };
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
using uint3 = ::nfn_emu::Dim3u;

template <typename T>
inline T __ldg(const T* p) { return *p; }
