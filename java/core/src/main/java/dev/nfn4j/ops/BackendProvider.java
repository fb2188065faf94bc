package dev.nfn4j.ops;

/**
 * A backend that lives in a jar of its own (the cuda backend of {@code nfn4j-cuda}), found by
 * {@link Backends} through {@link java.util.ServiceLoader}: putting the jar on the class path is
 * what makes it available.
 */
public interface BackendProvider {
    /** The name {@code -Dnfn4j.backend} and {@link Backends#byName} know it by. */
    String name();

    /** Why the backend cannot run here (no device, driver or kernels), or null when it can. */
    String unavailableReason();

    /** The backend, opened once per process; throws with the reason when it is unavailable. */
    Ops open();
}
