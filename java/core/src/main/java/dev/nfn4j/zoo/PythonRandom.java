package dev.nfn4j.zoo;

import org.apache.commons.math3.random.MersenneTwister;

/**
 * Python's {@code random.Random(seed).shuffle(x)}, bit for bit, so that nfn's seeded
 * train/validation split is reproduced exactly. CPython seeds its MT19937 with
 * {@code init_by_array} over the 32-bit words of |seed| (which commons-math's
 * {@code setSeed(int[])} is), and shuffles with Fisher-Yates drawing
 * {@code _randbelow(i + 1)} by rejection from {@code getrandbits(k)}, k the bit length of i + 1.
 */
final class PythonRandom {
    private final MersenneTwister mt;

    PythonRandom(long seed) {
        if (seed < 0) throw new IllegalArgumentException("seed must be >= 0, got " + seed);
        int lo = (int) seed, hi = (int) (seed >>> 32);
        mt = new MersenneTwister(hi == 0 ? new int[]{lo} : new int[]{lo, hi});
    }

    /** {@code random.getrandbits(k)} for 1 <= k <= 32 (the top k bits of one 32-bit draw). */
    int getrandbits(int k) {
        return mt.nextInt() >>> (32 - k);
    }

    /** {@code random._randbelow(n)}, uniform in [0, n). */
    int randbelow(int n) {
        int k = 32 - Integer.numberOfLeadingZeros(n);
        int r = getrandbits(k);
        while (r >= n) r = getrandbits(k);
        return r;
    }

    /** {@code random.shuffle(x)} in place. */
    void shuffle(int[] x) {
        for (int i = x.length - 1; i > 0; i--) {
            int j = randbelow(i + 1);
            int t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
    }
}
