package dev.nfn4j.ops.cuda;

import dev.nfn4j.ops.BackendProvider;
import dev.nfn4j.ops.Ops;

/** The cuda backend as a {@link BackendProvider}: what {@code Backends} loads from this jar. */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String unavailableReason() {
        return CudaProbe.unavailableReason();
    }

    @Override
    public Ops open() {
        return CudaProbe.open();
    }
}
