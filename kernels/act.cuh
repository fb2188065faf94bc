// The activations, shared by the elementwise kernels and the channel mix's epilogue (one
// definition, so a fused activation is bit-identical to the separate activation kernel).
#pragma once

// Activation codes: dev.nfn4j.ops.Act ordinals (CudaKernelSignatureTest checks them).
#define ACT_IDENTITY 0
#define ACT_RELU 1
#define ACT_SIGMOID 2
#define ACT_TANH 3
#define ACT_GELU 4
#define ACT_SIN 5

__device__ __forceinline__ float sigmoidf(float x) {
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    const float e = expf(x);
    return e / (1.0f + e);
}

// sin and cos through sinpi/cospi of x / pi in double: their argument reduction is exact and
// needs no local memory, unlike sinf's slow path for |x| > 105615 (a 32-byte stack frame).
__device__ __forceinline__ float sin_acc(float x) { return (float)sinpi((double)x * 0.31830988618379067154); }
__device__ __forceinline__ float cos_acc(float x) { return (float)cospi((double)x * 0.31830988618379067154); }

__device__ __forceinline__ float act_apply(int act, float x) {
    switch (act) {
        case ACT_RELU: return x <= 0.0f ? 0.0f : x; // NaN stays NaN, as torch.relu
        case ACT_SIGMOID: return sigmoidf(x);
        case ACT_TANH: return tanhf(x);
        case ACT_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
        case ACT_SIN: return sin_acc(x);
        default: return x;
    }
}

__device__ __forceinline__ float act_derivative(int act, float x) {
    switch (act) {
        case ACT_RELU: return x <= 0.0f ? 0.0f : 1.0f; // the gradient passes unless x <= 0 (NaN passes)
        case ACT_SIGMOID: {
            const float s = sigmoidf(x);
            return s * (1.0f - s);
        }
        case ACT_TANH: {
            const float t = tanhf(x);
            return 1.0f - t * t;
        }
        case ACT_GELU:
            return 0.5f * (1.0f + erff(x * 0.70710678118654752f)) + x * expf(-0.5f * x * x) * 0.39894228040143268f;
        case ACT_SIN: return cos_acc(x);
        default: return 1.0f;
    }
}

// The gradient before a fused ReLU, dy * relu'(y), taken from the ReLU's output y as
// activation_backward computes it when handed y (ReLU and identity are the activations whose
// derivative follows from their output: dev.nfn4j.ops.Act.derivativeFromOutput). The backward
// kernels' _relu_gated variants apply it as they load dy (GATED, gate = y in dy's layout), so that
// gradient is never stored; the plain variants (GATED false) compile exactly as before.
template <bool GATED>
__device__ __forceinline__ float relu_gate(float dy, const float* __restrict__ gate, long long i) {
    if constexpr (GATED) return dy * act_derivative(ACT_RELU, gate[i]);
    else return dy;
}
