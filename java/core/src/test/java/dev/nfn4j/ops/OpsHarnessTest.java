package dev.nfn4j.ops;

import dev.nfn4j.ops.OpsHarness.Arg;
import dev.nfn4j.ops.host.HostBuf;
import dev.nfn4j.ops.reference.ReferenceOps;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The equivalence harness catches the bugs it is there for: a deliberately broken copy of the
 * reference (one bug each) must fail it, and the reference against itself must pass.
 */
class OpsHarnessTest {
    static final MixShape SHAPE = new MixShape(2, 3, 5, 7, 13);

    /** The reference with one channelMix or channelMixBackward bug, chosen by {@code bug}. */
    static final class Broken extends ReferenceOpsDelegate {
        final String bug;

        Broken(String bug) {
            this.bug = bug;
        }

        @Override
        public void channelMix(MixShape s, Ptr x, Ptr a, MixEpilogue e, Ptr y) {
            long n = (long) s.batch() * s.cout() * s.plane();
            float[] Y = HostBuf.array(y);
            switch (bug) {
                case "bias offset ignored" -> super.channelMix(s, x, a, new MixEpilogue(e.bias().buf().at(0), e.row(), e.col(), e.glob(), e.act(), e.pools()), y);
                case "last element unwritten" -> {
                    float last = Y[(int) (y.offset() + n - 1)];
                    super.channelMix(s, x, a, e, y);
                    Y[(int) (y.offset() + n - 1)] = last;
                }
                case "writes past the end" -> {
                    super.channelMix(s, x, a, e, y);
                    if (y.offset() + n < Y.length) Y[(int) (y.offset() + n)] = 0f;
                    else throw new ArrayIndexOutOfBoundsException("past the end");
                }
                case "writes before the start" -> {
                    super.channelMix(s, x, a, e, y);
                    Y[(int) y.offset() - 1] = 0f;
                }
                case "scribbles on its input" -> {
                    super.channelMix(s, x, a, e, y);
                    HostBuf.array(x)[(int) x.offset()] += 1f;
                }
                case "one element off by 1e-3" -> {
                    super.channelMix(s, x, a, e, y);
                    Y[(int) y.offset() + 3] += 1e-3f * Math.abs(Y[(int) y.offset() + 3]) + 1e-3f;
                }
                default -> super.channelMix(s, x, a, e, y);
            }
        }

        @Override
        public void channelMixBackward(MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, MixGrads g) {
            if (bug.equals("dbias overwritten, not accumulated")) fill(g.dbias(), s.cout(), 0f);
            super.channelMixBackward(s, x, a, act, y, dy, g);
        }

        @Override
        public String describe() {
            return "broken (" + bug + ")";
        }
    }

    /** Forwards every call to the reference. */
    abstract static class ReferenceOpsDelegate implements Ops {
        final ReferenceOps d = new ReferenceOps();

        @Override public String name() { return "broken"; }
        @Override public Buf alloc(long n) { return d.alloc(n); }
        @Override public void upload(float[] src, int o, Ptr dst, int n) { d.upload(src, o, dst, n); }
        @Override public void download(Ptr src, float[] dst, int o, int n) { d.download(src, dst, o, n); }
        @Override public void fill(Ptr x, long n, float v) { d.fill(x, n, v); }
        @Override public void channelMix(MixShape s, Ptr x, Ptr a, MixEpilogue e, Ptr y) { d.channelMix(s, x, a, e, y); }
        @Override public void channelMixBackward(MixShape s, Ptr x, Ptr a, Act act, Ptr y, Ptr dy, MixGrads g) { d.channelMixBackward(s, x, a, act, y, dy, g); }
        @Override public void planeReduce(long p, int r, int c, Ptr x, Ptr ro, Ptr co, Ptr ao, boolean m) { d.planeReduce(p, r, c, x, ro, co, ao, m); }
        @Override public void planeBroadcast(long p, int r, int c, Ptr row, float sr, Ptr col, float sc, Ptr all, float sa, Ptr dx) { d.planeBroadcast(p, r, c, row, sr, col, sc, all, sa, dx); }
        @Override public void copy4d(int[] dims, Ptr s, long[] ss, Ptr t, long[] ts, boolean acc) { d.copy4d(dims, s, ss, t, ts, acc); }
        @Override public void planeScale(long p, int n, Ptr x, Ptr s, Ptr y) { d.planeScale(p, n, x, s, y); }
        @Override public void activation(Act act, long n, Ptr x, Ptr y) { d.activation(act, n, x, y); }
        @Override public void activationBackward(Act act, long n, Ptr x, Ptr y, Ptr dy, Ptr dx) { d.activationBackward(act, n, x, y, dy, dx); }
        @Override public void planeStats(long p, int n, Ptr x, Ptr out) { d.planeStats(p, n, x, out); }
        @Override public void planeStatsBackward(long p, int n, Ptr x, Ptr g, Ptr dx) { d.planeStatsBackward(p, n, x, g, dx); }
        @Override public void adamStep(long n, Ptr p, Ptr g, Ptr m, Ptr v, AdamConfig cfg, long step) { d.adamStep(n, p, g, m, v, cfg, step); }
        @Override public void layerNorm(NormShape s, Ptr x, Ptr g, Ptr b, Ptr y) { d.layerNorm(s, x, g, b, y); }
        @Override public void layerNormBackward(NormShape s, Ptr x, Ptr g, Ptr dy, Ptr dx, Ptr dg, Ptr db) { d.layerNormBackward(s, x, g, dy, dx, dg, db); }
        @Override public void attention(long g, int t, int n, float sc, Ptr qkv, Ptr p, Ptr o) { d.attention(g, t, n, sc, qkv, p, o); }
        @Override public void attentionBackward(long g, int t, int n, float sc, Ptr qkv, Ptr p, Ptr dO, Ptr dq) { d.attentionBackward(g, t, n, sc, qkv, p, dO, dq); }
        @Override public void siren(SirenShape s, Ptr w, Ptr c, Ptr o) { d.siren(s, w, c, o); }
        @Override public void sirenBackward(SirenShape s, Ptr w, Ptr c, Ptr dO, Ptr t, Ptr dw, Ptr l) { d.sirenBackward(s, w, c, dO, t, dw, l); }
    }

    private static void mix(Ops other, long seed) {
        OpsHarness h = new OpsHarness(List.of(new ReferenceOps(), other), seed, false);
        int B = SHAPE.batch(), cin = SHAPE.cin(), cout = SHAPE.cout();
        long plane = SHAPE.plane();
        Arg x = h.in("x", h.gaussian((int) (B * cin * plane)));
        Arg a = h.in("a", h.gaussian(cout * cin));
        Arg bias = h.in("bias", h.gaussian(cout));
        Arg y = h.out("y", (int) (B * cout * plane));
        h.run((ops, p) -> ops.channelMix(SHAPE, p.at(x), p.at(a), MixEpilogue.bias(p.at(bias)), p.at(y)));
        h.expect(y, 1e-5);
    }

    @Test
    void referenceAgreesWithItself() {
        for (long seed = 0; seed < 8; seed++) {
            long s = seed;
            assertDoesNotThrow(() -> mix(new Broken("none"), s));
        }
    }

    @Test
    void eachInjectedForwardBugIsCaught() {
        for (String bug : List.of("bias offset ignored", "last element unwritten", "writes past the end", "writes before the start",
                "scribbles on its input", "one element off by 1e-3"))
            for (long seed = 0; seed < 4; seed++) { // guards of both kinds (post 0 or not), shared buffers or not
                long s = seed;
                Throwable t = assertThrows(Throwable.class, () -> mix(new Broken(bug), s), bug + " was not caught (seed " + s + ")");
                assertTrue(t instanceof AssertionFailedError || t instanceof IndexOutOfBoundsException, bug + ": " + t);
            }
    }

    @Test
    void anOutputThatOverwritesInsteadOfAccumulatingIsCaught() {
        OpsHarness h = new OpsHarness(List.of(new ReferenceOps(), new Broken("dbias overwritten, not accumulated")), 5, true);
        Arg x = h.in("x", h.gaussian(2 * 3 * 91));
        Arg a = h.in("a", h.gaussian(15));
        Arg dy = h.in("dy", h.gaussian(2 * 5 * 91));
        Arg dbias = h.acc("dbias", h.gaussian(5));
        h.run((ops, p) -> ops.channelMixBackward(SHAPE, p.at(x), p.at(a), Act.IDENTITY, null, p.at(dy), MixGrads.of(null, null, p.at(dbias))));
        assertThrows(AssertionFailedError.class, () -> h.expect(dbias, 1e-4));
    }
}
