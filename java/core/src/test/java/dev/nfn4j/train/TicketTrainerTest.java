package dev.nfn4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Sequential;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Permutation;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.testing.TestBackends;
import dev.nfn4j.zoo.Splits;
import dev.nfn4j.zoo.TicketArch;
import dev.nfn4j.zoo.TicketZoo;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TicketTrainerTest {
    @TempDir
    Path tmp;

    static final TicketArch.Mlp ARCH = new TicketArch.Mlp(new int[]{6, 5, 4, 3});

    /**
     * Permuting an initialisation's hidden neurons permutes the predicted mask the same way, the
     * top-k and the drawn one (HNP, NP and NP_IO, untrained and so arbitrary parameters; MLP and
     * CNN specs).
     */
    @Test
    void predictedMaskIsEquivariantUnderHiddenPermutations() {
        Ops ops = TestBackends.reference();
        NetworkSpec cnn = new NetworkSpec(new int[]{1, 4, 3, 2}, new int[][]{{3, 3}, {3, 3}, null});
        for (NetworkSpec spec : List.of(ARCH.spec(), cnn))
            for (String kind : List.of("HNP", "NP", "NP_IO")) {
                ModelConfig m = new ModelConfig(kind, new int[]{8, 8, 1}, "relu", InvariantNfn.Pool.NONE, new int[0]);
                Params params = new Params(ops);
                Sequential model = m.build(params, spec, 1);
                params.allocate(11);
                WsLayout one = new WsLayout(spec, 1, 1);
                Random r = new Random(5);
                double[] density = new double[spec.numLayers()];
                java.util.Arrays.fill(density, 0.3);
                for (int trial = 0; trial < 4; trial++) {
                    float[] init = new float[(int) one.size()];
                    for (int q = 0; q < init.length; q++) init[q] = (float) r.nextGaussian();
                    Permutation p = Permutation.randomHidden(spec, r);
                    float[] mask = TicketMasks.topK(spec, TicketTrainer.logits(ops, model, spec, init), density);
                    float[] permutedInit = p.apply(new HostWeights(one, init)).data();
                    float[] maskOfPermuted = TicketMasks.topK(spec, TicketTrainer.logits(ops, model, spec, permutedInit), density);
                    assertArrayEquals(p.apply(new HostWeights(one, mask)).data(), maskOfPermuted, kind + " " + spec + " trial " + trial);
                    // A drawn mask too: its noise follows the weights' initial values.
                    float[] drawn = TicketMasks.sample(spec, TicketTrainer.logits(ops, model, spec, init), init, density, 2, trial);
                    float[] drawnOfPermuted = TicketMasks.sample(spec, TicketTrainer.logits(ops, model, spec, permutedInit), permutedInit, density, 2, trial);
                    assertArrayEquals(p.apply(new HostWeights(one, drawn)).data(), drawnOfPermuted, kind + " " + spec + " drawn, trial " + trial);
                }
            }
    }

    /**
     * A zoo whose "IMP" masks are the magnitude-at-initialisation masks (learnable from the
     * initialisation alone): the trained NFN's masks overlap them far better than random ones,
     * the validation loss falls, and the checkpoint records the task and densities.
     */
    @Test
    void learnsALearnableMaskAndSavesTheCheckpoint() throws Exception {
        int N = 200, P = ARCH.numParams();
        float[] densities = {0.5f, 0.25f};
        int L = ARCH.weightRanges().length;
        float[] layerDensity = new float[2 * L];
        for (int k = 0; k < 2; k++) for (int l = 0; l < L; l++) layerDensity[k * L + l] = densities[k];
        Random r = new Random(2);
        float[] init = new float[N * P], survived = new float[N * P], acc = new float[N * 3];
        NetworkSpec spec = ARCH.spec();
        for (int n = 0; n < N; n++) {
            float[] x = new float[P];
            float scale = 0.2f + r.nextFloat();
            for (int q = 0; q < P; q++) x[q] = (float) (r.nextGaussian() * scale);
            int[][] w = ARCH.weightRanges();
            for (int l = 0; l < w.length; l++) for (int q = w[l][1]; q < (l + 1 < w.length ? w[l + 1][0] : P); q++) x[q] = 0; // zero biases
            float[] m0 = TicketMasks.magnitude(spec, x, new double[]{0.5, 0.5, 0.5}), m1 = TicketMasks.magnitude(spec, x, new double[]{0.25, 0.25, 0.25});
            for (int q = 0; q < P; q++) survived[n * P + q] = m0[q] + m1[q];
            System.arraycopy(x, 0, init, n * P, P);
        }
        TicketZoo zoo = TicketZoo.of(ARCH, init, survived, acc, densities, layerDensity);
        ModelConfig m = new ModelConfig("HNP", new int[]{16, 16, 1}, "relu", InvariantNfn.Pool.NONE, new int[0]);
        Path out = tmp.resolve("run");
        TicketTrainer t = new TicketTrainer(TestBackends.reference(), m, zoo, Splits.nfn(N, 1), new TicketTrainer.Config(8, 8, 1e-2, 3, 1), out);
        double before = t.loss(Splits.nfn(N, 1).val());
        TicketTrainer.Result res = t.fit();
        System.out.printf("ticket trainer on magnitude masks: val loss %.4f -> %.4f, IoU nfn %.3f random %.3f%n", before, res.bestValLoss(), res.nfnIou(),
                res.randomIou());
        assertTrue(res.bestValLoss() < before * 0.8, "validation loss " + before + " -> " + res.bestValLoss());
        assertEquals(1.0, res.magnitudeIou(), 1e-12, "the targets are the magnitude masks");
        assertTrue(res.nfnIou() > res.randomIou() + 0.25, "NFN IoU " + res.nfnIou() + " vs random " + res.randomIou());
        SafetensorsFile ck = Safetensors.read(res.checkpoint());
        assertEquals("ticket", ck.metadata().get("task"));
        assertEquals("0.25", ck.metadata().get("density"));
        assertEquals("0.25,0.25,0.25", ck.metadata().get("layer_density"));
        List<java.util.Map<String, Object>> log = Trainer.readLog(out);
        assertEquals(9, log.size(), "8 epochs and the test row");
    }

    @Test
    void refusesAnInvariantModelOrABadDensityIndex() {
        TicketZoo zoo = TicketZoo.of(ARCH, new float[10 * ARCH.numParams()], new float[10 * ARCH.numParams()], new float[20], new float[]{0.5f},
                new float[]{0.5f, 0.5f, 0.5f});
        ModelConfig invariant = ModelConfig.paper("HNP");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TicketTrainer(TestBackends.reference(), invariant, zoo,
                Splits.nfn(10, 0), new TicketTrainer.Config(1, 2, 1e-3, 0, 0), null));
        assertTrue(e.getMessage().contains("equivariant"), e.getMessage());
        ModelConfig eq = new ModelConfig("NP", new int[]{4, 1}, "relu", InvariantNfn.Pool.NONE, new int[0]);
        e = assertThrows(IllegalArgumentException.class, () -> new TicketTrainer(TestBackends.reference(), eq, zoo, Splits.nfn(10, 0),
                new TicketTrainer.Config(1, 2, 1e-3, 0, 1), null));
        assertTrue(e.getMessage().contains("density index 1"), e.getMessage());
    }
}
