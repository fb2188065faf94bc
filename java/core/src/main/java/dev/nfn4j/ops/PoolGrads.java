package dev.nfn4j.ops;

/**
 * The gradients of the pools an NF-Layer takes of a mix's input, added to the mix's input
 * gradient ({@link MixGrads#pools}): for x {@code [B][cin][rows][cols]},
 * <pre>
 * dx[b][c][j][k] += sRow * row[b][c][k] + sCol * col[b][c][j] + sAll * all[b][c]
 * </pre>
 * the adjoint of the pooling ({@link Ops#planeBroadcast}); row {@code [B][cin][cols]}, col
 * {@code [B][cin][rows]}, all {@code [B][cin]}, any may be null.
 */
public record PoolGrads(Ptr row, float sRow, Ptr col, float sCol, Ptr all, float sAll) {}
