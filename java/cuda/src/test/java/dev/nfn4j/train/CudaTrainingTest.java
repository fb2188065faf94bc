package dev.nfn4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nfn4j.nn.Init;
import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Sequential;
import dev.nfn4j.nn.Tensor;
import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.AdamConfig;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.cuda.CudaEmulation;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.testing.Compare;
import dev.nfn4j.testing.TestBackends;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * Training on the cuda backend end to end: a short {@link Trainer} run against simd's, graph
 * capture and replay against eager execution of the same steps, and the caching allocator in a
 * steady training loop. Runs where the cuda backend loads (a GPU, or the CPU emulation in the
 * cuda-emulated test execution); elsewhere skipped with the reason.
 */
class CudaTrainingTest {
    /** How far a few epochs on cuda may drift from simd's: FP32 sums in another order, through Adam. */
    static final double LOSS_TOLERANCE = 1e-4;

    @TempDir
    Path tmp;
    Ops cuda;

    @BeforeEach
    void backend() {
        cuda = TestBackends.fastOrSkip("cuda");
    }

    private static double[] trainLosses(Path out) throws IOException {
        List<Double> losses = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(out.resolve("log.jsonl"))) {
            JsonNode row = json.readTree(line);
            if (row.has("train_loss")) losses.add(row.get("train_loss").asDouble());
        }
        return losses.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Test
    void aShortTrainerRunMatchesSimds() throws IOException {
        Ops simd = Backends.byName("simd");
        Trainer.Result c = new Trainer(cuda, TrainerTest.SMALL, TrainerTest.toyZoo(1), TrainerTest.config(3), tmp.resolve("cuda"), false).fit();
        Trainer.Result s = new Trainer(simd, TrainerTest.SMALL, TrainerTest.toyZoo(1), TrainerTest.config(3), tmp.resolve("simd"), false).fit();
        double[] lc = trainLosses(tmp.resolve("cuda")), ls = trainLosses(tmp.resolve("simd"));
        assertEquals(3, lc.length);
        for (int e = 0; e < lc.length; e++)
            assertEquals(ls[e], lc[e], LOSS_TOLERANCE * Math.abs(ls[e]), "epoch " + (e + 1) + " train loss, cuda against simd");
        Compare.assertClose(c.test().predicted(), s.test().predicted(), LOSS_TOLERANCE, "test predictions, cuda against simd");
    }

    /** The cuda backend with every runGraph body run eagerly: the same calls, no capture. */
    private Ops eager(Ops inner) {
        return (Ops) Proxy.newProxyInstance(Ops.class.getClassLoader(), new Class<?>[]{Ops.class}, (proxy, m, args) -> {
            if (m.getName().equals("runGraph")) {
                ((Runnable) args[1]).run();
                return null;
            }
            try {
                return m.invoke(inner, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    @Test
    void replayedGraphsGiveTheBitsOfEagerSteps() throws IOException {
        long replays = CudaEmulation.loaded() ? CudaEmulation.graphLaunches() : -1;
        Trainer.Result graphed = new Trainer(cuda, TrainerTest.SMALL, TrainerTest.toyZoo(2), TrainerTest.config(2), tmp.resolve("graphs"), false).fit();
        if (replays >= 0) assertTrue(CudaEmulation.graphLaunches() > replays + 5, "the training steps were replayed from captured graphs");
        Trainer.Result eager = new Trainer(eager(cuda), TrainerTest.SMALL, TrainerTest.toyZoo(2), TrainerTest.config(2), tmp.resolve("eager"), false).fit();
        assertArrayEquals(trainLosses(tmp.resolve("eager")), trainLosses(tmp.resolve("graphs")), "train losses, graphs against eager");
        Compare.assertBitIdentical(graphed.test().predicted(), eager.test().predicted(), "test predictions, graphs against eager");
        assertArrayEquals(Files.readAllBytes(eager.checkpoint()), Files.readAllBytes(graphed.checkpoint()), "best checkpoint bytes");
    }

    @Test
    void theCachingAllocatorStopsAllocatingOnceTheLoopIsWarm() {
        if (!CudaEmulation.loaded()) abort("counts driver allocations through the CPU emulation");
        NetworkSpec spec = NetworkSpec.mlp(4, 5, 3);
        Params params = new Params(cuda);
        Sequential model = InvariantNfn.build(params, spec, InvariantNfn.Mode.HNP, false, 1, new int[]{4, 3}, Act.RELU, true, 16,
                Init.Type.PYTORCH_DEFAULT);
        params.allocate(3);
        Adam adam = new Adam(params, AdamConfig.adam(1e-3));
        WsLayout lay = new WsLayout(spec, 6, 1);
        Random rnd = new Random(4);
        float[] x = new float[Math.toIntExact(lay.size())];
        Ptr batch = cuda.alloc(x.length).at(0), g = cuda.alloc(6).at(0); // reused, as the trainer reuses its batch buffers
        long afterWarmup = 0;
        for (int step = 0; step < 8; step++) {
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            cuda.upload(x, 0, batch, x.length);
            params.zeroGrad();
            Tensor out = (Tensor) model.forward(new WeightSpace(lay, batch));
            cuda.fill(g, 6, 0.1f);
            model.backward(new Tensor(out.shape(), g));
            adam.step();
            cuda.synchronize();
            if (step == 1) afterWarmup = CudaEmulation.deviceAllocations();
        }
        assertEquals(afterWarmup, CudaEmulation.deviceAllocations(), "driver allocations after the first steps");
    }
}
