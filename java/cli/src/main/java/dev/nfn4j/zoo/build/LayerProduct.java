package dev.nfn4j.zoo.build;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Buf;
import dev.nfn4j.ops.MixEpilogue;
import dev.nfn4j.ops.MixGrads;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;

/**
 * One layer's matrix product in the zoo trainers, run by a backend's {@link Ops#channelMix} and
 * {@link Ops#channelMixBackward} on the trainer's own arrays ({@link Ops#heapView}: no copies).
 * For {@code cin} input rows and {@code cout} output rows over {@code n} positions:
 * <pre>
 * forward:  y [cout][n] = a [cout][cin] x [cin][n] + bias [cout]
 * backward: dx [cin][n] = a^T dy,  da [cout][cin] = dy x^T,  dbias [cout] = sum over n of dy
 * </pre>
 * A convolution is this after im2col (x the columns, a the kernel with one filter per row), a
 * dense layer this with the batch as the positions.
 *
 * <p>The builders train one small network per thread, so the products run on the calling
 * thread's own one-thread CPU backend ({@link #threadBackend}): simd when the JVM reads the vector
 * module, else the reference one, or the one {@code -Dnfn4j.backend} names when that is
 * reference or simd. The two round differently, so a zoo's build settings record
 * {@link #backendName}.
 */
final class LayerProduct {
    private static final ThreadLocal<Ops> PER_THREAD = ThreadLocal.withInitial(() -> Backends.byName(backendName(), 1));

    /** The calling thread's backend for the products (see the class comment). */
    static Ops threadBackend() {
        return PER_THREAD.get();
    }

    /** The backend the zoo builders' products run on (see the class comment). */
    static String backendName() {
        String forced = System.getProperty("nfn4j.backend", "").trim();
        if (forced.equals("reference") || forced.equals("simd")) return forced;
        return Backends.simdUnavailableReason() == null ? "simd" : "reference";
    }

    private final Ops ops;
    private final int cin, cout;

    /** A product of cin input rows to cout output rows on the calling thread's backend. */
    LayerProduct(int cin, int cout) {
        this(threadBackend(), cin, cout);
    }

    /** A product on a given host backend (tests). */
    LayerProduct(Ops ops, int cin, int cout) {
        this.ops = ops;
        this.cin = cin;
        this.cout = cout;
    }

    /** {@code y = a x + bias} over n positions (the shapes above), the bias at {@code params[biasAt]}. */
    void forward(int n, float[] x, float[] a, float[] params, int biasAt, float[] y) {
        ops.channelMix(shape(n), on(x), on(a), MixEpilogue.bias(on(params).plus(biasAt)), on(y));
    }

    /**
     * The gradients of {@link #forward} for the output gradient dy, each overwritten: dx (skipped
     * when null), da, and dbias at {@code grads[biasAt]}.
     */
    void backward(int n, float[] x, float[] a, float[] dy, float[] dx, float[] da, float[] grads, int biasAt) {
        Ptr pda = on(da), pdb = on(grads).plus(biasAt);
        ops.fill(pda, (long) cout * cin, 0f); // the op accumulates into both
        ops.fill(pdb, cout, 0f);
        ops.channelMixBackward(shape(n), on(x), on(a), Act.IDENTITY, null, on(dy), MixGrads.overwriting(dx == null ? null : on(dx), pda, pdb));
    }

    /** One sample whose positions are a single row of n: the whole product is one GEMM. */
    private MixShape shape(int n) {
        return new MixShape(1, cin, cout, 1, n);
    }

    private Ptr on(float[] array) {
        Buf b = ops.heapView(array);
        if (b == null) throw new IllegalStateException("backend " + ops.name() + " cannot work on Java arrays");
        return b.at(0);
    }
}
