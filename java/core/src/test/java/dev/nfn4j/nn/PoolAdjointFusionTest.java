package dev.nfn4j.nn;

import static dev.nfn4j.nn.TestData.download;
import static dev.nfn4j.nn.TestData.gaussian;
import static dev.nfn4j.nn.TestData.upload;
import static dev.nfn4j.nn.TestData.uploadLike;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.nn.EquivarianceTest.Case;
import dev.nfn4j.nn.LayerEquivalenceTest.Kind;
import dev.nfn4j.ops.ProfilingOps;
import dev.nfn4j.ops.reference.ReferenceOps;
import dev.nfn4j.space.Value;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An NF-Layer's backward hands a pool's adjoint to the input gradient of the mix that reads the
 * pooled tensor ({@link dev.nfn4j.ops.MixGrads#pools}) where nothing else writes that
 * gradient, and broadcasts the others on their own: every pool's adjoint is applied exactly once.
 * That the gradients are right is the layer tests' job (finite differences, the nfn fixtures, the
 * fast backends against the reference, whose fused op is the two ops in turn).
 */
class PoolAdjointFusionTest {
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Kind k : List.of(Kind.NP, Kind.NP_IO, Kind.HNP))
            for (Case c : LayerEquivalenceTest.cases())
                if (k != Kind.HNP || c.spec().numLayers() >= 2) out.add(Arguments.of(k, c));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void everyPoolAdjointIsAppliedOnce(Kind kind, Case c) {
        ProfilingOps ops = new ProfilingOps(new ReferenceOps());
        Params params = new Params(ops);
        Layer layer = kind.build(params, ops, c);
        params.allocate(c.seed());
        Random rnd = new Random(c.seed());
        Value y = layer.forward(upload(ops, c.layout(), gaussian(rnd, Math.toIntExact(c.layout().size()))));
        long pools = ops.calls("planeReduce");
        params.zeroGrad();
        layer.backward(uploadLike(ops, y, gaussian(rnd, download(ops, y).length)));
        long broadcasts = ops.calls("planeBroadcast"), fused = ops.calls("channelMixInputGrad") + ops.calls("channelMixInputGrad(1)");
        String at = kind + " " + c + ": " + pools + " pools, " + broadcasts + " broadcast, " + fused + " fused";
        assertEquals(pools, broadcasts + fused, at);
        // NPLinear reads each W_i with one mix and nothing else (its b_i also goes into a concat): every
        // weight pool's adjoint goes into that mix's input gradient.
        if (kind == Kind.NP) assertEquals(c.spec().numLayers(), fused, at);
        // HNPLinear's first and last W_i also go into concats (inWT): only its hidden ones can fuse.
        if (kind != Kind.HNP || c.spec().numLayers() >= 3) assertTrue(fused > 0, at + ": none fused");
    }
}
