package dev.nfn4j.ops;

/**
 * The argument checks every backend runs before an op: each pointer holds the floats the op
 * reads or writes at it, so a wiring bug fails here, naming the op and the operand, instead of
 * reading another tensor or faulting on a device. Null pointers (optional operands) pass.
 */
public final class OpArgs {
    private OpArgs() {}

    /** Checks that {@code n} elements from p lie inside its buffer. */
    public static void need(Ptr p, long n, String what) {
        if (p != null && p.offset() + n > p.buf().length())
            throw new IndexOutOfBoundsException(what + ": needs " + n + " floats at offset " + p.offset()
                    + " of a buffer of " + p.buf().length());
    }

    /** The largest element offset a strided 4-d view touches (-1 if empty). */
    public static long maxIndex(int[] dims, long[] strides) {
        long m = 0;
        for (int i = 0; i < 4; i++) {
            if (dims[i] == 0) return -1;
            m += (dims[i] - 1) * strides[i];
        }
        return m;
    }

    /** Checks an upload: {@code n} floats at dst, and {@code [srcOff, srcOff + n)} inside src. */
    public static void upload(float[] src, int srcOff, Ptr dst, int n) {
        need(dst, n, "upload");
        if (srcOff < 0 || srcOff + n > src.length)
            throw new IndexOutOfBoundsException("upload of " + n + " floats from offset " + srcOff + " of an array of " + src.length);
    }

    /** Checks a download: {@code n} floats at src, and {@code [dstOff, dstOff + n)} inside dst. */
    public static void download(Ptr src, float[] dst, int dstOff, int n) {
        need(src, n, "download");
        if (dstOff < 0 || dstOff + n > dst.length)
            throw new IndexOutOfBoundsException("download of " + n + " floats to offset " + dstOff + " of an array of " + dst.length);
    }

    /** Checks the operands of {@link Ops#channelMix} against its shape and epilogue. */
    public static void channelMix(MixShape s, Ptr x, Ptr a, MixEpilogue e, Ptr y) {
        long B = s.batch(), planes = B * s.cout();
        need(x, B * s.cin() * s.plane(), "channelMix x");
        need(a, (long) s.cout() * s.cin(), "channelMix a");
        need(y, planes * s.plane(), "channelMix y");
        need(e.bias(), s.cout(), "channelMix bias");
        need(e.row(), planes * s.cols(), "channelMix row");
        need(e.col(), planes * s.rows(), "channelMix col");
        need(e.glob(), planes, "channelMix glob");
        PlanePools p = e.pools();
        if (p == null) return;
        need(p.rowMean(), planes * s.cols(), "channelMix pools rowMean");
        need(p.colMean(), planes * s.rows(), "channelMix pools colMean");
        need(p.allMean(), planes, "channelMix pools allMean");
    }

    /** Also refuses an activation whose derivative needs its input. */
    public static void channelMixBackward(MixShape s, Act act, Ptr x, Ptr a, Ptr y, Ptr dy, MixGrads g) {
        ComposedMix.checkBackwardThrough(s, act);
        long B = s.batch(), plane = s.plane(), planes = B * s.cout();
        need(x, B * s.cin() * plane, "channelMixBackward x");
        need(a, (long) s.cout() * s.cin(), "channelMixBackward a");
        need(dy, planes * plane, "channelMixBackward dy");
        if (act != Act.IDENTITY) need(y, planes * plane, "channelMixBackward y");
        need(g.dx(), B * s.cin() * plane, "channelMixBackward dx");
        need(g.da(), (long) s.cout() * s.cin(), "channelMixBackward da");
        need(g.dbias(), s.cout(), "channelMixBackward dbias");
        need(g.dRow(), planes * s.cols(), "channelMixBackward dRow");
        need(g.dCol(), planes * s.rows(), "channelMixBackward dCol");
        need(g.dGlob(), planes, "channelMixBackward dGlob");
        PoolGrads p = g.pools();
        if (p == null) return;
        need(p.row(), B * s.cin() * s.cols(), "channelMixBackward pools row");
        need(p.col(), B * s.cin() * s.rows(), "channelMixBackward pools col");
        need(p.all(), B * s.cin(), "channelMixBackward pools all");
    }

    /** Checks the operands of {@link Ops#planeReduce}: x {@code [planes][rows][cols]}, row, column and whole-plane outputs. */
    public static void planeReduce(long planes, int rows, int cols, Ptr x, Ptr rowOut, Ptr colOut, Ptr allOut) {
        need(x, planes * rows * cols, "planeReduce x");
        need(rowOut, planes * cols, "planeReduce rowOut");
        need(colOut, planes * rows, "planeReduce colOut");
        need(allOut, planes, "planeReduce allOut");
    }

    /** Checks the operands of {@link Ops#planeBroadcast}: row {@code [planes][cols]}, col {@code [planes][rows]}, all {@code [planes]}, dx {@code [planes][rows][cols]}. */
    public static void planeBroadcast(long planes, int rows, int cols, Ptr row, Ptr col, Ptr all, Ptr dx) {
        need(dx, planes * rows * cols, "planeBroadcast dx");
        need(row, planes * cols, "planeBroadcast row");
        need(col, planes * rows, "planeBroadcast col");
        need(all, planes, "planeBroadcast all");
    }

    /** Checks the operands of {@link Ops#copy4d}: every element the strided source and destination views touch. */
    public static void copy4d(int[] dims, Ptr src, long[] srcStrides, Ptr dst, long[] dstStrides) {
        need(src, 1 + maxIndex(dims, srcStrides), "copy4d src");
        need(dst, 1 + maxIndex(dims, dstStrides), "copy4d dst");
    }

    /** Checks the operands of {@link Ops#planeScale}: x and y {@code [planes][n]}, scale {@code [planes]}. */
    public static void planeScale(long planes, int n, Ptr x, Ptr scale, Ptr y) {
        need(x, planes * n, "planeScale x");
        need(y, planes * n, "planeScale y");
        need(scale, planes, "planeScale scale");
    }

    /** Checks the operands of {@link Ops#activation}: {@code n} floats at x and y. */
    public static void activation(long n, Ptr x, Ptr y) {
        need(x, n, "activation x");
        need(y, n, "activation y");
    }

    /** Checks the operands of {@link Ops#activationBackward}: {@code n} floats at x, dy and dx. */
    public static void activationBackward(long n, Ptr x, Ptr dy, Ptr dx) {
        need(x, n, "activationBackward x");
        need(dy, n, "activationBackward dy");
        need(dx, n, "activationBackward dx");
    }

    /** Checks the operands of {@link Ops#planeStats}: x {@code [planes][n]}, out {@code [planes][7]}. */
    public static void planeStats(long planes, int n, Ptr x, Ptr out) {
        need(x, planes * n, "planeStats x");
        need(out, planes * 7, "planeStats out");
    }

    /** Checks the operands of {@link Ops#planeStatsBackward}: x and dx {@code [planes][n]}, dOut {@code [planes][7]}. */
    public static void planeStatsBackward(long planes, int n, Ptr x, Ptr dOut, Ptr dx) {
        need(x, planes * n, "planeStatsBackward x");
        need(dOut, planes * 7, "planeStatsBackward dOut");
        need(dx, planes * n, "planeStatsBackward dx");
    }

    /** Checks the operands of {@link Ops#layerNorm}: x and y of the shape's size, gamma and beta of {@code s.n()}. */
    public static void layerNorm(NormShape s, Ptr x, Ptr gamma, Ptr beta, Ptr y) {
        need(x, s.size(), "layerNorm x");
        need(y, s.size(), "layerNorm y");
        need(gamma, s.n(), "layerNorm gamma");
        need(beta, s.n(), "layerNorm beta");
    }

    /** Checks the operands of {@link Ops#layerNormBackward}: x, dy and dx of the shape's size, gamma, dgamma and dbeta of {@code s.n()}. */
    public static void layerNormBackward(NormShape s, Ptr x, Ptr gamma, Ptr dy, Ptr dx, Ptr dgamma, Ptr dbeta) {
        need(x, s.size(), "layerNormBackward x");
        need(dy, s.size(), "layerNormBackward dy");
        need(dx, s.size(), "layerNormBackward dx");
        need(gamma, s.n(), "layerNormBackward gamma");
        need(dgamma, s.n(), "layerNormBackward dgamma");
        need(dbeta, s.n(), "layerNormBackward dbeta");
    }

    /** Checks the operands of {@link Ops#attention}: qkv {@code [groups][3][tokens][dim]}, probs {@code [groups][tokens][tokens]}, out {@code [groups][tokens][dim]}. */
    public static void attention(long groups, int tokens, int dim, Ptr qkv, Ptr probs, Ptr out) {
        need(qkv, groups * 3L * tokens * dim, "attention qkv");
        need(probs, groups * tokens * (long) tokens, "attention probs");
        need(out, groups * tokens * (long) dim, "attention out");
    }

    /** Checks the operands of {@link Ops#attentionBackward}: qkv and dqkv, probs, and dOut as for the forward. */
    public static void attentionBackward(long groups, int tokens, int dim, Ptr qkv, Ptr probs, Ptr dOut, Ptr dqkv) {
        need(qkv, groups * 3L * tokens * dim, "attentionBackward qkv");
        need(probs, groups * tokens * (long) tokens, "attentionBackward probs");
        need(dOut, groups * tokens * (long) dim, "attentionBackward dOut");
        need(dqkv, groups * 3L * tokens * dim, "attentionBackward dqkv");
    }

    /** Checks the operands of {@link Ops#siren}: the weight batch, the coordinates and the outputs of the shape. */
    public static void siren(SirenShape s, Ptr weights, Ptr coords, Ptr out) {
        need(weights, s.size(), "siren weights");
        need(coords, s.coordSize(), "siren coords");
        need(out, s.outSize(), "siren out");
    }

    /** Also checks that the cotangent is given one way ({@link SirenShape#checkCotangent}). */
    public static void sirenBackward(SirenShape s, Ptr weights, Ptr coords, Ptr dOut, Ptr target, Ptr dWeights, Ptr loss) {
        s.checkCotangent(dOut, target, loss);
        need(weights, s.size(), "sirenBackward weights");
        need(coords, s.coordSize(), "sirenBackward coords");
        need(dOut, s.outSize(), "sirenBackward dOut");
        need(target, s.outSize(), "sirenBackward target");
        need(dWeights, s.size(), "sirenBackward dWeights");
        need(loss, s.batch(), "sirenBackward loss");
    }

    /** Checks the operands of {@link Ops#adamStep}: {@code n} floats at param, grad, m and v. */
    public static void adamStep(long n, Ptr param, Ptr grad, Ptr m, Ptr v) {
        need(param, n, "adam param");
        need(grad, n, "adam grad");
        need(m, n, "adam m");
        need(v, n, "adam v");
    }

    /** Checks the operands of {@link Ops#lossGradient}: {@code n} floats at pred, target and grad. */
    public static void lossGradient(int n, Ptr pred, Ptr target, Ptr grad) {
        need(pred, n, "lossGradient pred");
        need(target, n, "lossGradient target");
        need(grad, n, "lossGradient grad");
    }
}
