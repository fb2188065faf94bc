// The channel-mix lab, in the style of llm.c's dev/cuda: the versions of the channel mix side by
// side on the workloads' shapes, each validated against a CPU reference, then timed with CUDA
// events against a device-to-device copy of the same bytes. The versions are the production
// kernels themselves (mix.cu is included, nothing is copied); a new candidate goes here as a new
// kernel, and a winner is promoted by moving it into mix.cu.
//
//   nvcc -std=c++17 -O3 -arch=sm_90 -I kernels -o /tmp/mix_lab kernels/dev/channel_mix_lab.cu && /tmp/mix_lab
//
// (native/gpu-check.sh runs it as its "lab" stage; it needs a GPU to run, only nvcc to build.)
// Versions:
//   1 fp32, 4-byte loads of x   channel_mix_body<false, false>
//   2 fp32, 16-byte loads of x  channel_mix_body<true, false> (production picks it when planes are multiples of 4 floats and x is aligned)
//   3 tf32 tensor cores         channel_mix_tf32 (opt-in in production: -Dnfn4j.tf32=true, cin and cout >= 64)
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <vector>
#include <cuda_runtime.h>
#include "mix.cu"

#define CHECK(call)                                                                              \
    do {                                                                                         \
        cudaError_t e_ = (call);                                                                 \
        if (e_ != cudaSuccess) {                                                                 \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
            exit(1);                                                                             \
        }                                                                                        \
    } while (0)

extern "C" __global__ void __launch_bounds__(NFN_THREADS)
lab_mix_scalar(const float* x, const float* a, const float* bias, float* y, int batch, int cin, int cout, int rows, int cols) {
    __shared__ __align__(16) float As[MIX_BK][MIX_BM];
    __shared__ __align__(16) float Xs[MIX_BK][MIX_BN];
    channel_mix_body<false, false>(x, nullptr, a, bias, nullptr, nullptr, nullptr, y, batch, cin, cout, rows, cols, cin, 1, 0, ACT_IDENTITY, As, Xs);
}

extern "C" __global__ void __launch_bounds__(NFN_THREADS)
lab_mix_vec(const float* x, const float* a, const float* bias, float* y, int batch, int cin, int cout, int rows, int cols) {
    __shared__ __align__(16) float As[MIX_BK][MIX_BM];
    __shared__ __align__(16) float Xs[MIX_BK][MIX_BN];
    channel_mix_body<true, false>(x, nullptr, a, bias, nullptr, nullptr, nullptr, y, batch, cin, cout, rows, cols, cin, 1, 0, ACT_IDENTITY, As, Xs);
}

struct Shape {
    const char* name;
    int batch, cin, cout, rows, cols;
};

// y[b][o][p] = sum_c a[o][c] x[b][c][p] + bias[o], in double.
static void reference(const Shape& s, const std::vector<float>& x, const std::vector<float>& a, const std::vector<float>& bias,
                      std::vector<float>& y) {
    const long long P = (long long)s.rows * s.cols;
    std::vector<double> acc(P);
    for (int b = 0; b < s.batch; b++)
        for (int o = 0; o < s.cout; o++) {
            for (long long p = 0; p < P; p++) acc[p] = bias[o];
            for (int c = 0; c < s.cin; c++) {
                const double w = a[(size_t)o * s.cin + c];
                const float* xr = &x[((size_t)b * s.cin + c) * P];
                for (long long p = 0; p < P; p++) acc[p] += w * xr[p];
            }
            for (long long p = 0; p < P; p++) y[((size_t)b * s.cout + o) * P + p] = (float)acc[p];
        }
}

static double relL2(const std::vector<float>& got, const std::vector<float>& want) {
    double d = 0, n = 0;
    for (size_t i = 0; i < got.size(); i++) {
        const double e = (double)got[i] - want[i];
        d += e * e;
        n += (double)want[i] * want[i];
    }
    return std::sqrt(d / (n > 0 ? n : 1));
}

template <typename Launch>
static float timeMs(Launch launch, int reps) {
    cudaEvent_t t0, t1;
    CHECK(cudaEventCreate(&t0));
    CHECK(cudaEventCreate(&t1));
    for (int i = 0; i < 3; i++) launch();
    CHECK(cudaEventRecord(t0));
    for (int i = 0; i < reps; i++) launch();
    CHECK(cudaEventRecord(t1));
    CHECK(cudaEventSynchronize(t1));
    float ms = 0;
    CHECK(cudaEventElapsedTime(&ms, t0, t1));
    CHECK(cudaEventDestroy(t0));
    CHECK(cudaEventDestroy(t1));
    return ms / reps;
}

int main(int argc, char** argv) {
    const int reps = argc > 1 ? atoi(argv[1]) : 20;
    const Shape shapes[] = {
        {"zoo 144->144 @16x16 B8", 8, 144, 144, 16, 16},
        {"siren 128->128 @32x32 B32", 32, 128, 128, 32, 32},
        {"mlp256 32->32 @256x256 B8", 8, 32, 32, 256, 256},
        {"mlp1024 32->32 @1024x1024 B16", 16, 32, 32, 1024, 1024},
        {"uneven 65->70 @7x13 B3", 3, 65, 70, 7, 13},
    };
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    printf("channel-mix lab on %s (sm_%d%d), %d timed runs each\n", prop.name, prop.major, prop.minor, reps);
    printf("%-30s %-14s %10s %9s %9s %8s %10s\n", "shape", "version", "ms", "GB/s", "GFLOP/s", "%copy", "rel.L2");
    unsigned long long state = 7; // a cheap generator: the largest shape has 537 M inputs
    auto g = [&] { state = state * 6364136223846793005ULL + 1442695040888963407ULL; return (float)((state >> 40) * (2.0 / 16777216.0) - 1.0); };
    int failures = 0;
    for (const Shape& s : shapes) {
        const long long P = (long long)s.rows * s.cols, N = (long long)s.batch * P;
        const size_t nx = (size_t)s.batch * s.cin * P, ny = (size_t)s.batch * s.cout * P, na = (size_t)s.cout * s.cin;
        std::vector<float> x(nx), a(na), bias(s.cout);
        for (auto& v : x) v = g();
        for (auto& v : a) v = g() / std::sqrt((float)s.cin);
        for (auto& v : bias) v = g();
        const bool checkAll = ny <= (64u << 20); // the CPU reference of the largest shape takes too long: checked on its first sample
        Shape ref = s;
        if (!checkAll) ref.batch = 1;
        std::vector<float> wantRef((size_t)ref.batch * s.cout * P);
        reference(ref, x, a, bias, wantRef);
        float *dx, *da, *db, *dy, *dcopy;
        CHECK(cudaMalloc(&dx, nx * 4));
        CHECK(cudaMalloc(&da, na * 4));
        CHECK(cudaMalloc(&db, s.cout * 4));
        CHECK(cudaMalloc(&dy, ny * 4));
        CHECK(cudaMalloc(&dcopy, (nx > ny ? nx : ny) * 4));
        CHECK(cudaMemcpy(dx, x.data(), nx * 4, cudaMemcpyHostToDevice));
        CHECK(cudaMemcpy(da, a.data(), na * 4, cudaMemcpyHostToDevice));
        CHECK(cudaMemcpy(db, bias.data(), s.cout * 4, cudaMemcpyHostToDevice));
        const double bytes = 4.0 * (nx + ny), flops = 2.0 * s.batch * s.cin * s.cout * P;
        // The floor: a device-to-device copy moving the same bytes (read x, write y's size).
        const float copyMs = timeMs([&] { CHECK(cudaMemcpyAsync(dcopy, dx, nx * 4, cudaMemcpyDeviceToDevice)); }, reps) * (float)(bytes / (8.0 * nx));
        for (int v = 1; v <= 3; v++) {
            const char* name = v == 1 ? "fp32 4-byte" : v == 2 ? "fp32 16-byte" : "tf32 wmma";
            if (v == 2 && (P % 4) != 0) {
                printf("%-30s %-14s %10s (planes not a multiple of 4 floats)\n", s.name, name, "-");
                continue;
            }
            auto launch = [&] {
                if (v == 3) {
                    dim3 grid((unsigned)((N + T32_BN - 1) / T32_BN), (unsigned)((s.cout + T32_BM - 1) / T32_BM));
                    channel_mix_tf32<<<grid, NFN_THREADS>>>(dx, da, db, nullptr, nullptr, nullptr, dy, s.batch, s.cin, s.cout, s.rows, s.cols,
                                                            s.cin, 1, 0, ACT_IDENTITY);
                } else {
                    dim3 grid((unsigned)((N + MIX_BN - 1) / MIX_BN), (unsigned)((s.cout + MIX_BM - 1) / MIX_BM));
                    if (v == 1) lab_mix_scalar<<<grid, NFN_THREADS>>>(dx, da, db, dy, s.batch, s.cin, s.cout, s.rows, s.cols);
                    else lab_mix_vec<<<grid, NFN_THREADS>>>(dx, da, db, dy, s.batch, s.cin, s.cout, s.rows, s.cols);
                }
            };
            CHECK(cudaMemset(dy, 0xff, ny * 4)); // NaN: an output no thread writes fails the check
            launch();
            CHECK(cudaGetLastError());
            CHECK(cudaDeviceSynchronize());
            std::vector<float> got(wantRef.size());
            CHECK(cudaMemcpy(got.data(), dy, got.size() * 4, cudaMemcpyDeviceToHost));
            const double err = relL2(got, wantRef);
            const double tol = v == 3 ? 2e-3 : 1e-5;
            const bool ok = std::isfinite(err) && err <= tol;
            if (!ok) failures++;
            const float ms = timeMs(launch, reps);
            printf("%-30s %-14s %10.4f %9.1f %9.1f %7.0f%% %10.2e%s\n", s.name, name, ms, bytes / ms / 1e6, flops / ms / 1e6,
                   100.0 * copyMs / ms, err, ok ? "" : "  FAILED");
        }
        printf("%-30s %-14s %10.4f %9.1f\n", s.name, "(d2d copy)", copyMs, bytes / copyMs / 1e6);
        CHECK(cudaFree(dx));
        CHECK(cudaFree(da));
        CHECK(cudaFree(db));
        CHECK(cudaFree(dy));
        CHECK(cudaFree(dcopy));
    }
    if (failures) printf("lab: %d version(s) FAILED validation\n", failures);
    else printf("lab: every version matches the CPU reference\n");
    return failures ? 1 : 0;
}
