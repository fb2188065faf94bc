package dev.nfn4j.nn;

import dev.nfn4j.space.Value;

/**
 * A differentiable layer. {@link #forward} keeps what {@link #backward} needs (the last input,
 * usually), so calls alternate: forward, then at most one backward for it. Backward returns the
 * gradient with respect to the input and accumulates parameter gradients into the
 * {@link Params} gradient buffer.
 *
 * <p>Values returned by forward and backward live in the module's own reusable buffers (no
 * allocation on the hot path): they stay valid until the module's next forward (or backward),
 * so read them out, or hand them to the next module, before calling it again.
 */
public interface Layer {
    /** Runs the layer on {@code in} and keeps what the backward needs. */
    Value forward(Value in);

    /** Given the gradient of the last forward's output, accumulates parameter gradients and returns the input's gradient. */
    Value backward(Value gradOut);

    /**
     * Training or inference mode, and the optimizer step about to be taken: layers that behave
     * differently in training (dropout) draw their randomness from it, so a resumed run repeats
     * an uninterrupted one. Most layers ignore it.
     */
    default void setTraining(boolean training, long step) {
    }
}
