package dev.nfn4j.zoo;

/**
 * The zoo generator's random numbers: SplitMix64 (Steele, Lea and Flood 2014) with a fully
 * specified algorithm, so a seed gives the same stream on every JVM, version and thread. Derived
 * values use only exact arithmetic and {@link StrictMath}, never {@link Math}'s intrinsics, whose
 * last bits may differ between the interpreter, the JIT and CPUs.
 *
 * <p>Not thread-safe: every network owns its streams, seeded by {@link #seedFor}.
 */
public final class ZooRandom {
    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;
    private long state;

    /** A stream that starts from {@code seed}. */
    public ZooRandom(long seed) {
        this.state = seed;
    }

    /** The SplitMix64 finaliser (Stafford's variant 13): a bijection that scrambles every bit. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /**
     * The seed of one stream: a hash of the zoo seed and a path of ids (network index, stream
     * number, ...). Distinct paths give unrelated streams; the result depends on nothing else.
     */
    public static long seedFor(long seed, long... ids) {
        long h = mix64(seed ^ 0x6a09e667f3bcc908L);
        for (long id : ids) h = mix64(h + GOLDEN_GAMMA * (id + 1));
        return h;
    }

    /** The next 64 random bits. */
    public long nextLong() {
        state += GOLDEN_GAMMA;
        return mix64(state);
    }

    /** Uniform in [0, 1), 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound), unbiased (rejection of the top partial range). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
        while (true) {
            long bits = nextLong() >>> 33; // 31 bits
            long v = bits % bound;
            if (bits - v + (bound - 1) < (1L << 31)) return (int) v;
        }
    }

    /** Standard normal by Box-Muller (one value per two uniforms; nothing cached). */
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // (0, 1]
        double u2 = nextDouble();
        return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * StrictMath.PI * u2);
    }

    /** Uniform in [lo, hi). */
    public double uniform(double lo, double hi) {
        return lo + (hi - lo) * nextDouble();
    }

    /** Log-uniform in [lo, hi): exp of a uniform draw between log(lo) and log(hi). */
    public double logUniform(double lo, double hi) {
        return StrictMath.exp(uniform(StrictMath.log(lo), StrictMath.log(hi)));
    }

    /** Shuffles {@code a} in place (Fisher-Yates). */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
