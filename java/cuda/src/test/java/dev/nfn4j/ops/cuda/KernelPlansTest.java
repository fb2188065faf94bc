package dev.nfn4j.ops.cuda;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.LossFn;
import dev.nfn4j.ops.MixShape;
import dev.nfn4j.ops.NormShape;
import dev.nfn4j.ops.SirenShape;
import dev.nfn4j.ops.reference.ReferenceOps;
import dev.nfn4j.testing.Compare;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The cuda backend's launch planning, without a GPU: every op's launches build (so each
 * argument list type-checks against its kernel's C signature, for every combination of
 * optional arguments), grids cover every output exactly once on uneven sizes, the weight
 * gradient's partition is fixed and complete, copy4d's axis split reproduces the reference bit
 * for bit, and sizes past the kernels' 32-bit limits are refused with the tensor named.
 */
class KernelPlansTest {
    private static int next;

    /** A fake device address (its base names it, for messages). */
    private static DevPtr p(String name) {
        return new DevPtr(name + "#" + next++, 64);
    }

    private static DevPtr opt(boolean present, String name) {
        return present ? p(name) : null;
    }

    private static void checkLaunch(Launch l) {
        assertEquals(l.kernel().params.size(), l.args().size(), l.shape());
        assertTrue(l.gridX() >= 1 && l.gridY() >= 1 && l.gridZ() >= 1, l.shape());
        for (int i = 0; i < l.args().size(); i++) {
            Object a = l.args().get(i);
            Kernel.Type t = l.kernel().params.get(i).type();
            boolean ok = switch (t) {
                case FLOAT_PTR, DOUBLE_PTR -> a instanceof DevPtr;
                case INT -> a instanceof Integer;
                case LONG -> a instanceof Long;
                case FLOAT -> a instanceof Float;
                case DOUBLE -> a instanceof Double;
            };
            assertTrue(ok, l.shape() + ": argument " + i + " " + a + " for " + l.kernel().params.get(i));
        }
    }

    private static void check(List<Launch> plan) {
        plan.forEach(KernelPlansTest::checkLaunch);
    }

    @Test
    void everyOpPlansWithEveryCombinationOfOptionalArguments() {
        for (int opt = 0; opt < 16; opt++) {
            boolean b = (opt & 1) != 0, r = (opt & 2) != 0, c = (opt & 4) != 0, g = (opt & 8) != 0;
            MixShape s = new MixShape(3, 7, 33, 13, 17);
            List<Launch> fwd = KernelPlans.channelMix(s, p("x"), p("a"), opt(b, "bias"), opt(r, "row"), opt(c, "col"), opt(g, "glob"), Act.IDENTITY, p("y"), false);
            check(fwd);
            assertEquals(1, fwd.size());
            if (opt < 8) {
                List<Launch> bwd = KernelPlans.channelMixBackward(s, p("x"), p("a"), p("dy"), opt(b, "dx"), opt(r, "da"), opt(c, "dbias"), p("scratch"), false);
                check(bwd);
                assertEquals((b ? 1 : 0) + (r || c ? 2 : 0), bwd.size(), "launches for option bits " + opt);
                check(KernelPlans.planeReduce(5, 13, 70, p("x"), opt(b, "row"), opt(r, "col"), opt(c, "all"), g));
                check(KernelPlans.planeBroadcast(5, 13, 70, opt(b, "row"), 0.5f, opt(r, "col"), 2f, opt(c, "all"), 3f, p("dx")));
            }
        }
        for (boolean acc : new boolean[]{false, true})
            check(KernelPlans.copy4d(new int[]{2, 3, 5, 7}, p("src"), new long[]{105, 35, 7, 1}, p("dst"), new long[]{0, 35, 0, 1}, acc));
        check(KernelPlans.planeScale(9, 31, p("x"), p("scale"), p("y")));
        for (Act a : Act.values()) {
            check(KernelPlans.activation(a, 1000, p("x"), p("y")));
            check(KernelPlans.activationBackward(a, 1000, p("x"), p("dy"), p("dx")));
        }
        for (LossFn f : LossFn.values()) check(KernelPlans.lossGradient(f, 8, p("pred"), p("target"), p("grad")));
        check(KernelPlans.planeStats(4, 4550, p("x"), p("out")));
        check(KernelPlans.planeStatsBackward(4, 4550, p("x"), p("dOut"), p("dx")));
        check(KernelPlans.adamStep(70001, p("param"), p("grad"), p("m"), p("v"), AdamConfig.adamW(1e-2, 0.1), 3, p("hyper")));
        check(KernelPlans.adamStepCounter(70001, p("param"), p("grad"), p("m"), p("v"), AdamConfig.adam(1e-3), 10, p("counter"), p("hyper")));
    }

    @Test
    void aWrongArgumentNamesTheKernelSignature() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Launch.of(Kernel.ACTIVATION, "test").ptr(p("x")).ptr(p("y")).i(5));
        assertTrue(e.getMessage().contains("long long n") && e.getMessage().contains("activation("), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Launch.of(Kernel.ACTIVATION, "test").ptr(p("x")).ptr(p("y")).l(5).grid1d(1));
        assertTrue(e.getMessage().contains("3 arguments"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Launch.of(Kernel.ACTIVATION, "test").ptr(null));
    }

    @Test
    void absentOptionalArgumentsArePassedAsNullPointers() {
        Launch l = KernelPlans.channelMix(new MixShape(1, 2, 3, 4, 5), p("x"), p("a"), null, null, null, null, Act.IDENTITY, p("y"), false).get(0);
        for (int i = 2; i <= 5; i++) assertTrue(((DevPtr) l.args().get(i)).isNull(), l.kernel().params.get(i).name());
        assertTrue(!((DevPtr) l.args().get(6)).isNull());
    }

    /**
     * channel_mix's thread-to-output map, as the kernel computes it: thread (tx, ty) of block
     * (bx, by) owns channels 32 by + 4 ty + i and columns 256 bx + tx + 32 c. Every output of
     * uneven shapes exactly once, nothing outside.
     */
    @Test
    void theChannelMixGridCoversEveryOutputOnce() {
        int[][] shapes = {{1, 1, 1, 1}, {3, 33, 1, 1}, {2, 7, 13, 17}, {17, 65, 1, 1}, {1, 31, 100, 100}, {2, 32, 16, 16}, {1, 96, 257, 1}};
        for (int[] sh : shapes) {
            int batch = sh[0], cout = sh[1], rows = sh[2], cols = sh[3];
            Launch l = KernelPlans.channelMix(new MixShape(batch, 3, cout, rows, cols), p("x"), p("a"), null, null, null, null, Act.IDENTITY, p("y"), false).get(0);
            long n = (long) batch * rows * cols;
            int[][] hits = new int[cout][(int) n];
            for (int by = 0; by < l.gridY(); by++)
                for (int bx = 0; bx < l.gridX(); bx++)
                    for (int t = 0; t < l.block(); t++)
                        for (int c = 0; c < 8; c++)
                            for (int i = 0; i < 4; i++) {
                                long col = (long) bx * KernelPlans.MIX_BN + (t & 31) + 32 * c;
                                int m = by * KernelPlans.MIX_BM + 4 * (t >> 5) + i;
                                if (col < n && m < cout) hits[m][(int) col]++;
                            }
            for (int m = 0; m < cout; m++)
                for (int c = 0; c < n; c++) assertEquals(1, hits[m][c], "output (" + m + ", " + c + ") of " + l.shape());
        }
    }

    /** A fused activation travels as its Act ordinal (the kernels' ACT_ codes); the backward's dx mix never applies one. */
    @Test
    void theMixCarriesItsActivationCode() {
        MixShape s = new MixShape(2, 5, 7, 3, 4);
        for (Act act : Act.values()) {
            Launch l = KernelPlans.channelMix(s, p("x"), p("a"), null, null, null, null, act, p("y"), false).get(0);
            assertEquals(act.ordinal(), l.args().get(l.args().size() - 1), "last argument of " + l.shape());
        }
        Launch dx = KernelPlans.channelMixBackward(s, p("x"), p("a"), p("dy"), p("dx"), null, null, null, false).get(0);
        assertEquals(Act.IDENTITY.ordinal(), dx.args().get(dx.args().size() - 1));
    }

    /**
     * The fused mix backward through a ReLU launches the _relu_gated kernels, each taking the
     * forward's output (the gate) as its last argument, for the term pools, dx and the weight
     * gradient; through IDENTITY the plain kernels; other activations are refused (their
     * derivative needs the input).
     */
    @Test
    void theFusedBackwardGatesEveryPassThroughAReluAndOnlyThen() {
        MixShape s = new MixShape(3, 7, 33, 13, 17);
        for (int opt = 0; opt < 64; opt++) {
            boolean dx = (opt & 1) != 0, da = (opt & 2) != 0, db = (opt & 4) != 0, row = (opt & 8) != 0, col = (opt & 16) != 0, glob = (opt & 32) != 0;
            for (Act act : new Act[]{Act.IDENTITY, Act.RELU}) {
                DevPtr y = p("y");
                List<Launch> plan = KernelPlans.channelMixBackward(s, p("x"), p("a"), act, y, p("dy"), opt(row, "dRow"), opt(col, "dCol"),
                        opt(glob, "dGlob"), opt(dx, "dx"), false, opt(da, "da"), opt(db, "dbias"), p("scratch"), false);
                check(plan);
                int pools = row || col || glob ? 1 : 0;
                assertEquals(pools + (dx ? 1 : 0) + (da || db ? 2 : 0), plan.size(), act + " option bits " + opt);
                for (Launch l : plan) {
                    boolean gated = l.kernel().name().endsWith("_RELU_GATED");
                    boolean needsGate = act == Act.RELU && l.kernel() != Kernel.MIX_WEIGHT_GRAD_FINAL;
                    assertEquals(needsGate, gated, l.shape());
                    if (gated) assertEquals(y, l.args().get(l.args().size() - 1), l.shape() + ": the gate is the forward's output");
                }
            }
        }
        List<Launch> wide = KernelPlans.channelMixBackward(new MixShape(2, 64, 96, 3, 5), p("x"), p("a"), Act.RELU, p("y"), p("dy"), null, null,
                null, p("dx"), false, null, null, null, true);
        assertEquals(Kernel.CHANNEL_MIX_TF32_RELU_GATED, wide.get(0).kernel());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelPlans.channelMixBackward(s, p("x"), p("a"),
                Act.SIGMOID, p("y"), p("dy"), null, null, null, p("dx"), false, null, null, null, false));
        assertTrue(e.getMessage().contains("relu"), e.getMessage());
    }

    /**
     * The forward mix with its output's plane means: channel_mix_pooled (tiles of 8 rows x 32
     * columns per sample, 32 channels a block) writing partial sums into the scratch, row sums
     * first, then plane_pools_finish with the means' scales; planes smaller than a tile, and the
     * TF32 path, run the mix and then plane_reduce of y.
     */
    @Test
    void aPooledMixTakesItsMeansPerTileWhereThePlanesHoldOne() {
        MixShape s = new MixShape(3, 7, 33, 13, 70); // 2 x 3 tiles a plane, 2 channel blocks
        DevPtr y = p("y"), row = p("rowMean"), col = p("colMean"), all = p("allMean"), scratch = p("scratch");
        assertTrue(KernelPlans.pooledMixApplies(s, false));
        long planes = 3 * 33, rowPart = 2 * planes * 70, colPart = 3 * planes * 13;
        assertEquals(rowPart + colPart, KernelPlans.pooledMixScratch(s, false));
        List<Launch> plan = KernelPlans.channelMix(s, p("x"), p("a"), null, null, null, null, Act.RELU, y, row, col, all, scratch, false);
        check(plan);
        assertEquals(List.of(Kernel.CHANNEL_MIX_POOLED, Kernel.PLANE_POOLS_FINISH), plan.stream().map(Launch::kernel).toList());
        Launch mix = plan.get(0), finish = plan.get(1);
        assertEquals(3 * 2 * 3, mix.gridX(), "blocks: samples x row tiles x column tiles");
        assertEquals(2, mix.gridY(), "blocks over the 33 output channels");
        assertEquals(Act.RELU.ordinal(), mix.args().get(12));
        assertEquals(scratch, mix.args().get(13), "row sums at the start of the scratch");
        assertEquals(scratch.plusFloats(rowPart), mix.args().get(14), "column sums after them");
        assertEquals(List.of(scratch, scratch.plusFloats(rowPart), row, col, all), finish.args().subList(0, 5));
        assertEquals(List.of(2, 1.0 / 13, 1.0 / 70, 1.0 / (13 * 70)), finish.args().subList(9, 13), "row tiles, and the means' scales");
        assertEquals(planes, finish.gridX());
        // Only the global means (a bias's pools): the other outputs are null pointers.
        Launch onlyAll = KernelPlans.channelMix(s, p("x"), p("a"), null, null, null, null, Act.IDENTITY, y, null, null, all, scratch, false).get(1);
        assertEquals(List.of(DevPtr.NULL, DevPtr.NULL, all), onlyAll.args().subList(2, 5));

        for (MixShape small : List.of(new MixShape(2, 5, 7, 7, 64), new MixShape(2, 5, 7, 64, 31), new MixShape(4, 16, 8, 1, 300))) {
            assertFalse(KernelPlans.pooledMixApplies(small, false), small.toString());
            assertEquals(0, KernelPlans.pooledMixScratch(small, false));
            List<Launch> two = KernelPlans.channelMix(small, p("x"), p("a"), null, null, null, null, Act.IDENTITY, y, row, col, all, null, false);
            check(two);
            assertEquals(List.of(Kernel.CHANNEL_MIX, Kernel.PLANE_REDUCE), two.stream().map(Launch::kernel).toList(), small.toString());
            assertEquals(y, two.get(1).args().get(0), "plane_reduce reads the mix's output");
            assertEquals(1.0 / small.rows(), two.get(1).args().get(7), "as means");
        }
        MixShape wide = new MixShape(2, 64, 64, 16, 64);
        assertTrue(KernelPlans.pooledMixApplies(wide, false));
        assertFalse(KernelPlans.pooledMixApplies(wide, true), "the TF32 mix has no pooled epilogue");
        assertEquals(Kernel.CHANNEL_MIX_TF32,
                KernelPlans.channelMix(wide, p("x"), p("a"), null, null, null, null, Act.IDENTITY, y, row, col, all, null, true).get(0).kernel());
    }

    /**
     * With term gradients and a weight gradient, on planes of at least 32 columns, the dOut pools
     * come from the weight gradient's pass over dy (mix_weight_grad_pooled, gated through a ReLU):
     * no plane_reduce; its tiles' sums finished by plane_pools_finish as sums; every option
     * combination plans the right launches with the scratch laid out in order.
     */
    @Test
    void theWeightGradientPassAlsoPoolsDOutOnWidePlanes() {
        MixShape s = new MixShape(3, 7, 33, 13, 70);
        KernelPlans.PooledWeightGradSplit split = KernelPlans.pooledWeightGradSplit(s);
        assertEquals(new KernelPlans.PooledWeightGradSplit(1, 13, 3, 3 * 13 * 3), split, "3 column tiles, one plane row a tile");
        for (int opt = 0; opt < 64; opt++) {
            boolean dx = (opt & 1) != 0, da = (opt & 2) != 0, db = (opt & 4) != 0, row = (opt & 8) != 0, col = (opt & 16) != 0, glob = (opt & 32) != 0;
            boolean terms = row || col || glob, fused = terms && (da || db);
            assertEquals(fused, KernelPlans.pooledWeightGradApplies(s, terms, da || db));
            for (Act act : new Act[]{Act.IDENTITY, Act.RELU}) {
                DevPtr y = p("y"), scratch = p("scratch"), dRow = opt(row, "dRow"), dCol = opt(col, "dCol"), dGlob = opt(glob, "dGlob");
                List<Launch> plan = KernelPlans.channelMixBackward(s, p("x"), p("a"), act, y, p("dy"), dRow, dCol, dGlob, opt(dx, "dx"), false,
                        opt(da, "da"), opt(db, "dbias"), scratch, false);
                check(plan);
                String at = act + " option bits " + opt;
                assertEquals((dx ? 1 : 0) + (fused ? 3 : (terms ? 1 : 0) + (da || db ? 2 : 0)), plan.size(), at);
                assertEquals(!fused && terms, plan.stream().anyMatch(l -> l.kernel().name().startsWith("PLANE_REDUCE")), at + ": plane_reduce");
                for (Launch l : plan) {
                    boolean gated = l.kernel().name().endsWith("_RELU_GATED");
                    boolean needsGate = act == Act.RELU && l.kernel() != Kernel.MIX_WEIGHT_GRAD_FINAL && l.kernel() != Kernel.PLANE_POOLS_FINISH;
                    assertEquals(needsGate, gated, l.shape());
                }
                if (!fused) continue;
                long planes = 3 * 33, daF = da ? split.chunks() * 33 * 7 : 0, dbF = db ? split.chunks() * 33 : 0;
                assertEquals(daF + dbF + 13 * planes * 70 + 3 * planes * 13, KernelPlans.backwardScratch(s, da, db, true), at);
                Launch pass = plan.get(dx ? 1 : 0), finish = plan.get(dx ? 2 : 1), fin = plan.get(dx ? 3 : 2);
                assertEquals(act == Act.RELU ? Kernel.MIX_WEIGHT_GRAD_POOLED_RELU_GATED : Kernel.MIX_WEIGHT_GRAD_POOLED, pass.kernel(), at);
                DevPtr partRow = scratch.plusFloats(daF + dbF), partCol = partRow.plusFloats(13 * planes * 70);
                assertEquals(List.of(da ? scratch : DevPtr.NULL, db ? scratch.plusFloats(daF) : DevPtr.NULL, partRow, partCol),
                        pass.args().subList(2, 6), at + ": partDa, partDb, partRow, partCol");
                assertEquals(List.of(split.chunks(), 2L, 1L), List.of((long) pass.gridX(), (long) pass.gridY(), (long) pass.gridZ()), at);
                assertEquals(1, pass.args().get(11), at + ": tile rows");
                assertEquals(List.of(partRow, partCol, orNull(dRow), orNull(dCol), orNull(dGlob)), finish.args().subList(0, 5), at);
                assertEquals(List.of(13, 1.0, 1.0, 1.0), finish.args().subList(9, 13), at + ": row tiles, and sums not means");
                assertEquals((int) split.chunks(), fin.args().get(6), at + ": chunks of the final sums");
            }
        }
        // Narrow planes, or no term gradients: plane_reduce and the column-chunked weight gradient.
        assertFalse(KernelPlans.pooledWeightGradApplies(new MixShape(3, 7, 33, 13, 31), true, true));
        MixShape huge = new MixShape(64, 32, 32, 1024, 1024);
        KernelPlans.PooledWeightGradSplit hs = KernelPlans.pooledWeightGradSplit(huge);
        assertEquals(List.of(1024, 1, 32), List.of(hs.tileRows(), hs.rowTiles(), hs.colTiles()), "beyond 1024 chunks: one tile row a plane");
    }

    private static DevPtr orNull(DevPtr p) {
        return p == null ? DevPtr.NULL : p;
    }

    /** dx's first writer stores it (channel_mix's accumulate argument 0) instead of adding to a zeroed buffer. */
    @Test
    void anOverwrittenDxIsStoredNotAdded() {
        MixShape s = new MixShape(2, 5, 7, 3, 4);
        for (Act act : new Act[]{Act.IDENTITY, Act.RELU})
            for (boolean overwrite : new boolean[]{false, true}) {
                DevPtr out = p("dx");
                Launch dx = KernelPlans.channelMixBackward(s, p("x"), p("a"), act, p("y"), p("dy"), null, null, null, out, overwrite,
                        null, null, null, false).get(0);
                assertEquals(act == Act.RELU ? Kernel.CHANNEL_MIX_RELU_GATED : Kernel.CHANNEL_MIX, dx.kernel());
                assertEquals(out, dx.args().get(6), dx.shape());
                assertEquals(overwrite ? 0 : 1, dx.args().get(14), dx.shape() + ": accumulate");
            }
    }

    /** TF32 only when asked for and both channel counts are wide; the backward's dx mix swaps them. */
    @Test
    void tf32MixesAreOptInAndOnlyForWideChannelCounts() {
        MixShape wide = new MixShape(2, 64, 96, 3, 5), narrowIn = new MixShape(2, 63, 96, 3, 5);
        assertEquals(Kernel.CHANNEL_MIX, KernelPlans.channelMix(wide, p("x"), p("a"), null, null, null, null, Act.IDENTITY, p("y"), false).get(0).kernel());
        Launch t = KernelPlans.channelMix(wide, p("x"), p("a"), null, null, null, null, Act.IDENTITY, p("y"), true).get(0);
        assertEquals(Kernel.CHANNEL_MIX_TF32, t.kernel());
        assertEquals(KernelPlans.ceilDiv(2 * 15, KernelPlans.T32_BN), t.gridX());
        assertEquals(KernelPlans.ceilDiv(96, KernelPlans.T32_BM), t.gridY());
        assertTrue(t.what().contains("tf32"), t.what());
        assertEquals(Kernel.CHANNEL_MIX, KernelPlans.channelMix(narrowIn, p("x"), p("a"), null, null, null, null, Act.IDENTITY, p("y"), true).get(0).kernel());

        List<Launch> bwd = KernelPlans.channelMixBackward(wide, p("x"), p("a"), p("dy"), p("dx"), p("da"), null, p("scratch"), true);
        assertEquals(Kernel.CHANNEL_MIX_TF32, bwd.get(0).kernel(), "dx: 96 -> 64 channels");
        assertEquals(KernelPlans.ceilDiv(64, KernelPlans.T32_BM), bwd.get(0).gridY());
        assertEquals(Kernel.MIX_WEIGHT_GRAD_PARTIAL, bwd.get(1).kernel(), "the weight gradient stays FP32");
        assertEquals(Kernel.CHANNEL_MIX,
                KernelPlans.channelMixBackward(narrowIn, p("x"), p("a"), p("dy"), p("dx"), null, null, null, true).get(0).kernel());
    }

    /**
     * channel_mix_tf32's output map: warp w = t / 32 of block (bx, by) owns rows 64 by + 16 (w / 2)
     * .. +15 and columns 64 bx + 32 (w % 2) .. +31 (two 16 x 16 fragments); the epilogue then
     * walks e = t, t + 256, ... < 64 x 64 as (row e / 64, column e % 64). Both cover every output
     * once.
     */
    @Test
    void theTf32GridCoversEveryOutputOnce() {
        int[][] shapes = {{1, 64, 1, 1}, {3, 65, 7, 13}, {2, 130, 16, 16}, {5, 64, 1, 1}};
        for (int[] sh : shapes) {
            int batch = sh[0], cout = sh[1], rows = sh[2], cols = sh[3];
            Launch l = KernelPlans.channelMix(new MixShape(batch, 64, cout, rows, cols), p("x"), p("a"), null, null, null, null, Act.IDENTITY, p("y"), true).get(0);
            assertEquals(Kernel.CHANNEL_MIX_TF32, l.kernel());
            long n = (long) batch * rows * cols;
            int[][] fragments = new int[cout][(int) n], epilogue = new int[cout][(int) n];
            for (int by = 0; by < l.gridY(); by++)
                for (int bx = 0; bx < l.gridX(); bx++) {
                    for (int w = 0; w < l.block() / 32; w++)
                        for (int r = 0; r < 16; r++)
                            for (int c = 0; c < 32; c++) {
                                int m = by * KernelPlans.T32_BM + 16 * (w >> 1) + r;
                                long col = (long) bx * KernelPlans.T32_BN + 32 * (w & 1) + c;
                                if (m < cout && col < n) fragments[m][(int) col]++;
                            }
                    for (int t = 0; t < l.block(); t++)
                        for (int e = t; e < KernelPlans.T32_BM * KernelPlans.T32_BN; e += l.block()) {
                            int m = by * KernelPlans.T32_BM + e / KernelPlans.T32_BN;
                            long col = (long) bx * KernelPlans.T32_BN + e % KernelPlans.T32_BN;
                            if (m < cout && col < n) epilogue[m][(int) col]++;
                        }
                }
            for (int m = 0; m < cout; m++)
                for (int c = 0; c < n; c++) {
                    assertEquals(1, fragments[m][c], "fragment output (" + m + ", " + c + ") of " + l.shape());
                    assertEquals(1, epilogue[m][c], "epilogue output (" + m + ", " + c + ") of " + l.shape());
                }
        }
    }

    @Test
    void theWeightGradientPartitionIsFixedAndComplete() {
        for (long columns : new long[]{1, 31, 32, 33, 8191, 8192, 8193, 100_000, 1L << 24, 3L << 30}) {
            KernelPlans.WeightGradSplit s = KernelPlans.weightGradSplit(columns);
            assertEquals(0, s.chunk() % KernelPlans.WG_TILE, "chunk of " + columns);
            assertTrue(s.chunks() >= 1 && s.chunks() <= KernelPlans.WG_MAX_CHUNKS, s.toString());
            assertTrue((long) (s.chunks() - 1) * s.chunk() < columns && (long) s.chunks() * s.chunk() >= columns, "every chunk non-empty, all covered: " + s);
            assertEquals(s, KernelPlans.weightGradSplit(columns), "a function of the size only");
        }
        MixShape sh = new MixShape(16, 32, 32, 1024, 1024);
        long scratch = KernelPlans.weightGradScratch(sh, true, true);
        int chunks = KernelPlans.weightGradSplit(16L << 20).chunks();
        assertEquals((long) chunks * 32 * 32 + (long) chunks * 32, scratch);
        Launch partial = KernelPlans.channelMixBackward(sh, p("x"), p("a"), p("dy"), null, p("da"), p("db"), p("scratch"), false).get(0);
        assertEquals(chunks, partial.gridX());
        assertEquals(1, partial.gridY());
        assertEquals(1, partial.gridZ());
    }

    /** copy4d's plan run on the host exactly as the kernel walks it: bit-identical to the reference, sums included. */
    @Test
    void theCopySplitReproducesTheReferenceBitForBit() {
        ReferenceOps ref = new ReferenceOps();
        Random rnd = new Random(4);
        int[] d = {2, 3, 5, 7};
        List<long[][]> cases = new ArrayList<>();
        cases.add(new long[][]{{105, 35, 7, 1}, {105, 35, 7, 1}});   // contiguous
        cases.add(new long[][]{{105, 35, 7, 1}, {105, 7, 21, 1}});   // swap axes 1, 2
        cases.add(new long[][]{{105, 35, 7, 0}, {105, 35, 7, 1}});   // broadcast along the last axis
        cases.add(new long[][]{{105, 35, 7, 1}, {35, 7, 1, 0}});     // sum over the last axis (dst [2][3][5])
        cases.add(new long[][]{{105, 35, 7, 1}, {0, 7, 0, 1}});      // sum over axes 0 and 2 (dst [3][7])
        cases.add(new long[][]{{1, 70, 14, 2}, {0, 0, 0, 0}});       // sum of everything, transposed source
        for (long[][] c : cases)
            for (boolean acc : new boolean[]{false, true}) {
                if (!acc && hasSum(d, c[1])) continue; // sums only accumulate
                float[] src = new float[210], dst0 = new float[210];
                for (int i = 0; i < 210; i++) {
                    src[i] = (float) rnd.nextGaussian() * (1 + i % 7) * 1000;
                    dst0[i] = (float) rnd.nextGaussian();
                }
                var sb = ref.alloc(210);
                var db = ref.alloc(210);
                ref.upload(src, 0, sb.at(0), 210);
                ref.upload(dst0, 0, db.at(0), 210);
                ref.copy4d(d, sb.at(0), c[0], db.at(0), c[1], acc);
                float[] want = new float[210];
                ref.download(db.at(0), want, 0, 210);
                float[] got = dst0.clone();
                emulateCopy4d(KernelPlans.copySplit(d, c[0], c[1]), src, got, acc);
                Compare.assertBitIdentical(got, want, "copy4d src " + java.util.Arrays.toString(c[0]) + " dst " + java.util.Arrays.toString(c[1]) + " acc " + acc);
            }
    }

    private static boolean hasSum(int[] dims, long[] ds) {
        for (int i = 0; i < 4; i++) if (ds[i] == 0 && dims[i] > 1) return true;
        return false;
    }

    /** The kernel copy4d (kernels/copy.cu), one thread after another. */
    private static void emulateCopy4d(KernelPlans.CopySplit c, float[] src, float[] dst, boolean acc) {
        int[] o = c.outerDims(), z = c.sumDims();
        long[] os = c.outerSrc(), od = c.outerDst(), zs = c.sumSrc();
        for (long idx = 0; idx < c.outer(); idx++) {
            long rest = idx;
            long i3 = rest % o[3];
            rest /= o[3];
            long i2 = rest % o[2];
            rest /= o[2];
            long i1 = rest % o[1];
            long i0 = rest / o[1];
            long s = i0 * os[0] + i1 * os[1] + i2 * os[2] + i3 * os[3], d = i0 * od[0] + i1 * od[1] + i2 * od[2] + i3 * od[3];
            float v = acc ? dst[(int) d] : 0f;
            for (int a = 0; a < z[0]; a++)
                for (int b = 0; b < z[1]; b++)
                    for (int cc = 0; cc < z[2]; cc++)
                        for (int e = 0; e < z[3]; e++) {
                            float sv = src[(int) (s + a * zs[0] + b * zs[1] + cc * zs[2] + e * zs[3])];
                            v = acc ? v + sv : sv;
                        }
            dst[(int) d] = v;
        }
    }

    @Test
    void emptyOpsLaunchNothing() {
        assertTrue(KernelPlans.copy4d(new int[]{2, 0, 5, 7}, p("s"), new long[4], p("d"), new long[4], true).isEmpty());
        assertTrue(KernelPlans.planeReduce(0, 3, 3, p("x"), p("r"), null, null, true).isEmpty());
        assertTrue(KernelPlans.planeReduce(4, 3, 3, p("x"), null, null, null, true).isEmpty());
        assertTrue(KernelPlans.activation(Act.RELU, 0, p("x"), p("y")).isEmpty());
        assertTrue(KernelPlans.channelMixBackward(new MixShape(1, 1, 1, 1, 1), p("x"), p("a"), p("dy"), null, null, null, null, false).isEmpty());
    }

    @Test
    void gridStrideLoopsAreCappedAndNeverEmpty() {
        assertEquals(1, KernelPlans.strideBlocks(0));
        assertEquals(1, KernelPlans.strideBlocks(256));
        assertEquals(2, KernelPlans.strideBlocks(257));
        assertEquals(KernelPlans.GRID_STRIDE_BLOCKS, KernelPlans.strideBlocks(1L << 40));
        assertEquals(KernelPlans.PLANE_BLOCKS, KernelPlans.planeStats(1L << 33, 7, p("x"), p("o")).get(0).gridX());
    }

    @Test
    void sizesPastTheKernels32BitLimitsAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KernelPlans.planeBroadcast(1, 1 << 16, 1 << 16, p("row"), 1f, null, 0f, null, 0f, p("dx")));
        assertTrue(e.getMessage().contains("planeBroadcast plane"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> KernelPlans.channelMix(new MixShape(1, 1, 1, 1 << 16, 1 << 16), p("x"), p("a"), null, null, null, null, Act.IDENTITY, p("y"), false));
        assertTrue(e.getMessage().contains("channelMix"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, // 2^21 output channels: 65536 channel tiles, one more than grid.y allows
                () -> KernelPlans.channelMix(new MixShape(1, 1, 1 << 21, 1, 1), p("x"), p("a"), null, null, null, null, Act.IDENTITY, p("y"), false));
        assertTrue(e.getMessage().contains("grid") && e.getMessage().contains("channel_mix"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KernelPlans.planeStats(1, Integer.MAX_VALUE, p("x"), p("o")));
        assertTrue(e.getMessage().contains("planeStats n"), e.getMessage());
        // a large batch is fine: offsets are 64-bit
        check(KernelPlans.channelMix(new MixShape(4096, 32, 32, 1024, 1024), p("x"), p("a"), null, null, null, null, Act.IDENTITY, p("y"), false));
        check(KernelPlans.planeReduce(1L << 31, 1024, 1024, p("x"), p("r"), p("c"), p("a"), true));
    }

    @Test
    void layerNormsPlanOneBlockPerGroupAndTheParameterGradientsFromItsStatistics() {
        for (NormShape.Kind kind : NormShape.Kind.values()) {
            NormShape s = new NormShape(3, 7, 5, 4, kind, 1e-5);
            List<Launch> fwd = KernelPlans.layerNorm(s, p("x"), p("gamma"), p("beta"), p("y"));
            check(fwd);
            assertEquals(15, fwd.get(0).gridX()); // outer * groups
            assertEquals(kind.ordinal(), fwd.get(0).args().get(8));
            for (int opt = 0; opt < 8; opt++) {
                boolean dx = (opt & 1) != 0, dg = (opt & 2) != 0, db = (opt & 4) != 0;
                List<Launch> bwd = KernelPlans.layerNormBackward(s, p("x"), p("gamma"), p("dy"), opt(dx, "dx"), opt(dg, "dgamma"), opt(db, "dbias"), p("stats"));
                check(bwd);
                assertEquals(opt == 0 ? 0 : (dg || db ? 2 : 1), bwd.size(), "launches for option bits " + opt);
                if (!bwd.isEmpty()) assertEquals(dx ? bwd.get(0).args().get(3) : DevPtr.NULL, bwd.get(0).args().get(3));
            }
        }
        assertEquals(2L * 3 * 5, KernelPlans.layerNormScratchDoubles(new NormShape(3, 7, 5, 4, NormShape.Kind.STD_PLUS_EPS, 1e-5)));
        assertEquals(KernelPlans.PLANE_BLOCKS,
                KernelPlans.layerNorm(new NormShape(1 << 12, 2, 1 << 12, 1, NormShape.Kind.STD_PLUS_EPS, 1e-5), p("x"), p("g"), p("b"), p("y")).get(0).gridX());
    }

    @Test
    void attentionPlansOneBlockPerTokenSetAndBoundsItsScratch() {
        List<Launch> fwd = KernelPlans.attention(6, 17, 13, 0.25f, p("qkv"), p("probs"), p("out"));
        check(fwd);
        assertEquals(6, fwd.get(0).gridX());
        List<Launch> bwd = KernelPlans.attentionBackward(6, 17, 13, 0.25f, p("qkv"), p("probs"), p("dOut"), p("dqkv"), p("scratch"));
        check(bwd);
        assertEquals(6, bwd.get(0).gridX());
        assertEquals(6L * 17 * 17, KernelPlans.attentionScratchDoubles(6, 17));
        // many sets: the grid (and with it the scratch, a tokens x tokens slice per block) is capped
        long many = 1L << 20;
        assertEquals(KernelPlans.ATTENTION_BLOCKS, KernelPlans.attentionBackward(many, 5, 3, 1f, p("q"), p("p"), p("d"), p("dq"), p("s")).get(0).gridX());
        assertEquals((long) KernelPlans.ATTENTION_BLOCKS * 25, KernelPlans.attentionScratchDoubles(many, 5));
        assertTrue(KernelPlans.attention(0, 5, 3, 1f, p("q"), p("p"), p("o")).isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KernelPlans.attention(1, 1 << 16, 1, 1f, p("q"), p("p"), p("o")));
        assertTrue(e.getMessage().contains("attention tokens^2"), e.getMessage());
    }

    @Test
    void sirenPlansOneBlockPerSirenAndRefusesSizesBeyondSharedMemory() {
        SirenShape s = SirenShape.nfn(7, 784, 1);
        List<Launch> fwd = KernelPlans.siren(s, p("w"), p("x"), p("y"));
        check(fwd);
        assertEquals(7, fwd.get(0).gridX());
        List<Launch> bwd = KernelPlans.sirenBackward(s, p("w"), p("x"), null, p("t"), p("dw"), null);
        check(bwd);
        assertEquals(Kernel.SIREN_BACKWARD, bwd.get(0).kernel());
        assertEquals(KernelPlans.SIREN_BLOCKS, KernelPlans.siren(new SirenShape(1 << 20, 10, 2, 32, 1, 30f, 30f), p("w"), p("x"), p("y")).get(0).gridX());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KernelPlans.siren(new SirenShape(1, 10, 2, 64, 1, 30f, 30f), p("w"), p("x"), p("y")));
        assertTrue(e.getMessage().contains("hidden <= 32"), e.getMessage());
    }

    @Test
    void adamScalarsAreTheReferences() {
        AdamConfig cfg = AdamConfig.adamW(1e-2, 0.1);
        Launch set = KernelPlans.adamStep(10, p("p"), p("g"), p("m"), p("v"), cfg, 3, p("h")).get(0);
        assertEquals((float) (cfg.lr() / (1 - Math.pow(0.9, 3))), (double) set.args().get(1));
        assertEquals((float) Math.sqrt(1 - Math.pow(0.999, 3)), (double) set.args().get(2));
        assertEquals((float) (1 - cfg.lr() * 0.1), (double) set.args().get(3));
        assertEquals(0.0, (double) set.args().get(4));
        assertThrows(IllegalArgumentException.class, () -> KernelPlans.adamStep(10, p("p"), p("g"), p("m"), p("v"), cfg, 0, p("h")));
        if (set.args().size() != Kernel.ADAM_HYPER_SET.params.size()) fail("hyper_set arguments");
    }
}
