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
 * reduction uses a fixed order that does not depend on the number of threads.
 */
public interface Ops {
    /** Short name used in logs and by {@code -Dnfn4j.backend}. */
    String name();

    /** One line for logs: the name plus vector width, threads or device where the backend has them. */
    default String describe() {
        return name();
    }

    /** A zero-filled buffer of {@code n} floats. */
    Buf alloc(long n);

    void upload(float[] src, int srcOff, Ptr dst, int n);

    void download(Ptr src, float[] dst, int dstOff, int n);

    /** {@code x[0..n) = value}. */
    void fill(Ptr x, long n, float value);

    /**
     * Channel mix with a broadcast epilogue (a 1x1 convolution, a Linear layer, and the stage-3
     * pass of an NF-Layer), for {@code b < B, o < Cout, j < rows, k < cols}:
     * <pre>
     * y[b][o][j][k] = sum_c a[o][c] * x[b][c][j][k] + bias[o]
     *               + row[b][o][k] + col[b][o][j] + glob[b][o]
     * </pre>
     * Shapes: x {@code [B][Cin][rows][cols]}, a {@code [Cout][Cin]}, bias {@code [Cout]},
     * row {@code [B][Cout][cols]}, col {@code [B][Cout][rows]}, glob {@code [B][Cout]},
     * y {@code [B][Cout][rows][cols]}. bias, row, col and glob may be null.
     */
    void channelMix(MixShape s, Ptr x, Ptr a, Ptr bias, Ptr row, Ptr col, Ptr glob, Ptr y);

    /**
     * {@link #channelMix} with the activation {@code act} applied to every output as it is
     * stored: {@code y = act(A x + bias + terms)}, the same values as channelMix followed by
     * {@link #activation} on y. Backends fuse it into the mix's store (one pass over y instead of
     * three); this default runs the two ops.
     */
    default void channelMix(MixShape s, Ptr x, Ptr a, Ptr bias, Ptr row, Ptr col, Ptr glob, Act act, Ptr y) {
        channelMix(s, x, a, bias, row, col, glob, y);
        if (act != Act.IDENTITY) activation(act, (long) s.batch() * s.cout() * s.plane(), y, y);
    }

    /**
     * {@link #channelMix(MixShape, Ptr, Ptr, Ptr, Ptr, Ptr, Ptr, Act, Ptr)} that also writes the
     * plane means of y ({@link PlanePools}; null: none), the pools the next NF-Layer would
     * otherwise take in another pass over y. Backends take them from the tiles of y they have just
     * written; this default runs the mix, then {@link #planeReduce} of y with means (the oracle).
     */
    default void channelMix(MixShape s, Ptr x, Ptr a, Ptr bias, Ptr row, Ptr col, Ptr glob, Act act, Ptr y, PlanePools pools) {
        channelMix(s, x, a, bias, row, col, glob, act, y);
        if (pools != null)
            planeReduce((long) s.batch() * s.cout(), s.rows(), s.cols(), y, pools.rowMean(), pools.colMean(), pools.allMean(), true);
    }

    /**
     * Backward of {@link #channelMix} with respect to x, a and bias, all accumulated:
     * <pre>
     * dx[b][c][j][k] += sum_o a[o][c] * dy[b][o][j][k]
     * da[o][c]       += sum_{b,j,k} dy[b][o][j][k] * x[b][c][j][k]
     * dbias[o]       += sum_{b,j,k} dy[b][o][j][k]
     * </pre>
     * Any of dx, da, dbias may be null. The gradients of the row, column and global terms are
     * plane sums of dy: {@link #planeReduce}.
     */
    void channelMixBackward(MixShape s, Ptr x, Ptr a, Ptr dy, Ptr dx, Ptr da, Ptr dbias);

    /**
     * {@link #channelMixBackward(MixShape, Ptr, Ptr, Ptr, Ptr, Ptr, Ptr)} with dx overwritten when
     * {@code overwriteDx} ({@code dx = sum_o a[o][c] dy[b][o]}): for dx's first writer, which saves
     * zeroing dx and reading it back. Backends write it directly; this default zeroes dx first.
     */
    default void channelMixBackward(MixShape s, Ptr x, Ptr a, Ptr dy, Ptr dx, boolean overwriteDx, Ptr da, Ptr dbias) {
        if (overwriteDx && dx != null) fill(dx, (long) s.batch() * s.cin() * s.plane(), 0f);
        channelMixBackward(s, x, a, dy, dx, da, dbias);
    }

    /**
     * The whole backward of {@link #channelMix(MixShape, Ptr, Ptr, Ptr, Ptr, Ptr, Ptr, Act, Ptr)}:
     * with {@code g = dy * act'(y)}, the gradient before the activation, taken from the mix's
     * output y (so only {@link Act#derivativeFromOutput} activations; y is not read for IDENTITY),
     * <pre>
     * dRow[b][o][k] = sum_j g[b][o][j][k]   dCol[b][o][j] = sum_k g[b][o][j][k]   dGlob[b][o] = sum_{j,k} g[b][o][j][k]
     * dx, da, dbias += as {@link #channelMixBackward(MixShape, Ptr, Ptr, Ptr, Ptr, Ptr, Ptr)} of g
     * </pre>
     * ({@link MixGrads} says which outputs accumulate). The same values as
     * {@link #activationBackward} into g, {@link #planeReduce} of g (sums) and the backward above
     * on g: dx, da and the term gradients bit for bit on a backend that does not take the term
     * gradients in the weight gradient's pass (cuda does on planes of 32 columns or more); dbias
     * the same sum, which a backend may group by plane when it takes the plane sums anyway
     * ({@link #composedMixBackwardBiasFromPools}: simd). Backends fuse it: cuda applies act' as
     * each pass loads dy, so g is never stored; this default runs the three ops through a
     * temporary g ({@link #composedMixBackward}).
     */
    default void channelMixBackward(MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, MixGrads grads) {
        boolean scratch = act != Act.IDENTITY && act.derivativeFromOutput(); // any other activation is refused below
        composedMixBackward(this, s, x, a, act, y, dy, grads, scratch ? alloc((long) s.batch() * s.cout() * s.plane()).at(0) : null);
    }

    /**
     * The input gradient of a mix whose input is also pooled (an NF-Layer pools each input tensor
     * for its row, column and global terms), in one op, dx overwritten:
     * <pre>
     * dx[b][c][j][k] = sum_o a[o][c] g[b][o][j][k] + sRow * row[b][c][k] + sCol * col[b][c][j] + sAll * all[b][c]
     * </pre>
     * with {@code g = dy * act'(y)} as in {@link #channelMixBackward(MixShape, Ptr, Ptr, Act, Ptr, Ptr, MixGrads)}
     * (x is passed through to it), and row {@code [B][cin][cols]}, col {@code [B][cin][rows]},
     * all {@code [B][cin]} the gradients of the pools (any may be null): the adjoint of the pooling
     * ({@link #planeBroadcast}) added as the GEMM stores dx, instead of in a pass over dx of its
     * own. This default runs the mix's input gradient, then planeBroadcast (the oracle); the
     * backends that fuse it round differently (the terms are added before the products).
     */
    default void channelMixInputGrad(MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, Ptr dx,
                                     Ptr row, float sRow, Ptr col, float sCol, Ptr all, float sAll) {
        channelMixBackward(s, x, a, act, y, dy, new MixGrads(dx, null, null, null, null, null, true));
        planeBroadcast((long) s.batch() * s.cin(), s.rows(), s.cols(), row, sRow, col, sCol, all, sAll, dx);
    }

    /** What every implementation of the fused mix backward refuses: an activation whose derivative needs its input. */
    static void checkBackwardThrough(MixShape s, Act act) {
        if (!act.derivativeFromOutput())
            throw new IllegalArgumentException("channelMixBackward " + s + ": " + act + "'s derivative needs its input, not its output");
    }

    /**
     * The fused mix backward as its three ops, g written to {@code scratch} ({@code B * cout * plane}
     * floats; unused, and may be null, for IDENTITY): the oracle of the fused kernels, and the
     * implementation of the backends that do not fuse it.
     */
    static void composedMixBackward(Ops ops, MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, MixGrads grads, Ptr scratch) {
        checkBackwardThrough(s, act);
        long n = (long) s.batch() * s.cout() * s.plane();
        Ptr g = dy;
        if (act != Act.IDENTITY) {
            ops.activationBackward(act, n, y, y, dy, scratch);
            g = scratch;
        }
        if (grads.anyTerm()) ops.planeReduce((long) s.batch() * s.cout(), s.rows(), s.cols(), g, grads.dRow(), grads.dCol(), grads.dGlob(), false);
        if (grads.anyMix()) ops.channelMixBackward(s, x, a, g, grads.dx(), grads.overwriteDx(), grads.da(), grads.dbias());
    }

    /**
     * {@link #composedMixBackward} with dbias taken from the term gradients' plane sums,
     * {@code dbias[o] += sum_b dGlob[b][o]} (summed over b in order by {@link #copy4d}), instead of
     * a pass over g of its own in the weight gradient: the same sums, grouped by plane. It applies
     * when term gradients and dbias are both asked for (the NF-Layers' weight mixes);
     * {@code globScratch} ({@code B * cout} floats) holds the plane sums when dGlob is not asked for.
     */
    static void composedMixBackwardBiasFromPools(Ops ops, MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, MixGrads grads, Ptr scratch,
                                                 Ptr globScratch) {
        if (!grads.anyTerm() || grads.dbias() == null) {
            composedMixBackward(ops, s, x, a, act, y, dy, grads, scratch);
            return;
        }
        Ptr glob = grads.dGlob() != null ? grads.dGlob() : globScratch;
        composedMixBackward(ops, s, x, a, act, y, dy,
                new MixGrads(grads.dx(), grads.da(), null, grads.dRow(), grads.dCol(), glob, grads.overwriteDx()), scratch);
        ops.copy4d(new int[]{1, 1, s.batch(), s.cout()}, glob, new long[]{0, 0, s.cout(), 1}, grads.dbias(), new long[]{0, 0, 0, 1}, true);
    }

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
     * the gradient) for Adam, decoupled for AdamW.
     */
    void adamStep(long n, Ptr param, Ptr grad, Ptr m, Ptr v, AdamConfig cfg, long step);

    // ---- for device backends: whole steps on the device, graphs, timing --------------------------
    // Defaults are exact for host backends, which have nothing to overlap or capture.

    /**
     * {@link #adamStep} with the step count on the backend, so nothing about the step is fixed
     * when a training step is captured ({@link #runGraph}): {@code counter[0]} holds the steps
     * taken so far (an exact integer in a float, below 2^24); this applies step
     * {@code counter[0] + 1} at learning rate {@code cfg.lr() * min(1, (counter[0] + 1) / warmupSteps)}
     * ({@code cfg.lr()} when warmupSteps is 0, linear warm-up otherwise), then increments the counter.
     */
    default void adamStep(long n, Ptr param, Ptr grad, Ptr m, Ptr v, AdamConfig cfg, int warmupSteps, Ptr counter) {
        float[] c = new float[1];
        download(counter, c, 0, 1);
        long t = (long) c[0];
        if (t != c[0] || t < 0 || t >= 1 << 24)
            throw new IllegalStateException("Adam step counter holds " + c[0] + ", not a step count below 2^24");
        double lr = warmupSteps > 0 ? cfg.lr() * Math.min(1.0, (t + 1.0) / warmupSteps) : cfg.lr();
        AdamConfig at = lr == cfg.lr() ? cfg : new AdamConfig(lr, cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay(), cfg.decoupled());
        adamStep(n, param, grad, m, v, at, t + 1);
        upload(new float[]{t + 1}, 0, counter, 1);
    }

    /**
     * {@code grad[i] = fn.gradient(pred[i], target[i], n)} for {@code i < n}: the loss gradient where the
     * predictions are, so a captured training step needs no host round trip.
     */
    default void lossGradient(LossFn fn, int n, Ptr pred, Ptr target, Ptr grad) {
        float[] p = new float[n], t = new float[n], g = new float[n];
        download(pred, p, 0, n);
        download(target, t, 0, n);
        for (int i = 0; i < n; i++) g[i] = fn.gradient(p[i], t[i], n);
        upload(g, 0, grad, n);
    }

    /** Waits until every queued operation has finished (device backends run asynchronously). */
    default void synchronize() {}

    /**
     * Runs {@code body}, a sequence of calls to this backend, possibly as a captured graph: a
     * device backend runs it normally the first time for a key, captures it the second time and
     * replays the capture from then on, without running the Java code again. So the body must
     * do the same work on the same buffers every time: no upload or download inside (stage
     * inputs into the same buffers before the call, read results after it), no host-side
     * decisions that change between calls, and no allocation after the first call. The key
     * names one such body (include the shapes and buffers it depends on).
     */
    default void runGraph(Object key, Runnable body) {
        body.run();
    }

    /**
     * Forgets what {@link #runGraph} keeps for {@code key} (a device backend's captured graph and
     * the buffers it holds), so a caller that is done with a body lets its memory go.
     */
    default void releaseGraph(Object key) {}

    /**
     * Times {@code body}: runs it {@code warmup} times, then {@code reps} times, and returns each
     * rep's milliseconds (device backends: events around each rep on the device; host backends:
     * the wall clock, the backend synchronized after each rep).
     */
    default float[] timeMillis(Runnable body, int warmup, int reps) {
        for (int i = 0; i < warmup; i++) body.run();
        synchronize();
        float[] ms = new float[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            body.run();
            synchronize();
            ms[i] = (System.nanoTime() - t0) / 1e6f;
        }
        return ms;
    }
}
