package dev.nfn4j.ops.simd;

/**
 * Per-thread scratch arrays, grown on demand and kept: packed X tiles, packed A blocks, epilogue
 * tiles, output-pool and weight-gradient partial sums. One per backend instance.
 *
 * <p>Tasks use the X, A and E slots of the thread they run on (also the calling thread's, when it
 * runs tasks itself), except a mix's packed A, which the caller packs into its A slot before its
 * tasks start and which they only read; the others hold the calling thread's results while its
 * tasks run (output-pool and weight-gradient partial sums).
 */
final class Scratch {
    static final int X_SLOT = 0, A_SLOT = 1, E_SLOT = 2, POOL_ROW_SLOT = 3, POOL_COL_SLOT = 4, POOL_ALL_SLOT = 5, WG_PART_SLOT = 6;

    private final ThreadLocal<float[][]> slots = ThreadLocal.withInitial(() -> new float[7][0]);

    /** This thread's array {@code slot} with at least n floats. */
    float[] get(int slot, int n) {
        float[][] s = slots.get();
        if (s[slot].length < n) s[slot] = new float[n];
        return s[slot];
    }
}
