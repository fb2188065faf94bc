// Elementwise ops: Ops.planeScale, Ops.activation, Ops.activationBackward, Ops.lossGradient.
// All take a 1-d grid-stride loop over their elements (64-bit indices).
#include "common.cuh"
#include "act.cuh"

// Loss codes: dev.nfn4j.ops.LossFn ordinals (checked likewise).
#define LOSS_BINARY_CROSS_ENTROPY 0
#define LOSS_MSE 1

#define GRID_STRIDE(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)

// y[p][q] = x[p][q] * scale[p]: x, y [planes][n] (y may be x), scale [planes].
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
plane_scale(const float* x, const float* scale, float* y, long long planes, int n) {
    const long long total = planes * n;
    const bool narrow = total < 2147483648LL;
    GRID_STRIDE(i, total) {
        long long p;
        int q;
        split_plane_index(i, n, narrow, p, q);
        y[i] = x[i] * scale[p];
    }
}

// y[i] = act(x[i]) for i < n; y may be x.
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
activation(const float* x, float* y, long long n, int act) {
    GRID_STRIDE(i, n) y[i] = act_apply(act, x[i]);
}

// dx[i] = dy[i] * act'(x[i]) for i < n (overwritten, as the reference).
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
activation_backward(const float* __restrict__ x, const float* __restrict__ dy, float* __restrict__ dx, long long n, int act) {
    GRID_STRIDE(i, n) dx[i] = dy[i] * act_derivative(act, x[i]);
}

// The gradient of a mean loss over n predictions, in double as dev.nfn4j.ops.LossFn does it
// (bit-identical: no operation here can be contracted into an fma):
//   BCE: grad[i] = (p - t) / max((1 - p) p, 1e-12) / n      MSE: grad[i] = 2 (p - t) / n
// pred, target, grad [n].
extern "C" __global__ void __launch_bounds__(NFN_THREADS)
loss_gradient(const float* __restrict__ pred, const float* __restrict__ target, float* __restrict__ grad, int n, int loss) {
    GRID_STRIDE(i, (long long)n) {
        const double p = pred[i], t = target[i];
        double g;
        if (loss == LOSS_BINARY_CROSS_ENTROPY) g = (p - t) / fmax((1.0 - p) * p, 1e-12) / n;
        else g = 2.0 * (p - t) / n;
        grad[i] = (float)g;
    }
}
