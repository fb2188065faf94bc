// Adam / AdamW (Ops.adamStep), with PyTorch's semantics, in float32 like the reference and torch.optim.
//
// The per-step scalars live in a small device array, hyper[4] = (lr / bc1, sqrt(bc2), decay, l2)
// with bc1 = 1 - beta1^step, bc2 = 1 - beta2^step, decay = 1 - lr wd for AdamW (else 1) and
// l2 = wd for Adam with weight decay (else 0), in double as PyTorch's Python computes them. One
// single-thread kernel writes them, either from values the host computed (adam_hyper_set: the
// reference's floats, AdamScalars) or from a step counter on the device (adam_hyper_from_counter:
// nothing about the step is baked into a captured CUDA graph). adam_step then reads them and casts
// each to float, as PyTorch's float kernels cast a Python scalar. Every operation is an explicit
// round-to-nearest intrinsic in the reference's order, fused multiply-adds exactly where PyTorch's
// CPU kernels fuse them (add with alpha, addcmul), so the compiler cannot contract anything else:
// given the same scalars, the update is bit-identical to ReferenceOps.adamStep.
#include "common.cuh"

extern "C" __global__ void adam_hyper_set(double* hyper, double stepSize, double bc2Sqrt, double decay, double l2) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        hyper[0] = stepSize;
        hyper[1] = bc2Sqrt;
        hyper[2] = decay;
        hyper[3] = l2;
    }
}

// counter[0] holds the steps taken so far (an exact integer in a float, below 2^24). This step
// is counter[0] + 1, at learning rate lr * min(1, step / warmup) (lr when warmup is 0); the
// counter is then incremented. Launch with one thread, before adam_step in the same stream.
extern "C" __global__ void adam_hyper_from_counter(float* counter, double* hyper, double lr, double beta1, double beta2,
                                                   double weightDecay, int decoupled, int warmup) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    const double t = counter[0], step = t + 1.0;
    const double lrNow = warmup > 0 ? lr * fmin(1.0, (t + 1.0) / warmup) : lr;
    const double bc1 = 1.0 - pow(beta1, step), bc2 = 1.0 - pow(beta2, step);
    hyper[0] = lrNow / bc1;
    hyper[1] = sqrt(bc2);
    hyper[2] = (weightDecay != 0.0 && decoupled) ? __dsub_rn(1.0, __dmul_rn(lrNow, weightDecay)) : 1.0;
    hyper[3] = (weightDecay != 0.0 && !decoupled) ? weightDecay : 0.0;
    counter[0] = (float)step;
}

// One update of n parameters: param, m, v updated in place from grad, all [n].
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
adam_step(float* __restrict__ param, const float* __restrict__ grad, float* __restrict__ m, float* __restrict__ v,
          const double* __restrict__ hyper, long long n, double beta1, double beta2, double eps) {
    const float negStep = -(float)hyper[0], bc2Sqrt = (float)hyper[1], decay = (float)hyper[2], l2 = (float)hyper[3];
    const float b1 = (float)beta1, b2 = (float)beta2, oneMinusB1 = (float)(1.0 - beta1), oneMinusB2 = (float)(1.0 - beta2);
    const float epsf = (float)eps;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        float p = param[i], g = grad[i];
        if (decay != 1.0f) p = __fmul_rn(p, decay);                                  // param.mul_(1 - lr wd)
        if (l2 != 0.0f) g = __fmaf_rn(p, l2, g);                                     // grad.add(param, alpha=wd)
        const float mi = __fmaf_rn(g, oneMinusB1, __fmul_rn(m[i], b1));              // exp_avg.mul_(b1).add_(grad, alpha=1-b1)
        const float vi = __fmaf_rn(__fmul_rn(g, oneMinusB2), g, __fmul_rn(v[i], b2)); // exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=1-b2)
        m[i] = mi;
        v[i] = vi;
        const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bc2Sqrt), epsf);       // (exp_avg_sq.sqrt() / bc2_sqrt).add_(eps)
        param[i] = __fadd_rn(p, __fdiv_rn(__fmul_rn(negStep, mi), denom));           // param.addcdiv_(exp_avg, denom, value=-step_size)
    }
}
