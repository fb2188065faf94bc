package dev.nfn4j.io;

import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateDictsTest {
    @TempDir
    Path tmp;

    private static float[] seq(int n, float start) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = start + i * 0.01f;
        return a;
    }

    /** nn.Sequential(Conv2d(1, 2, 3), ReLU, ..., Linear): module indices 0, 2, 10 (10 must sort after 2). */
    private Map<String, HostTensor> cnnStateDict() {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        // deliberately scrambled: a safetensors file keeps no dict order
        t.put("10.bias", HostTensor.f32(new int[]{4}, seq(4, 9)));
        t.put("0.weight", HostTensor.f32(new int[]{2, 1, 3, 3}, seq(18, 0)));
        t.put("2.bias", HostTensor.f32(new int[]{3}, seq(3, 5)));
        t.put("10.weight", HostTensor.f32(new int[]{4, 3}, seq(12, 7)));
        t.put("0.bias", HostTensor.f32(new int[]{2}, seq(2, 1)));
        t.put("2.weight", HostTensor.f32(new int[]{3, 2, 3, 3}, seq(54, 2)));
        return t;
    }

    @Test
    void readsASequentialStateDictInModuleOrder() throws Exception {
        Path f = tmp.resolve("cnn.safetensors");
        Map<String, HostTensor> t = cnnStateDict();
        Safetensors.write(f, t, Map.of());
        HostWeights x = StateDicts.read(Safetensors.read(f), null);
        NetworkSpec spec = new NetworkSpec(new int[]{1, 2, 3, 4}, new int[][]{{3, 3}, {3, 3}, null});
        assertEquals(new WsLayout(spec, 1, 1), x.layout());
        HostWeights want = HostWeights.fromTorch(new WsLayout(spec, 1, 1),
                List.of(t.get("0.weight").toFloats(), t.get("2.weight").toFloats(), t.get("10.weight").toFloats()),
                List.of(t.get("0.bias").toFloats(), t.get("2.bias").toFloats(), t.get("10.bias").toFloats()), false);
        assertArrayEquals(want.data(), x.data());
    }

    private String error(Map<String, HostTensor> t, NetworkSpec expected) throws Exception {
        Path f = tmp.resolve("bad.safetensors");
        Safetensors.write(f, t, Map.of());
        var e = assertThrows(NfnFormatException.class, () -> StateDicts.read(Safetensors.read(f), expected));
        assertTrue(e.getMessage().contains(" (" + f), e.getMessage());
        return e.getMessage();
    }

    @Test
    void refusesWhatIsNotAChainOfWeightBiasPairs() throws Exception {
        Map<String, HostTensor> t = cnnStateDict();
        t.remove("2.bias");
        assertTrue(error(t, null).contains("odd number of tensors"));

        t = cnnStateDict();
        t.remove("2.bias");
        t.put("2.running_mean", HostTensor.f32(new int[]{3}, seq(3, 0)));
        assertTrue(error(t, null).contains("'2.weight' followed by its '2.bias'") || error(t, null).contains("expected '<module>.weight'"));

        t = cnnStateDict();
        t.put("10.weight", HostTensor.f32(new int[]{4, 5}, seq(20, 0))); // takes 5 inputs, layer 1 gives 3
        String m = error(t, null);
        assertTrue(m.contains("layer 2") && m.contains("[4, 5]"), m);

        t = cnnStateDict();
        t.put("0.bias", HostTensor.ofLongs(DType.I64, new int[]{2}, new long[]{1, 2})); // same package: the writer takes integers too
        assertTrue(error(t, null).contains("expected a floating-point tensor"));

        m = error(cnnStateDict(), NetworkSpec.mlp(8, 32, 4));
        assertTrue(m.contains("the model expects"), m);
    }
}
