package dev.nfn4j.ops;

/** Elementwise activations, applied by {@link Ops#activation} and differentiated by {@link Ops#activationBackward}. */
public enum Act {
    IDENTITY, RELU, SIGMOID, TANH,
    /** GELU with the exact erf form (PyTorch's default, approximate='none'). */
    GELU,
    /** sin(x): with a shifted copy for cos, the Fourier input features. */
    SIN;

    public static Act parse(String name) {
        for (Act a : values()) if (a.name().equalsIgnoreCase(name)) return a;
        throw new IllegalArgumentException("unknown activation '" + name + "' (expected one of relu, sigmoid, tanh, gelu, sin, identity)");
    }
}
