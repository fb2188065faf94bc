package dev.nfn4j.space;

import dev.nfn4j.io.Checkpoints;
import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.nn.HNPLinear;
import dev.nfn4j.nn.Init;
import dev.nfn4j.nn.NPLinear;
import dev.nfn4j.nn.Params;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.testing.TestBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gets a clear exception naming what is wrong: never a deep stack trace or a silent wrong answer. */
class BadInputTest {
    @TempDir
    Path tmp;

    private static void assertMentions(Throwable e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' should mention '" + p + "'");
    }

    @Test
    void specWhoseLayersDoNotChainNamesTheLayerAndBothShapes() {
        var e = assertThrows(IllegalArgumentException.class, () -> NetworkSpec.fromShapes(
                List.of(new int[]{4, 3}, new int[]{2, 5}), List.of(new int[]{4}, new int[]{2})));
        assertMentions(e, "layer 1", "[2, 5]", "[4, 3]");
    }

    @Test
    void biasNotMatchingItsWeight() {
        var e = assertThrows(IllegalArgumentException.class, () -> NetworkSpec.fromShapes(List.of(new int[]{4, 3}), List.of(new int[]{3})));
        assertMentions(e, "layer 0", "bias shape [3]");
    }

    @Test
    void nonPositiveSizesAndBadFilters() {
        assertThrows(IllegalArgumentException.class, () -> NetworkSpec.mlp(3, 0, 2));
        var e = assertThrows(IllegalArgumentException.class, () -> new NetworkSpec(new int[]{2, 3}, new int[][]{{3}}));
        assertMentions(e, "layer 0", "filter");
    }

    @Test
    void hnpWithOneLayerIsRefusedAtConstruction() {
        Ops ops = TestBackends.reference();
        var e = assertThrows(IllegalArgumentException.class, () -> new HNPLinear(new Params(ops), "", NetworkSpec.mlp(3, 2), 1, 1, Init.Type.PYTORCH_DEFAULT));
        assertMentions(e, "at least 2 layers");
    }

    @Test
    void wrongChannelCountOrSpecAtForward() {
        Ops ops = TestBackends.reference();
        NetworkSpec spec = NetworkSpec.mlp(3, 4, 2);
        Params params = new Params(ops);
        NPLinear layer = new NPLinear(params, "", spec, 2, 3, false, Init.Type.PYTORCH_DEFAULT);
        params.allocate(1);
        WsLayout oneChannel = new WsLayout(spec, 2, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> layer.forward(new WeightSpace(oneChannel, ops.alloc(oneChannel.size()).at(0))));
        assertMentions(e, "expects 2 input channels, got 1");
        WsLayout otherSpec = new WsLayout(NetworkSpec.mlp(3, 5, 2), 2, 2);
        e = assertThrows(IllegalArgumentException.class, () -> layer.forward(new WeightSpace(otherSpec, ops.alloc(otherSpec.size()).at(0))));
        assertMentions(e, "built for", "[3, 5, 2]");
    }

    @Test
    void nonFiniteInputRejectedAtIngestionUnlessAllowed() {
        WsLayout lay = new WsLayout(NetworkSpec.mlp(2, 2), 1, 1);
        float[] w = {1, 2, Float.NaN, 4};
        var e = assertThrows(IllegalArgumentException.class, () -> HostWeights.fromTorch(lay, List.of(w), List.of(new float[2]), false));
        assertMentions(e, "weight.0", "NaN", "index 2");
        HostWeights.fromTorch(lay, List.of(w), List.of(new float[2]), true); // opted in
    }

    @Test
    void weightSpaceFileWithMissingBiasOrBadShapesOrNaNNamesFileAndTensor() throws Exception {
        Path f = tmp.resolve("ws.safetensors");
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("x.weight.0", HostTensor.f32(new int[]{1, 1, 3, 2}, new float[6]));
        Safetensors.write(f, t, Map.of());
        var e = assertThrows(NfnFormatException.class, () -> Checkpoints.readWeights(Safetensors.read(f), "x", false));
        assertMentions(e, f.toString(), "x.bias.0", "missing");

        t.put("x.bias.0", HostTensor.f32(new int[]{1, 1, 3}, new float[3]));
        t.put("x.weight.1", HostTensor.f32(new int[]{1, 1, 2, 4}, new float[8])); // takes 4 inputs, layer 0 gives 3
        t.put("x.bias.1", HostTensor.f32(new int[]{1, 1, 2}, new float[2]));
        Safetensors.write(f, t, Map.of());
        e = assertThrows(NfnFormatException.class, () -> Checkpoints.readWeights(Safetensors.read(f), "x", false));
        assertMentions(e, f.toString(), "layer 1", "[2, 4]");

        t.put("x.weight.1", HostTensor.f32(new int[]{1, 1, 2, 3}, new float[]{0, 0, 0, Float.POSITIVE_INFINITY, 0, 0}));
        Safetensors.write(f, t, Map.of());
        e = assertThrows(NfnFormatException.class, () -> Checkpoints.readWeights(Safetensors.read(f), "x", false));
        assertMentions(e, f.toString(), "x.weight.1", "Infinity");
    }

    @Test
    void checkpointMissingAParameterOrWithTheWrongShape() throws Exception {
        Ops ops = TestBackends.reference();
        NetworkSpec spec = NetworkSpec.mlp(3, 4, 2);
        Params params = new Params(ops);
        new NPLinear(params, "", spec, 1, 2, false, Init.Type.PYTORCH_DEFAULT);
        params.allocate(3);
        Path f = tmp.resolve("ckpt.safetensors");
        Checkpoints.saveParams(f, "", params, Map.of("note", "test"));
        // a round trip loads cleanly
        Params again = new Params(ops);
        new NPLinear(again, "", spec, 1, 2, false, Init.Type.PYTORCH_DEFAULT);
        again.allocate(99);
        Checkpoints.loadParams(Safetensors.read(f), "", again, true);
        assertTrue(java.util.Arrays.equals(params.read(params.get("layer_0.weight")), again.read(again.get("layer_0.weight"))));

        Map<String, HostTensor> t = new LinkedHashMap<>();
        for (var p : params.all()) if (!p.name().equals("bias_1.weight")) t.put(p.name(), HostTensor.f32(p.shape(), params.read(p)));
        Safetensors.write(f, t, Map.of());
        var e = assertThrows(NfnFormatException.class, () -> Checkpoints.loadParams(Safetensors.read(f), "", again, true));
        assertMentions(e, f.toString(), "bias_1.weight", "missing");

        t.put("bias_1.weight", HostTensor.f32(new int[]{2, 5}, new float[10]));
        Safetensors.write(f, t, Map.of());
        e = assertThrows(NfnFormatException.class, () -> Checkpoints.loadParams(Safetensors.read(f), "", again, true));
        assertMentions(e, f.toString(), "bias_1.weight");

        t.put("bias_1.weight", HostTensor.f32(params.get("bias_1.weight").shape(), params.read(params.get("bias_1.weight"))));
        t.put("layer_9.weight", HostTensor.f32(new int[]{1}, new float[1]));
        Safetensors.write(f, t, Map.of());
        e = assertThrows(NfnFormatException.class, () -> Checkpoints.loadParams(Safetensors.read(f), "", again, true));
        assertMentions(e, "layer_9.weight", "no parameter");
    }
}
