package dev.nfn4j.ops;

/**
 * Sizes of one SIREN op ({@link Ops#siren}, {@link Ops#sirenBackward}): {@code batch} SIRENs
 * {@code in -> hidden -> hidden -> out}, each with its own weights, evaluated at the same
 * {@code points} coordinates:
 * <pre>
 * h0 = sin(omega0 (W0 x + b0))     h1 = sin(omega (W1 h0 + b1))     y = W2 h1 + b2
 * </pre>
 * (nfn's {@code Siren} with one hidden layer and a linear last layer; its experiments use
 * 2 -> 32 -> 32 -> 1, omega0 = omega = 30).
 *
 * <p>Weights are one weight-space batch in the canonical layout ({@code WsLayout} of the network
 * {@code [in, hidden, hidden, out]}, {@code batch} samples, one channel):
 * <pre>
 * W0 [B][hidden][in]   b0 [B][hidden]   W1 [B][hidden][hidden]   b1 [B][hidden]   W2 [B][out][hidden]   b2 [B][out]
 * </pre>
 * one after another; coordinates {@code [points][in]}, outputs {@code [B][points][out]}.
 */
public record SirenShape(int batch, int points, int in, int hidden, int out, float omega0, float omega) {
    /** The SIREN of nfn's image experiments: 2 -> 32 -> 32 -> out, omega 30. */
    public static SirenShape nfn(int batch, int points, int out) {
        return new SirenShape(batch, points, 2, 32, out, 30f, 30f);
    }

    /** Checks the sizes and omegas, and that a batch's floats fit an int index. */
    public SirenShape {
        if (batch < 1 || points < 1 || in < 1 || hidden < 1 || out < 1)
            throw new IllegalArgumentException("bad SIREN shape: batch " + batch + ", points " + points + ", sizes " + in + " -> " + hidden + " -> "
                    + hidden + " -> " + out);
        if (!Float.isFinite(omega0) || !Float.isFinite(omega)) throw new IllegalArgumentException("SIREN omegas must be finite, got " + omega0 + ", " + omega);
        if ((long) batch * points * Math.max(out, hidden) > Integer.MAX_VALUE || perSiren() * (long) batch > Integer.MAX_VALUE)
            throw new IllegalArgumentException("SIREN batch too large: " + batch + " x " + points + " points");
    }

    /** Parameters of one SIREN: {@code hidden (in + 1) + hidden (hidden + 1) + out (hidden + 1)}. */
    public int perSiren() {
        return hidden * (in + 1) + hidden * (hidden + 1) + out * (hidden + 1);
    }

    /** Floats of the weight batch. */
    public long size() {
        return (long) batch * perSiren();
    }

    // Offsets of the six tensors in the batch (each [B][...] with the per-SIREN stride below).
    /** Offset of W0 {@code [B][hidden][in]} in the weight batch. */
    public long w0() { return 0; }
    /** Offset of b0 {@code [B][hidden]} in the weight batch. */
    public long b0() { return (long) batch * hidden * in; }
    /** Offset of W1 {@code [B][hidden][hidden]} in the weight batch. */
    public long w1() { return b0() + (long) batch * hidden; }
    /** Offset of b1 {@code [B][hidden]} in the weight batch. */
    public long b1() { return w1() + (long) batch * hidden * hidden; }
    /** Offset of W2 {@code [B][out][hidden]} in the weight batch. */
    public long w2() { return b1() + (long) batch * hidden; }
    /** Offset of b2 {@code [B][out]} in the weight batch. */
    public long b2() { return w2() + (long) batch * out * hidden; }

    /** Floats of the coordinates, {@code [points][in]}. */
    public long coordSize() {
        return (long) points * in;
    }

    /** Floats of the outputs (and of dOut and target), {@code [batch][points][out]}. */
    public long outSize() {
        return (long) batch * points * out;
    }

    /** The same SIRENs, {@code b} of them. */
    public SirenShape withBatch(int b) {
        return new SirenShape(b, points, in, hidden, out, omega0, omega);
    }

    /** What every backend refuses: not exactly one of dOut and target, or a loss without a target. */
    public void checkCotangent(Ptr dOut, Ptr target, Ptr loss) {
        if ((dOut == null) == (target == null))
            throw new IllegalArgumentException("sirenBackward " + this + ": give either dOut or target, got " + (dOut == null ? "neither" : "both"));
        if (loss != null && target == null) throw new IllegalArgumentException("sirenBackward " + this + ": a loss needs a target");
    }

    @Override
    public String toString() {
        return batch + " SIRENs " + in + "->" + hidden + "->" + hidden + "->" + out + " (omega " + omega0 + ", " + omega + ") at " + points + " points";
    }
}
