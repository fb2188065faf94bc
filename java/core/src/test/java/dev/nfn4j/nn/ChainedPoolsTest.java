package dev.nfn4j.nn;

import static dev.nfn4j.nn.TestData.download;
import static dev.nfn4j.nn.TestData.gaussian;
import static dev.nfn4j.nn.TestData.upload;
import static dev.nfn4j.nn.TestData.uploadLike;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.nn.EquivarianceTest.Case;
import dev.nfn4j.nn.LayerEquivalenceTest.Kind;
import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.ProfilingOps;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Value;
import dev.nfn4j.testing.Compare;
import dev.nfn4j.testing.TestBackends;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Two NF-Layers with a fused ReLU between them, the second taking its input pools from the
 * first's mixes, riding on the first's output ({@link GraphLayer#providePools}), give what the
 * unchained pair gives: output, input gradient and every parameter gradient. Bit for bit on the reference (its pools are the
 * oracle's composition: the mix, then planeReduce of its output); within float rounding where a
 * backend takes them from the tiles it writes (simd; cuda for planes of at least 8 x 32). The
 * chained pair must really skip the second layer's pooling of what the first provides.
 */
class ChainedPoolsTest {
    static Stream<Arguments> pairs() {
        List<Arguments> out = new ArrayList<>();
        for (var ops : TestBackends.allNamed())
            for (Kind first : List.of(Kind.NP, Kind.HNP, Kind.POINTWISE))
                for (Kind second : List.of(Kind.NP, Kind.HNP))
                    for (Case c : LayerEquivalenceTest.cases())
                        if ((first != Kind.HNP && second != Kind.HNP) || c.spec().numLayers() >= 2) out.add(Arguments.of(ops, first, second, c));
        return out.stream();
    }

    record Run(float[] out, float[] dx, List<float[]> grads, long inputPoolings) {}

    static Run run(Ops backend, Kind first, Kind second, Case c, boolean chain) {
        ProfilingOps ops = new ProfilingOps(backend);
        Params params = new Params(ops);
        Layer a = build(first, params, c.spec(), c.cin(), c.cout(), "0.");
        Activation relu = Activation.after(a, ops, Act.RELU);
        Layer b = build(second, params, c.spec(), c.cout(), c.cin(), "2.");
        if (chain) GraphLayer.providePools(a, b);
        params.allocate(c.seed());
        Random rnd = new Random(c.seed());
        Value y = b.forward(relu.forward(a.forward(upload(ops, c.layout(), gaussian(rnd, Math.toIntExact(c.layout().size()))))));
        float[] out = download(ops, y);
        long forwardPoolings = ops.calls("planeReduce");
        params.zeroGrad();
        float[] dx = download(ops, a.backward(relu.backward(b.backward(uploadLike(ops, y, gaussian(rnd, out.length))))));
        List<float[]> grads = new ArrayList<>();
        for (Param p : params.all()) grads.add(params.readGrad(p));
        return new Run(out, dx, grads, forwardPoolings);
    }

    static Layer build(Kind k, Params params, NetworkSpec spec, int cin, int cout, String prefix) {
        return switch (k) {
            case NP -> new NPLinear(params, prefix, spec, cin, cout, false, Init.Type.PYTORCH_DEFAULT);
            case HNP -> new HNPLinear(params, prefix, spec, cin, cout, Init.Type.PYTORCH_DEFAULT);
            case POINTWISE -> new Pointwise(params, prefix, spec, cin, cout);
            default -> throw new IllegalArgumentException(k + " is not an NF-Layer");
        };
    }

    @ParameterizedTest(name = "{0}: {1} -> {2} {3}")
    @MethodSource("pairs")
    void chainedPoolsGiveTheUnchainedResults(Ops ops, Kind first, Kind second, Case c) {
        Run chained = run(ops, first, second, c, true), plain = run(ops, first, second, c, false);
        String at = ops.name() + ", " + first + " -> " + second + " " + c;
        double tol = "reference".equals(ops.name()) ? 0 : 1e-5; // the fast backends sum the pools tile by tile
        Compare.assertClose(chained.out, plain.out, tol, at + ": output");
        Compare.assertClose(chained.dx, plain.dx, tol, at + ": input gradient");
        assertEquals(plain.grads.size(), chained.grads.size());
        for (int p = 0; p < chained.grads.size(); p++)
            Compare.assertClose(chained.grads.get(p), plain.grads.get(p), tol, 1e-3, at + ": gradient of parameter " + p);
        // A dense NP or Pointwise first layer writes every weight and bias whole, so the second pools none of its input.
        long firstPools = first == Kind.POINTWISE ? 0 : 2L * c.spec().numLayers();
        if (first != Kind.HNP) assertEquals(firstPools, chained.inputPoolings, at + ": planeReduce calls of the chained pair's forward");
        assertTrue(chained.inputPoolings < plain.inputPoolings, at + ": the chained pair's forward pools no less than the plain one's");
    }

    static Stream<Arguments> backends() {
        return TestBackends.allNamed().stream().map(Arguments::of);
    }

    /** Forward planeReduce calls of an NP InvariantNfn (two NF-Layers, ReLU) with the given dropout, in eval mode. */
    static long modelPoolings(Ops backend, double dropout) {
        ProfilingOps ops = new ProfilingOps(backend);
        Params params = new Params(ops);
        NetworkSpec spec = new NetworkSpec(new int[]{3, 7, 2}, new int[][]{{3, 3}, null});
        Sequential model = InvariantNfn.build(params, spec, InvariantNfn.Mode.NP, false, 1, new int[]{4, 3}, Act.RELU, InvariantNfn.Pool.NP,
                new int[]{8}, Init.Type.PYTORCH_DEFAULT, 0, 1, dropout);
        params.allocate(5);
        model.setTraining(false, 0);
        var layout = new dev.nfn4j.space.WsLayout(spec, 2, 1);
        model.forward(upload(ops, layout, gaussian(new Random(6), Math.toIntExact(layout.size()))));
        return ops.calls("planeReduce");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void theModelBuilderChainsNfLayersWithOnlyAFusedActivationBetween(Ops ops) {
        long chained = modelPoolings(ops, 0), withDropout = modelPoolings(ops, 0.5);
        // Two layers of input: the second NF-Layer's 2 x 2 poolings come from the first; dropout between them breaks the chain.
        assertEquals(4, withDropout - chained, ops.name() + ": planeReduce calls with dropout " + withDropout + ", without " + chained);
    }
}
