package dev.nfn4j.ops;

/** Elementwise activations, applied by {@link Ops#activation} and differentiated by {@link Ops#activationBackward}. */
public enum Act {
    /** x itself: no activation. */
    IDENTITY,
    /** max(x, 0). */
    RELU,
    /** 1 / (1 + exp(-x)). */
    SIGMOID,
    /** tanh(x). */
    TANH,
    /** GELU with the exact erf form (PyTorch's default, approximate='none'). */
    GELU,
    /** sin(x): with a shifted copy for cos, the Fourier input features. */
    SIN;

    /**
     * Whether act'(x) is a function of act(x) alone (ReLU: x > 0 exactly when relu(x) > 0), so a
     * layer that applies the activation in place can differentiate it from its output, passed as
     * the {@code x} of {@link Ops#activationBackward}. Sigmoid and tanh are not counted: their
     * reference derivatives are computed from x in double, which the output cannot reproduce bit for bit.
     */
    public boolean derivativeFromOutput() {
        return this == IDENTITY || this == RELU;
    }

    /** Parses an activation by name, any case; an unknown name is an error listing the choices. */
    public static Act parse(String name) {
        for (Act a : values()) if (a.name().equalsIgnoreCase(name)) return a;
        throw new IllegalArgumentException("unknown activation '" + name + "' (expected one of relu, sigmoid, tanh, gelu, sin, identity)");
    }
}
