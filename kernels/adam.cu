// Adam / AdamW (Ops.adamStep), with PyTorch's semantics, in double precision like the reference.
//
// The per-step scalars live in a small device array, hyper[4] = (lr / bc1, sqrt(bc2), decay, l2)
// with bc1 = 1 - beta1^step, bc2 = 1 - beta2^step, decay = 1 - lr wd for AdamW (else 1) and
// l2 = wd for Adam with weight decay (else 0). One single-thread kernel writes them, either from
// values the host computed (adam_hyper_set: the reference's own doubles) or from a step counter
// on the device (adam_hyper_from_counter: nothing about the step is baked into a captured CUDA
// graph). adam_step then reads them. Every operation is an explicit round-to-nearest intrinsic
// in the reference's order, so the compiler cannot contract a product and a sum into an fma:
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
    const double stepSize = hyper[0], bc2Sqrt = hyper[1], decay = hyper[2], l2 = hyper[3];
    const double oneMinusB1 = 1.0 - beta1, oneMinusB2 = 1.0 - beta2;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        double p = param[i], g = grad[i];
        if (decay != 1.0) p = __dmul_rn(p, decay);
        if (l2 != 0.0) g = __dadd_rn(g, __dmul_rn(l2, p));
        const double mi = __dadd_rn(__dmul_rn(beta1, (double)m[i]), __dmul_rn(oneMinusB1, g));
        const double vi = __dadd_rn(__dmul_rn(beta2, (double)v[i]), __dmul_rn(__dmul_rn(oneMinusB2, g), g));
        m[i] = (float)mi;
        v[i] = (float)vi;
        // p - lr/bc1 * m / (sqrt(v) / sqrt(bc2) + eps)
        const double denom = __dadd_rn(__ddiv_rn(__dsqrt_rn(vi), bc2Sqrt), eps);
        param[i] = (float)__dsub_rn(p, __ddiv_rn(__dmul_rn(stepSize, mi), denom));
    }
}
