package dev.nfn4j.train;

import dev.nfn4j.io.HostTensor;
import dev.nfn4j.space.HostWeights;

import java.util.Map;

/**
 * Input normalization with training-set statistics, applied on the host to a canonical batch
 * before it is uploaded. A checkpoint keeps it as the metadata entry {@code normalizer}
 * ({@link #toJson}) plus any {@link #tensors} (read back by {@link CheckpointMetadata}).
 */
public interface InputNormalizer {
    /** Which normalization this is. */
    Normalization kind();

    /** Normalizes a canonical batch in place. */
    void apply(HostWeights x);

    /** The metadata entry {@code normalizer}: {@code {"kind": ..., ...}}. */
    String toJson();

    /** Tensors saved beside the parameters (their names and shapes are nfn's buffers); none for most. */
    Map<String, HostTensor> tensors();
}
