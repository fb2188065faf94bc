package dev.nfn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.Permutation;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.train.ClassifierNet;
import dev.nfn4j.zoo.Sirens;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The NFN classifiers' logits do not change when the hidden neurons of the input SIRENs are
 * permuted (the MLP baseline's do); their settings survive the checkpoint JSON.
 */
class ClassifierInvarianceTest {
    private static ClassifierConfig config(String kind) {
        boolean nfn = !kind.equals("MLP");
        return new ClassifierConfig(kind, new int[]{8, 6}, nfn ? 4 : 0, 10, kind.equals("NP"), 0.3, new int[]{16, 12}, 0.5, 10);
    }

    @ParameterizedTest
    @ValueSource(strings = {"HNP", "NP", "NP_IO", "STATNN"})
    void logitsAreInvariantToHiddenPermutations(String kind) {
        Ops ops = Backends.byName("reference");
        ClassifierNet net = new ClassifierNet(ops, config(kind), Sirens.SPEC);
        net.params().allocate(1);
        int P = net.rowSize(), B = 3;
        Random r = new Random(7);
        float[] rows = new float[2 * B * P];
        for (int b = 0; b < B; b++) {
            float[] s = Sirens.init(b);
            System.arraycopy(s, 0, rows, b * P, P);
            HostWeights permuted = Permutation.randomHidden(Sirens.SPEC, r).apply(new HostWeights(new WsLayout(Sirens.SPEC, 1, 1), s));
            System.arraycopy(permuted.data(), 0, rows, (B + b) * P, P);
        }
        float[] z = net.forward(rows, new int[]{0, 1, 2, 3, 4, 5}, false, 0);
        int K = 10;
        double spread = 0;
        for (int i = 0; i < B * K; i++) {
            assertEquals(z[i], z[B * K + i], 1e-4 * (1 + Math.abs(z[i])), kind + " logit " + i);
            spread += Math.abs(z[i] - z[(i + K) % (B * K)]);
        }
        assertTrue(spread > 1e-3, "the logits depend on the input");
    }

    @ParameterizedTest
    @ValueSource(strings = {"HNP", "NP", "MLP"})
    void configSurvivesJson(String kind) {
        ClassifierConfig c = config(kind);
        assertEquals(c, ClassifierConfig.fromJson("classifier", c.toJson()));
    }

    @org.junit.jupiter.api.Test
    void mlpIsNotInvariant() {
        Ops ops = Backends.byName("reference");
        ClassifierNet net = new ClassifierNet(ops, config("MLP"), Sirens.SPEC);
        net.params().allocate(1);
        int P = net.rowSize();
        float[] s = Sirens.init(0);
        float[] rows = new float[2 * P];
        System.arraycopy(s, 0, rows, 0, P);
        System.arraycopy(Permutation.randomHidden(Sirens.SPEC, new Random(2)).apply(new HostWeights(new WsLayout(Sirens.SPEC, 1, 1), s)).data(), 0,
                rows, P, P);
        float[] z = net.forward(rows, new int[]{0, 1}, false, 0);
        double diff = 0;
        for (int i = 0; i < 10; i++) diff += Math.abs(z[i] - z[10 + i]);
        assertTrue(diff > 1e-4, "an MLP on flattened weights sees the permutation");
    }
}
