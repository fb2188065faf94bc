package dev.nfn4j.train;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.testing.TestBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A service reloads its model: memory stays flat whether predictors are closed or dropped. Memory is measured, never time. */
class PredictorLifecycleTest {
    @TempDir
    Path tmp;

    private final Ops ops = TestBackends.reference();

    /** A head of 768 x 768: about 0.6 M parameters, several MB per loaded predictor (host copy, values, gradients). */
    private Path bigCheckpoint() throws Exception {
        return Checkpoint.write(tmp.resolve("big.safetensors"), ops, new int[]{768, 768}, null, 3);
    }

    /** Heap in use after full collections: what is still reachable. */
    private static long reachableBytes() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) { // a cleaner's work lands after a collection: take the lowest of a few
            System.gc();
            Thread.sleep(50);
            Runtime rt = Runtime.getRuntime();
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }

    private long growthOverLoads(Path ckpt, boolean close, int loads) throws Exception {
        HostWeights x = Checkpoint.networks(3, 5);
        for (int i = 0; i < 3; i++) load(ckpt, x, close); // warm: classes, caches, pools
        long before = reachableBytes();
        for (int i = 0; i < loads; i++) load(ckpt, x, close);
        return reachableBytes() - before;
    }

    private void load(Path ckpt, HostWeights x, boolean close) throws Exception {
        Predictor p = Predictor.load(ckpt, ops);
        assertEquals(3, p.predict(x).length);
        Thread other = new Thread(() -> p.predict(x)); // a second thread's copy, as a service's pool makes
        other.start();
        other.join();
        if (close) p.close();
    }

    @Test
    void reloadingAndClosingKeepsReachableMemoryFlat() throws Exception {
        long perLoad = 3L * 768 * 768 * Float.BYTES; // at least the host copy, the values and the gradients of the head
        long growth = growthOverLoads(bigCheckpoint(), true, 40);
        assertTrue(growth < 4 * perLoad, "40 loads and closes left " + growth / 1e6 + " MB more reachable (one load holds about "
                + perLoad / 1e6 + " MB)");
    }

    @Test
    void reloadingWithoutClosingKeepsReachableMemoryFlatToo() throws Exception {
        long perLoad = 3L * 768 * 768 * Float.BYTES;
        long growth = growthOverLoads(bigCheckpoint(), false, 40);
        assertTrue(growth < 4 * perLoad, "40 dropped predictors left " + growth / 1e6 + " MB more reachable (one load holds about "
                + perLoad / 1e6 + " MB)");
    }

    @Test
    void aClosedPredictorRefusesCalls() throws Exception {
        Predictor p = Predictor.load(Checkpoint.write(tmp.resolve("small.safetensors"), ops, new int[]{4}, null, 1), ops);
        HostWeights x = Checkpoint.networks(2, 5);
        float[] before = p.predict(x);
        p.close();
        p.close(); // twice is fine
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.predict(x));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        try (Predictor again = Predictor.load(Checkpoint.write(tmp.resolve("small.safetensors"), ops, new int[]{4}, null, 1), ops)) {
            assertEquals(before[1], again.predict(x)[1]);
        }
    }
}
