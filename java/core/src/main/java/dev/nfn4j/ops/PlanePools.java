package dev.nfn4j.ops;

/**
 * Where {@link Ops#channelMix} puts ({@link MixEpilogue#pools})
 * the plane means of the output it writes (after the activation), as {@link Ops#planeReduce} with
 * means would, for {@code P = B * cout} planes of {@code rows x cols}:
 * {@code rowMean [P][cols]} (over j), {@code colMean [P][rows]} (over k), {@code allMean [P]}.
 * Overwritten; any may be null. They are the next NF-Layer's input pools, taken while y is written
 * instead of in a second read of it (DESIGN.md section 5).
 */
public record PlanePools(Ptr rowMean, Ptr colMean, Ptr allMean) {}
