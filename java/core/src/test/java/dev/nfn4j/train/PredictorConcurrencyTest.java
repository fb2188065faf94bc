package dev.nfn4j.train;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.testing.TestBackends;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * A service's threads predicting at once get, bit for bit, what one thread gets: each thread runs
 * its own copy of the model, and the backend's calls from several threads (its worker pool, its
 * per-thread scratch) do not mix. The batches differ in size, so the threads also build and reuse
 * graphs of several sizes side by side.
 */
class PredictorConcurrencyTest {
    private static final int THREADS = 4, ROUNDS = 6;
    private static final int[] BATCHES = {1, 7, 64, 33};

    @TempDir
    Path tmp;

    static List<Named<Ops>> backends() {
        return TestBackends.allNamed();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void concurrentPredictionsEqualOneThreadsBitForBit(Ops ops) throws Exception {
        // A head of 256 x 256: at 64 networks its Linear layers are large enough for the backend's worker pool.
        Path ckpt = Checkpoint.write(tmp.resolve("model.safetensors"), ops, new int[]{256, 256}, null, 7);
        HostWeights[] inputs = new HostWeights[BATCHES.length];
        for (int i = 0; i < BATCHES.length; i++) inputs[i] = Checkpoint.networks(BATCHES[i], 100 + i);
        try (Predictor p = Predictor.load(ckpt, ops)) {
            float[][] expect = new float[inputs.length][];
            for (int i = 0; i < inputs.length; i++) expect[i] = p.predict(inputs[i]);

            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                CyclicBarrier start = new CyclicBarrier(THREADS);
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        start.await();
                        for (int r = 0; r < ROUNDS; r++)
                            for (int k = 0; k < inputs.length; k++) {
                                int i = (k + thread + r) % inputs.length; // the threads run different sizes at the same time
                                assertArrayEquals(expect[i], p.predict(inputs[i]),
                                        "thread " + thread + ", round " + r + ", batch of " + BATCHES[i] + " on " + ops.describe());
                            }
                        return null;
                    }));
                }
                for (Future<?> f : done) f.get(120, TimeUnit.SECONDS); // rethrows a thread's failed assertion
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
