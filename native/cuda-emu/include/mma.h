// nvcuda::wmma for the emulator, for the shapes kernels/mix.cu uses: m16n16k8 with TF32 inputs
// and FP32 accumulation, row-major A and B. Every lane of a warp holds the whole tile (so
// num_elements is the tile size) and computes the whole product: results are the same in every
// lane, and a store writes the same values from every lane. Each call is a warp exchange first,
// as the *_sync calls are warp-collective on the GPU.
//
// TF32: __float_to_tf32 rounds to 10 mantissa bits, to nearest with ties away from zero
// (cvt.rna.tf32.f32); the product reads only those bits of its inputs, so mma_sync truncates
// any input that was not converted, and accumulates in FP32 in k order (the tensor core's order
// is unspecified; the result differs from it in the last bits).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "emu.h"

namespace nvcuda {
namespace wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
namespace precision {
struct tf32 {};
}  // namespace precision
enum layout_t { mem_row_major, mem_col_major };

inline float __float_to_tf32(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7f800000u) != 0x7f800000u) {  // finite: round the low 13 bits away, ties away from zero
        u += 0x1000u;
        u &= 0xffffe000u;
    }
    std::memcpy(&f, &u, 4);
    return f;
}

inline float tf32_truncate(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u &= 0xffffe000u;
    std::memcpy(&f, &u, 4);
    return f;
}

template <typename Use, int M, int N, int K, typename T, typename Layout = void>
struct fragment;

template <int M, int N, int K>
struct fragment<matrix_a, M, N, K, precision::tf32, row_major> {
    static constexpr int rows = M, cols = K, num_elements = M * K;
    float x[M * K];
};
template <int M, int N, int K>
struct fragment<matrix_b, M, N, K, precision::tf32, row_major> {
    static constexpr int rows = K, cols = N, num_elements = K * N;
    float x[K * N];
};
template <int M, int N, int K>
struct fragment<accumulator, M, N, K, float, void> {
    static constexpr int rows = M, cols = N, num_elements = M * N;
    float x[M * N];
};

inline void warp_collective() { ::nfn_emu::warp_op(::nfn_emu::WarpOp::SYNC, 0xffffffffu, 0, 0); }

template <typename Frag>
inline void fill_fragment(Frag& f, float v) {
    warp_collective();
    for (int i = 0; i < Frag::num_elements; i++) f.x[i] = v;
}

template <typename Frag>
inline void load_matrix_sync(Frag& f, const float* p, unsigned ldm) {
    warp_collective();
    for (int r = 0; r < Frag::rows; r++)
        for (int c = 0; c < Frag::cols; c++) f.x[r * Frag::cols + c] = p[(size_t)r * ldm + c];
}

template <int M, int N, int K>
inline void mma_sync(fragment<accumulator, M, N, K, float>& d, const fragment<matrix_a, M, N, K, precision::tf32, row_major>& a,
                     const fragment<matrix_b, M, N, K, precision::tf32, row_major>& b,
                     const fragment<accumulator, M, N, K, float>& c) {
    warp_collective();
    float out[M * N];
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float s = c.x[i * N + j];
            for (int k = 0; k < K; k++) s += tf32_truncate(a.x[i * K + k]) * tf32_truncate(b.x[k * N + j]);
            out[i * N + j] = s;
        }
    std::memcpy(d.x, out, sizeof out);
}

template <int M, int N, int K>
inline void store_matrix_sync(float* p, const fragment<accumulator, M, N, K, float>& f, unsigned ldm, layout_t layout) {
    warp_collective();
    for (int r = 0; r < M; r++)
        for (int c = 0; c < N; c++) {
            if (layout == mem_row_major) p[(size_t)r * ldm + c] = f.x[r * N + c];
            else p[(size_t)c * ldm + r] = f.x[r * N + c];
        }
}

}  // namespace wmma
}  // namespace nvcuda
