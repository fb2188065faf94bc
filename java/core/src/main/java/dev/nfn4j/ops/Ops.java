package dev.nfn4j.ops;

/**
 * The kernel SPI: every primitive the NF-Layers, the head and the optimizer need, forward and
 * backward. It is about math, not about layers: a layer is wiring of these calls (see
 * {@code dev.nfn4j.nn.MixGraph}). Backends: {@code reference} (the scalar oracle), {@code simd},
 * {@code cuda}.
 *
 * <p>Conventions. Tensors are dense, row-major, batch first. A "plane batch" is {@code P}
 * contiguous planes of {@code rows x cols} (for a weight-space tensor {@code P = B * C}).
 * Outputs named {@code dst} are overwritten unless the method says it accumulates. Optional
 * inputs and outputs are {@code null}. Results must be deterministic for a given backend: any
 * reduction uses a fixed order that does not depend on the number of threads. Buffers, copies,
 * graphs and timing are {@link DeviceControl}'s; argument checks are {@link OpArgs}'s.
 */
public interface Ops extends DeviceControl {
    /** Short name used in logs and by {@code -Dnfn4j.backend}. */
    String name();

    /** One line for logs: the name plus vector width, threads or device where the backend has them. */
    default String describe() {
        return name();
    }

    /** {@code x[0..n) = value}. */
    void fill(Ptr x, long n, float value);

    /**
     * Channel mix with an epilogue (a 1x1 convolution, a Linear layer, and the stage-3 pass of an
     * NF-Layer), for {@code b < B, o < Cout, j < rows, k < cols}:
     * <pre>
     * y[b][o][j][k] = act(sum_c a[o][c] * x[b][c][j][k] + bias[o] + row[b][o][k] + col[b][o][j] + glob[b][o])
     * </pre>
     * Shapes: x {@code [B][Cin][rows][cols]}, a {@code [Cout][Cin]}, y {@code [B][Cout][rows][cols]};
     * the terms, the activation and the output pools are the epilogue's ({@link MixEpilogue}).
     * The same values as the mix, then {@link #activation} on y, then {@link #planeReduce} of y
     * with means into the pools ({@link ComposedMix#finish}); backends fuse the activation into
     * the mix's store and take the pools from the tiles of y they have just written.
     */
    void channelMix(MixShape s, Ptr x, Ptr a, MixEpilogue e, Ptr y);

    /**
     * The backward of {@link #channelMix}: with {@code g = dy * act'(y)}, the gradient before the
     * activation, taken from the mix's output y (so only {@link Act#derivativeFromOutput}
     * activations; y is not read for IDENTITY), into the gradients {@link MixGrads} names:
     * <pre>
     * dx[b][c][j][k] (+)= sum_o a[o][c] * g[b][o][j][k] (+ the input's pool gradients, {@link PoolGrads})
     * da[o][c]       += sum_{b,j,k} g[b][o][j][k] * x[b][c][j][k]
     * dbias[o]       += sum_{b,j,k} g[b][o][j][k]
     * dRow[b][o][k] = sum_j g[b][o][j][k]   dCol[b][o][j] = sum_k g[b][o][j][k]   dGlob[b][o] = sum_{j,k} g[b][o][j][k]
     * </pre>
     * The same values as {@link #activationBackward} into g, {@link #planeReduce} of g (sums), the
     * linear part on g and {@link #planeBroadcast} of the pool gradients into dx
     * ({@link ComposedMix#backward}): dx, da and the term gradients bit for bit on a backend that
     * does not take the term gradients in the weight gradient's pass (cuda does on planes of 32
     * columns or more); dbias the same sum, which a backend may group by plane when it takes the
     * plane sums anyway ({@link ComposedMix#backwardBiasFromPools}: simd); dx with pool gradients
     * rounded differently where a backend adds them as its GEMM stores dx (simd: the terms are
     * added before the products).
     */
    void channelMixBackward(MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, MixGrads grads);

    /**
     * One pass over {@code planes} planes of {@code rows x cols} giving, per plane p:
     * {@code rowOut[p][k] = s * sum_j x[p][j][k]}, {@code colOut[p][j] = s * sum_k x[p][j][k]},
     * {@code allOut[p] = s * sum_{j,k} x[p][j][k]}, where s is 1 for sums, or 1/rows, 1/cols and
     * 1/(rows*cols) respectively for means. Outputs are overwritten; any may be null.
     */
    void planeReduce(long planes, int rows, int cols, Ptr x, Ptr rowOut, Ptr colOut, Ptr allOut, boolean mean);

    /**
     * The adjoint of {@link #planeReduce}, accumulated:
     * {@code dx[p][j][k] += sRow * row[p][k] + sCol * col[p][j] + sAll * all[p]}; any input may be null.
     */
    void planeBroadcast(long planes, int rows, int cols, Ptr row, float sRow, Ptr col, float sCol, Ptr all, float sAll, Ptr dx);

    /**
     * Strided 4-d copy: for every index (i0,i1,i2,i3) below {@code dims},
     * {@code dst[sum i*dstStrides] (+)= src[sum i*srcStrides]}. Strides are in elements and may be
     * zero: a zero source stride broadcasts, a zero destination stride (only with
     * {@code accumulate}) sums over that axis, in index order.
     */
    void copy4d(int[] dims, Ptr src, long[] srcStrides, Ptr dst, long[] dstStrides, boolean accumulate);

    /**
     * {@code y[p][q] = x[p][q] * scale[p]} for {@code planes} planes of n values (dropout masks,
     * per plane or, with n = 1, per element); y may be x. Its own adjoint.
     */
    void planeScale(long planes, int n, Ptr x, Ptr scale, Ptr y);

    /** {@code y[i] = act(x[i])} for {@code i < n}; y may be x. */
    void activation(Act act, long n, Ptr x, Ptr y);

    /** {@code dx[i] = dy[i] * act'(x[i])} for {@code i < n} (y = act(x) is given for activations that use it). */
    void activationBackward(Act act, long n, Ptr x, Ptr y, Ptr dy, Ptr dx);

    /**
     * Summary statistics per plane of {@code n} values, the StatNN featurizer: out[p] = (mean,
     * unbiased variance, quantiles 0, .25, .5, .75, 1 with linear interpolation), shape
     * {@code [planes][7]}.
     */
    void planeStats(long planes, int n, Ptr x, Ptr out);

    /** Backward of {@link #planeStats}, accumulated into dx. */
    void planeStatsBackward(long planes, int n, Ptr x, Ptr dOut, Ptr dx);

    /**
     * Layer normalisation of the groups {@link NormShape} describes, x and y {@code [outer][a][groups][inner]}:
     * <pre>
     * mean = mean_{a,i} x[o][a][g][i]     ss = sum_{a,i} (x - mean)^2     r = s.scale(ss)
     * y[o][a][g][i] = (x[o][a][g][i] - mean) * r * gamma[a][i] + beta[a][i]
     * </pre>
     * Means and sums in double. y may not be x.
     */
    void layerNorm(NormShape s, Ptr x, Ptr gamma, Ptr beta, Ptr y);

    /**
     * Backward of {@link #layerNorm}, with mean and r taken again from x: with {@code g = dy gamma},
     * <pre>
     * dx = r (g - mean_{a,i} g) + s.spreadCoefficient(r, ss, sum_{a,i} g (x - mean)) (x - mean)     (overwritten)
     * dgamma[a][i] += sum_{o,g} dy (x - mean) r      dbeta[a][i] += sum_{o,g} dy     (in (o, g) order)
     * </pre>
     * Any of dx, dgamma, dbeta may be null.
     */
    void layerNormBackward(NormShape s, Ptr x, Ptr gamma, Ptr dy, Ptr dx, Ptr dgamma, Ptr dbeta);

    /**
     * Softmax attention within each of {@code groups} sets of {@code tokens} tokens: qkv
     * {@code [groups][tokens][3][dim]} holds each token's query, key and value,
     * <pre>
     * probs[g][t][u] = softmax_u(scale * q[g][t] . k[g][u])     out[g][t][d] = sum_u probs[g][t][u] v[g][u][d]
     * </pre>
     * probs {@code [groups][tokens][tokens]} and out {@code [groups][tokens][dim]} are written;
     * the backward reads probs. Dots, softmax and sums in double.
     */
    void attention(long groups, int tokens, int dim, float scale, Ptr qkv, Ptr probs, Ptr out);

    /**
     * Backward of {@link #attention}, dqkv {@code [groups][tokens][3][dim]} overwritten: with
     * {@code dP[t][u] = dOut[t] . v[u]} and {@code dS[t][u] = P[t][u] (dP[t][u] - sum_w P[t][w] dP[t][w])},
     * <pre>
     * dq[t] = scale sum_u dS[t][u] k[u]     dk[u] = scale sum_t dS[t][u] q[t]     dv[u] = sum_t P[t][u] dOut[t]
     * </pre>
     */
    void attentionBackward(long groups, int tokens, int dim, float scale, Ptr qkv, Ptr probs, Ptr dOut, Ptr dqkv);

    /**
     * A batch of SIRENs ({@link SirenShape}: weights in the weight-space layout it describes),
     * each evaluated at every coordinate, out {@code [B][points][out]} overwritten:
     * <pre>
     * h0[j] = sin(omega0 (sum_i W0[j][i] x[p][i] + b0[j]))     h1[j] = sin(omega (sum_i W1[j][i] h0[i] + b1[j]))
     * out[b][p][k] = sum_j W2[k][j] h1[j] + b2[k]
     * </pre>
     */
    void siren(SirenShape s, Ptr weights, Ptr coords, Ptr out);

    /**
     * Backward of {@link #siren} with respect to the weights, dWeights (the weights' layout)
     * overwritten; the activations are taken again from weights and coords (nothing is kept
     * between the two calls), and the coordinates get no gradient. The cotangent of the outputs
     * is dOut {@code [B][points][out]}, or, when dOut is null and target is given, the gradient
     * of each SIREN's mean squared error {@code L[b] = mean_{p,k} (out[b][p][k] - target[b][p][k])^2},
     * {@code (2 / (points out)) (out - target)}, taken in the same pass (a fitting step is one
     * call); then {@code loss[b] = L[b]} is written too when loss is not null (summed in double).
     */
    void sirenBackward(SirenShape s, Ptr weights, Ptr coords, Ptr dOut, Ptr target, Ptr dWeights, Ptr loss);

    /**
     * One Adam/AdamW step over n parameters with PyTorch's semantics, {@code step} counting from 1:
     * bias-corrected moments and eps added after the square root. Weight decay is L2 (added to
     * the gradient) for Adam, decoupled for AdamW. Computed in float32 with PyTorch 1.13's CPU
     * operations and roundings ({@link AdamScalars}, {@code ScalarElementwise.adamStep}):
     * bit-identical to torch.optim.Adam and AdamW on the same floats.
     */
    void adamStep(long n, Ptr param, Ptr grad, Ptr m, Ptr v, AdamConfig cfg, long step);

    // ---- whole training steps on the backend; the defaults run them on the host ------------------

    /**
     * {@link #adamStep} with the step count on the backend, so nothing about the step is fixed
     * when a training step is captured ({@link #runGraph}): {@code counter[0]} holds the steps
     * taken so far (an exact integer in a float, below 2^24); this applies step
     * {@code counter[0] + 1} at learning rate {@code cfg.lr() * min(1, (counter[0] + 1) / warmupSteps)}
     * ({@code cfg.lr()} when warmupSteps is 0, linear warm-up otherwise), then increments the counter.
     */
    default void adamStep(long n, Ptr param, Ptr grad, Ptr m, Ptr v, AdamConfig cfg, int warmupSteps, Ptr counter) {
        HostSteps.adamStep(this, n, param, grad, m, v, cfg, warmupSteps, counter);
    }

    /**
     * {@code grad[i] = fn.gradient(pred[i], target[i], n)} for {@code i < n}: the loss gradient where the
     * predictions are, so a captured training step needs no host round trip.
     */
    default void lossGradient(LossFn fn, int n, Ptr pred, Ptr target, Ptr grad) {
        HostSteps.lossGradient(this, fn, n, pred, target, grad);
    }
}
