package dev.nfn4j.train;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.nn.Params;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.reference.ReferenceOps;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EnsembleTest {
    @TempDir
    Path tmp;

    private final Ops ops = new ReferenceOps();

    /** A checkpoint of a small HNP model with random parameters (seed) for networks of the spec. */
    private Path checkpoint(String name, NetworkSpec spec, long seed) throws Exception {
        ModelConfig model = new ModelConfig("hnp", new int[]{3}, "relu", InvariantNfn.Pool.HNP, new int[]{4});
        Params params = new Params(ops);
        model.build(params, spec, 1);
        params.allocate(seed);
        Path file = tmp.resolve(name);
        Checkpoints.saveParams(file, "", params, Predictor.checkpointMetadata(model, spec, "test_accuracy", null));
        return file;
    }

    private static HostWeights networks(NetworkSpec spec, int n) {
        WsLayout lay = new WsLayout(spec, n, 1);
        float[] d = new float[Math.toIntExact(lay.size())];
        Random r = new Random(7);
        for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
        return new HostWeights(lay, d);
    }

    @Test
    void theMeanOfItsMembersInMemberOrder() throws Exception {
        NetworkSpec spec = NetworkSpec.mlp(3, 5, 2);
        Path a = checkpoint("a.safetensors", spec, 1), b = checkpoint("b.safetensors", spec, 2);
        HostWeights x = networks(spec, 7);
        float[] pa = Predictor.load(a, ops).predict(x), pb = Predictor.load(b, ops).predict(x);
        Ensemble e = Ensemble.load(List.of(a, b), ops);
        float[] mean = e.predict(x);
        for (int i = 0; i < mean.length; i++) assertEquals(pa[i] / 2 + pb[i] / 2, mean[i], 0f, "network " + i);
        assertTrue(pa[0] != pb[0], "two different models");
        assertArrayEquals(pa, Ensemble.load(List.of(a), ops).predict(x), "one member: its own predictions");
        assertArrayEquals(pa, Ensemble.load(List.of(a, a), ops).predict(x), "a model with itself: its own predictions");
    }

    @Test
    void membersForOtherNetworksAreRefusedNamingBoth() throws Exception {
        Path a = checkpoint("a.safetensors", NetworkSpec.mlp(3, 5, 2), 1), b = checkpoint("b.safetensors", NetworkSpec.mlp(3, 6, 2), 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ensemble.load(List.of(a, b), ops));
        assertTrue(e.getMessage().contains("a.safetensors") && e.getMessage().contains("b.safetensors"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Ensemble.load(List.of(), ops));
    }
}
