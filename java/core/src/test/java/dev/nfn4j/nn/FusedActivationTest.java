package dev.nfn4j.nn;

import static dev.nfn4j.nn.TestData.download;
import static dev.nfn4j.nn.TestData.gaussian;
import static dev.nfn4j.nn.TestData.upload;
import static dev.nfn4j.nn.TestData.uploadLike;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nfn4j.nn.EquivarianceTest.Case;
import dev.nfn4j.nn.LayerEquivalenceTest.Kind;
import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.Value;
import dev.nfn4j.testing.Compare;
import dev.nfn4j.testing.TestBackends;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A ReLU fused into the layer before it (NF-Layers and Linear apply it in the channel mix's store
 * and differentiate it from their output) gives exactly what the layer followed by a separate
 * Activation gives: output, input gradient and every parameter gradient, bit for bit, on every
 * backend. HNP's first and last layers write through staging buffers, so they are covered too.
 */
class FusedActivationTest {
    static Stream<Arguments> layers() {
        List<Arguments> out = new ArrayList<>();
        for (var ops : TestBackends.allNamed())
            for (Kind k : List.of(Kind.NP, Kind.NP_IO, Kind.HNP, Kind.POINTWISE))
                for (Case c : LayerEquivalenceTest.cases())
                    if (k != Kind.HNP || c.spec().numLayers() >= 2) out.add(Arguments.of(ops, k, c));
        return out.stream();
    }

    /** Output, input gradient and parameter gradients of layer (+ activation) on one input and one output gradient. */
    record Run(float[] out, float[] dx, List<float[]> grads) {}

    static Run run(Ops ops, Kind kind, Case c, boolean fuse) {
        Params params = new Params(ops);
        Layer layer = kind.build(params, ops, c);
        Activation relu = fuse ? Activation.after(layer, ops, Act.RELU) : new Activation(ops, Act.RELU);
        params.allocate(c.seed());
        Random rnd = new Random(c.seed());
        Value y = relu.forward(layer.forward(upload(ops, c.layout(), gaussian(rnd, Math.toIntExact(c.layout().size())))));
        float[] out = download(ops, y);
        params.zeroGrad();
        float[] dx = download(ops, layer.backward(relu.backward(uploadLike(ops, y, gaussian(rnd, out.length)))));
        List<float[]> grads = new ArrayList<>();
        for (Param p : params.all()) grads.add(params.readGrad(p));
        return new Run(out, dx, grads);
    }

    @ParameterizedTest(name = "{0}: {1} {2}")
    @MethodSource("layers")
    void aFusedReluIsBitIdenticalToASeparateOne(Ops ops, Kind kind, Case c) {
        Run fused = run(ops, kind, c, true), separate = run(ops, kind, c, false);
        String at = ops.name() + ", " + kind + " " + c;
        Compare.assertBitIdentical(fused.out, separate.out, at + ": output");
        Compare.assertBitIdentical(fused.dx, separate.dx, at + ": input gradient");
        assertEquals(separate.grads.size(), fused.grads.size());
        for (int p = 0; p < fused.grads.size(); p++)
            Compare.assertBitIdentical(fused.grads.get(p), separate.grads.get(p), at + ": gradient of parameter " + p);
    }

    static Stream<Arguments> backends() {
        return TestBackends.allNamed().stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aLinearLayerFusesItsReluToo(Ops ops) {
        float[][] results = new float[2][];
        float[][] dxs = new float[2][];
        List<List<float[]>> grads = new ArrayList<>();
        for (int k = 0; k < 2; k++) { // k = 0: fused, 1: separate
            Params params = new Params(ops);
            Linear linear = new Linear(params, "", 33, 17);
            Activation relu = k == 0 ? Activation.after(linear, ops, Act.RELU) : new Activation(ops, Act.RELU);
            params.allocate(5);
            Random rnd = new Random(9);
            Value y = relu.forward(linear.forward(TestData.upload(ops, new int[]{3, 33}, gaussian(rnd, 99))));
            results[k] = download(ops, y);
            params.zeroGrad();
            dxs[k] = download(ops, linear.backward(relu.backward(uploadLike(ops, y, gaussian(rnd, 51)))));
            List<float[]> g = new ArrayList<>();
            for (Param p : params.all()) g.add(params.readGrad(p));
            grads.add(g);
        }
        Compare.assertBitIdentical(results[0], results[1], ops.name() + ": Linear + relu output");
        Compare.assertBitIdentical(dxs[0], dxs[1], ops.name() + ": Linear + relu input gradient");
        for (int p = 0; p < grads.get(0).size(); p++)
            Compare.assertBitIdentical(grads.get(0).get(p), grads.get(1).get(p), ops.name() + ": Linear + relu gradient " + p);
    }

    @Test
    void onlyActivationsDifferentiableFromTheirOutputAreFused() {
        Ops ops = TestBackends.reference();
        Params params = new Params(ops);
        Linear a = new Linear(params, "a.", 4, 3), b = new Linear(params, "b.", 4, 3);
        Activation fused = Activation.after(a, ops, Act.RELU), separate = Activation.after(b, ops, Act.SIGMOID);
        assertTrue(fused.toString().contains("fused"), fused.toString());
        assertTrue(a.toString().endsWith("+ RELU"), a.toString());
        assertTrue(!separate.toString().contains("fused") && b.toString().equals("Linear(4, 3)"), separate + " after " + b);
        // A layer that cannot fuse (a pool) gets a separate activation.
        Activation afterPool = Activation.after(new Flatten(), ops, Act.RELU);
        assertTrue(!afterPool.toString().contains("fused"), afterPool.toString());
        var e = assertThrows(IllegalArgumentException.class, () -> b.fuseActivation(Act.TANH));
        assertTrue(e.getMessage().contains("cannot fuse TANH"), e.getMessage());
        Value in = TestData.upload(ops, new int[]{1, 3}, new float[]{1, -2, 3});
        assertSame(in, fused.forward(in), "a fused activation passes its input through");
    }
}
