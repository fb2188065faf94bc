package dev.nfn4j.train;

import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.testing.TestBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Inputs a model cannot read are refused, and a prediction is never NaN or infinite. */
class PredictorInputTest {
    @TempDir
    Path tmp;

    private final Ops ops = TestBackends.reference();

    private static HostWeights filled(int n, float value) {
        WsLayout lay = new WsLayout(Checkpoint.SPEC, n, 1);
        float[] d = new float[Math.toIntExact(lay.size())];
        Arrays.fill(d, value);
        return new HostWeights(lay, d);
    }

    private static HostWeights gaussian(int n) {
        HostWeights x = filled(n, 0);
        Random r = new Random(9);
        for (int i = 0; i < x.data().length; i++) x.data()[i] = (float) r.nextGaussian();
        return x;
    }

    private String refused(Predictor p, HostWeights x) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.predict(x));
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void hugeOrNonFiniteInputsAreRefusedNamingTheNetworkAndTensor() throws Exception {
        try (Predictor p = Predictor.load(Checkpoint.write(tmp.resolve("m.safetensors"), ops, new int[]{8}, null, 1), ops)) {
            for (float v : new float[]{3e38f, -3e38f, 1e30f, 2e6f}) {
                String m = refused(p, filled(2, v));
                assertTrue(m.startsWith("network 0: weight.0 holds " + v) && m.contains("beyond"), m);
            }
            HostWeights one = gaussian(3);
            one.data()[Math.toIntExact(one.layout().bOffset(1)) + 3 * 3 - 1] = Float.NaN; // network 2's last bias of layer 1
            String m = refused(p, one);
            assertTrue(m.startsWith("network 2: bias.1 holds NaN"), m);
            assertEquals(3, p.predict(gaussian(3)).length, "a usable input still predicts");
            float[] edge = p.predict(filled(1, Predictor.MAX_INPUT));
            assertTrue(Float.isFinite(edge[0]), "the limit itself is accepted");
        }
    }

    @Test
    void inputsThatOverflowOnlyAfterNormalizationAreRefused() throws Exception {
        double[] mean = new double[4], std = {1, 1, 1, 1};
        mean[0] = -1e37; // a finite float, so the checkpoint loads; normalized inputs are about 1e37
        Path ckpt = Checkpoint.write(tmp.resolve("n.safetensors"), ops, new int[]{8}, new WeightNormalizer(mean, std), 1);
        try (Predictor p = Predictor.load(ckpt, ops)) {
            String m = refused(p, gaussian(1));
            assertTrue(m.contains("weight.0") && m.contains("after the checkpoint's per-tensor normalization"), m);
        }
    }

    @Test
    void aModelWhoseOutputOverflowsIsAnErrorNotANaN() throws Exception {
        Path good = Checkpoint.write(tmp.resolve("g.safetensors"), ops, new int[]{8}, null, 1);
        Path huge = Checkpoint.rewrite(good, tmp.resolve("h.safetensors"), md -> { }, t -> {
            for (String n : t.keySet().toArray(String[]::new)) {
                float[] v = new float[(int) t.get(n).numel()];
                for (int i = 0; i < v.length; i++) v[i] = i % 2 == 0 ? 3e38f : -3e38f; // finite parameters whose sums overflow to inf - inf
                t.put(n, HostTensor.f32(t.get(n).shape(), v));
            }
        });
        try (Predictor p = Predictor.load(huge, ops)) {
            String m = refused(p, gaussian(2));
            assertTrue(m.contains("network 0") && m.contains("overflow") && m.contains(huge.toString()), m);
            assertThrows(IllegalArgumentException.class, () -> p.embed(gaussian(2)));
        }
    }

    @Test
    void theCallersBatchIsNotChangedByNormalization() throws Exception {
        Path ckpt = Checkpoint.write(tmp.resolve("n.safetensors"), ops, new int[]{8},
                new WeightNormalizer(new double[]{0.5, 0, 0, 0}, new double[]{2, 1, 1, 1}), 1);
        try (Predictor p = Predictor.load(ckpt, ops)) {
            HostWeights x = gaussian(2);
            float[] copy = x.data().clone();
            p.predict(x);
            assertArrayEquals(copy, x.data());
        }
    }

    @Test
    void aFolderIsNotACheckpoint() {
        NfnFormatException e = assertThrows(NfnFormatException.class, () -> Predictor.load(tmp, ops));
        assertEquals(tmp, e.file());
        assertTrue(e.getMessage().contains("is a folder"), e.getMessage());
    }
}
