package dev.nfn4j.ops;

import dev.nfn4j.testing.Compare;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs one {@link Ops} call on several backends with the same inputs and compares what it wrote
 * with backend 0's (the reference, or one thread). Every argument lives at a non-zero offset
 * inside a larger buffer: {@code pre} NaN guard floats, the data, {@code post} NaN guard floats
 * ({@code post} is 0 for about half of them, so an over-read past the data's end leaves the
 * array). After each call the harness checks, on every backend, that no guard was written and
 * no input changed; NaN guards also make an over-read that reaches a result visible. Outputs
 * with overwrite semantics are poisoned (NaN) before every call, so an element a backend never
 * writes fails the comparison; accumulating outputs start from random non-zero contents.
 *
 * <p>With {@code shared}, all arguments of a call sit one after another in a single buffer per
 * backend (a kernel that sized anything from the buffer rather than the arguments would show).
 * Only the {@link Ops} API touches memory, so this runs on any backend.
 */
final class OpsHarness {
    enum Kind { IN, OUT, ACC }

    /** One argument: the same host data in a buffer of every backend. */
    final class Arg {
        final String name;
        final Kind kind;
        final int n, pre, post;
        float[] data; // contents before the next call (NaN for OUT)
        final Ptr[] ptr = new Ptr[backends.size()];
        final long[] base = new long[backends.size()]; // where the region (pre guard) starts in its buffer

        Arg(String name, Kind kind, float[] data) {
            this.name = name;
            this.kind = kind;
            this.n = data.length;
            this.data = data;
            this.pre = 1 + rnd.nextInt(37);
            this.post = rnd.nextBoolean() ? 0 : 1 + rnd.nextInt(23);
        }

        int regionLength() {
            return pre + n + post;
        }

        float[] region() {
            float[] r = new float[regionLength()];
            Arrays.fill(r, Float.NaN);
            System.arraycopy(data, 0, r, pre, n);
            return r;
        }

        @Override
        public String toString() {
            return name + "[" + n + "] at offset " + pre;
        }
    }

    /** The pointers of one backend, for the call under test. */
    static final class Side {
        final int index;

        Side(int index) {
            this.index = index;
        }

        /** The argument's pointer on this backend; null for an absent optional argument. */
        Ptr at(Arg a) {
            return a == null ? null : a.ptr[index];
        }
    }

    interface Call {
        void run(Ops ops, Side side);
    }

    final List<Ops> backends;
    private final Random rnd;
    private final boolean shared;
    private final List<Arg> args = new ArrayList<>();
    private boolean placed;

    OpsHarness(List<Ops> backends, long seed, boolean shared) {
        if (backends.size() < 2) throw new IllegalArgumentException("compare at least two backends");
        this.backends = backends;
        this.rnd = new Random(seed);
        this.shared = shared;
    }

    Random rnd() {
        return rnd;
    }

    float[] gaussian(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    /** An input: must come back unchanged. */
    Arg in(String name, float[] data) {
        return add(new Arg(name, Kind.IN, data.clone()));
    }

    /** An output the call overwrites: poisoned with NaN before every call. */
    Arg out(String name, int n) {
        float[] nan = new float[n];
        Arrays.fill(nan, Float.NaN);
        return add(new Arg(name, Kind.OUT, nan));
    }

    /** An output the call adds to (or updates in place): starts from {@code init}. */
    Arg acc(String name, float[] init) {
        return add(new Arg(name, Kind.ACC, init.clone()));
    }

    private Arg add(Arg a) {
        if (placed) throw new IllegalStateException("arguments must be declared before the first run");
        args.add(a);
        return a;
    }

    /** Replaces an input's contents on every backend (a new gradient for the next Adam step). */
    void set(Arg a, float[] data) {
        if (a.kind != Kind.IN || data.length != a.n) throw new IllegalArgumentException("set " + a);
        place();
        a.data = data.clone();
        for (int s = 0; s < backends.size(); s++) backends.get(s).upload(a.data, 0, a.ptr[s], a.n);
    }

    private void place() {
        if (placed) return;
        placed = true;
        for (int s = 0; s < backends.size(); s++) {
            Ops ops = backends.get(s);
            if (shared) {
                long total = 0;
                for (Arg a : args) total += a.regionLength();
                Buf buf = ops.alloc(total);
                long at = 0;
                for (Arg a : args) {
                    a.base[s] = at;
                    a.ptr[s] = buf.at(at + a.pre);
                    at += a.regionLength();
                }
            } else {
                for (Arg a : args) {
                    Buf buf = ops.alloc(a.regionLength());
                    a.base[s] = 0;
                    a.ptr[s] = buf.at(a.pre);
                }
            }
            for (Arg a : args) {
                float[] r = a.region();
                ops.upload(r, 0, a.ptr[s].buf().at(a.base[s]), r.length);
            }
        }
    }

    /** Runs the call on every backend (outputs re-poisoned first), then checks guards and inputs. */
    void run(Call call) {
        place();
        for (int s = 0; s < backends.size(); s++) {
            Ops ops = backends.get(s);
            for (Arg a : args) if (a.kind == Kind.OUT) ops.upload(a.data, 0, a.ptr[s], a.n);
            call.run(ops, new Side(s));
        }
        for (int s = 0; s < backends.size(); s++) {
            Ops ops = backends.get(s);
            for (Arg a : args) {
                float[] r = new float[a.regionLength()];
                ops.download(a.ptr[s].buf().at(a.base[s]), r, 0, r.length);
                for (int i = 0; i < a.pre; i++)
                    if (!Float.isNaN(r[i]))
                        fail(ops.describe() + " wrote " + r[i] + " before " + a + " (element " + (i - a.pre) + ")");
                for (int i = a.pre + a.n; i < r.length; i++)
                    if (!Float.isNaN(r[i]))
                        fail(ops.describe() + " wrote " + r[i] + " past the end of " + a + " (element " + (i - a.pre) + ")");
                if (a.kind == Kind.IN)
                    Compare.assertBitIdentical(Arrays.copyOfRange(r, a.pre, a.pre + a.n), a.data, ops.describe() + " changed input " + a);
            }
        }
    }

    /** The argument's contents on backend {@code side} after the last run. */
    float[] read(Arg a, int side) {
        float[] r = new float[a.n];
        backends.get(side).download(a.ptr[side], r, 0, a.n);
        return r;
    }

    /** Every backend's contents of {@code a} against backend 0's: rel. L2 within tol, or bit-identical for tol 0. */
    void expect(Arg a, double tol) {
        float[] want = read(a, 0);
        for (int s = 1; s < backends.size(); s++)
            Compare.assertClose(read(a, s), want, tol, backends.get(s).describe() + " vs " + backends.get(0).describe() + ", " + a.name);
    }

    /** Every backend's contents of {@code a} as the given values, bit for bit. */
    void expectExactly(Arg a, float[] want) {
        for (int s = 0; s < backends.size(); s++)
            Compare.assertBitIdentical(read(a, s), want, backends.get(s).describe() + ", " + a.name);
    }
}
