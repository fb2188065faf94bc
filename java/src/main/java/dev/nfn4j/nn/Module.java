package dev.nfn4j.nn;

/**
 * A differentiable layer. {@link #forward} keeps what {@link #backward} needs (the last input,
 * usually), so calls alternate: forward, then at most one backward for it. Backward returns the
 * gradient with respect to the input and accumulates parameter gradients into the
 * {@link Params} gradient buffer.
 */
public interface Module {
    Value forward(Value in);

    Value backward(Value gradOut);
}
