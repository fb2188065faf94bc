package dev.nfn4j.train;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.testing.TestBackends;
import dev.nfn4j.zoo.ZooDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Resuming a run: a finished one is left alone, other settings are refused, and the log holds each epoch once. */
class ResumeTest {
    @TempDir
    Path tmp;

    private final Ops ops = TestBackends.reference();
    private final ZooDataset zoo = TrainerTest.toyZoo(21);

    private static List<String> epochsAndTests(Path out) throws Exception {
        List<String> rows = new ArrayList<>();
        for (Map<String, Object> r : Trainer.readLog(out)) rows.add(r.containsKey("epoch") ? "epoch " + r.get("epoch") : "test");
        return rows;
    }

    private static Map<String, byte[]> files(Path out) throws Exception {
        Map<String, byte[]> m = new java.util.TreeMap<>();
        for (String f : new String[]{"log.jsonl", "state.safetensors", "best.safetensors"}) m.put(f, Files.readAllBytes(out.resolve(f)));
        return m;
    }

    @Test
    void resumingAFinishedRunChangesNothing() throws Exception {
        Path out = tmp.resolve("run");
        Trainer.Result first = new Trainer(ops, TrainerTest.SMALL, zoo, TrainerTest.config(3), out, false).fit();
        Map<String, byte[]> before = files(out);
        for (int i = 0; i < 2; i++) {
            Trainer again = new Trainer(ops, TrainerTest.SMALL, zoo, TrainerTest.config(3), out, true);
            assertTrue(again.finished());
            assertEquals(3, again.epochsDone());
            Trainer.Result r = again.fit();
            assertArrayEquals(first.test().predicted(), r.test().predicted(), "the best parameters' test, as logged");
        }
        Map<String, byte[]> after = files(out);
        for (String f : before.keySet()) assertArrayEquals(before.get(f), after.get(f), f + " unchanged");
        assertEquals(List.of("epoch 1", "epoch 2", "epoch 3", "test"), epochsAndTests(out));
    }

    @Test
    void aFinishedRunGivenMoreEpochsGoesOnAndLogsOneTest() throws Exception {
        Path out = tmp.resolve("run");
        new Trainer(ops, TrainerTest.SMALL, zoo, TrainerTest.config(2), out, false).fit();
        Trainer more = new Trainer(ops, TrainerTest.SMALL, zoo, TrainerTest.config(4), out, true);
        assertFalse(more.finished());
        more.fit();
        assertEquals(List.of("epoch 1", "epoch 2", "epoch 3", "epoch 4", "test"), epochsAndTests(out));
    }

    @Test
    void aResumeWithOtherSettingsIsRefusedNamingThem() throws Exception {
        Path out = tmp.resolve("run");
        new Trainer(ops, TrainerTest.SMALL, zoo, TrainerTest.config(2), out, false).fit();
        Trainer.Config c = TrainerTest.config(4);
        Trainer.Config other = new Trainer.Config(4, c.batchSize(), 0.5, c.weightDecay(), c.adamW(), c.warmupSteps(), Loss.MSE, 99, c.patience(),
                Normalization.PER_ENTRY, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Trainer(ops, TrainerTest.SMALL, zoo, other, out, true));
        for (String s : new String[]{"--lr 0.5 (the run has 0.003)", "--loss mse (the run has bce)", "--seed 99 (the run has 7)",
                "--normalize per-entry (the run has per-tensor)"})
            assertTrue(e.getMessage().contains(s), s + " in: " + e.getMessage());
        assertFalse(e.getMessage().contains("--batch"), e.getMessage());
        IllegalArgumentException data = assertThrows(IllegalArgumentException.class,
                () -> new Trainer(ops, TrainerTest.SMALL, TrainerTest.toyZoo(22), TrainerTest.config(4), out, true));
        assertTrue(data.getMessage().contains("the data"), data.getMessage());
    }

    /** States written before there was a choice say {@code "normalize": true} (per tensor) and have no data fingerprint. */
    @Test
    void anOlderStateResumesWithItsPerTensorNormalization() throws Exception {
        Path out = tmp.resolve("run");
        new Trainer(ops, TrainerTest.SMALL, zoo, TrainerTest.config(2), out, false).fit();
        Path state = out.resolve("state.safetensors");
        Checkpoint.withMetadata(state, tmp.resolve("old.safetensors"), md -> {
            md.put("config", md.get("config").replace("\"normalization\":\"PER_TENSOR\"", "\"normalize\":true"));
            md.remove("data");
            md.remove("finished");
            md.remove("stopped_early");
        });
        java.nio.file.Files.move(tmp.resolve("old.safetensors"), state, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertTrue(new Trainer(ops, TrainerTest.SMALL, zoo, TrainerTest.config(2), out, true).finished(), "its log holds the test");
        new Trainer(ops, TrainerTest.SMALL, zoo, TrainerTest.config(3), out, true).fit();
        assertEquals(List.of("epoch 1", "epoch 2", "epoch 3", "test"), epochsAndTests(out));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Trainer(ops, TrainerTest.SMALL, zoo,
                TrainerTest.config(4).withNormalization(Normalization.NONE), out, true));
        assertTrue(e.getMessage().contains("--normalize none (the run has per-tensor)"), e.getMessage());
    }

    /** A failure after an epoch was logged but before its state was saved (a full disk), then a resume: each epoch is logged once. */
    @Test
    void anEpochLoggedBeforeAFailureIsLoggedOnceAfterTheResume() throws Exception {
        Path straight = tmp.resolve("straight"), out = tmp.resolve("run");
        Trainer.Result whole = new Trainer(ops, TrainerTest.SMALL, zoo, TrainerTest.config(4), straight, false).fit();
        new Trainer(ops, TrainerTest.SMALL, zoo, TrainerTest.config(2), out, false).fit();
        // what failed runs leave: epoch 3 logged (twice) whose state never came, and a row cut short
        List<String> log = Files.readAllLines(straight.resolve("log.jsonl"));
        String epoch3 = log.get(2);
        Files.writeString(out.resolve("log.jsonl"), epoch3 + "\n" + epoch3 + "\n" + epoch3.substring(0, 20), StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        Trainer.Result resumed = new Trainer(ops, TrainerTest.SMALL, zoo, TrainerTest.config(4), out, true).fit();
        assertEquals(List.of("epoch 1", "epoch 2", "epoch 3", "epoch 4", "test"), epochsAndTests(out));
        assertArrayEquals(whole.test().predicted(), resumed.test().predicted());
    }

    @Test
    void nonsenseSettingsAreRefused() {
        Trainer.Config c = TrainerTest.config(2);
        assertThrows(IllegalArgumentException.class, () -> new Trainer.Config(0, 6, 1e-3, 0, false, 0, Loss.MSE, 0, 0, Normalization.NONE, false));
        assertThrows(IllegalArgumentException.class, () -> new Trainer.Config(-1, 6, 1e-3, 0, false, 0, Loss.MSE, 0, 0, Normalization.NONE, false));
        assertThrows(IllegalArgumentException.class, () -> new Trainer.Config(2, 0, 1e-3, 0, false, 0, Loss.MSE, 0, 0, Normalization.NONE, false));
        for (double lr : new double[]{0, -1, Double.NaN, Double.POSITIVE_INFINITY})
            assertThrows(IllegalArgumentException.class, () -> new Trainer.Config(2, 6, lr, 0, false, 0, Loss.MSE, 0, 0, Normalization.NONE, false));
        assertThrows(IllegalArgumentException.class, () -> new Trainer.Config(2, 6, 1e-3, -1, false, 0, Loss.MSE, 0, 0, Normalization.NONE, false));
        assertThrows(IllegalArgumentException.class, () -> new Trainer.Config(2, 6, 1e-3, 0, false, -1, Loss.MSE, 0, 0, Normalization.NONE, false));
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class,
                () -> new Trainer.Config(2, 6, 1e-3, 0, false, 0, Loss.MSE, 0, -1, Normalization.NONE, false));
        assertTrue(p.getMessage().contains("patience"), p.getMessage());
        Trainer.Config big = new Trainer.Config(2, 100_000, c.lr(), 0, false, 0, c.loss(), 0, 0, Normalization.NONE, false);
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class, () -> new Trainer(ops, TrainerTest.SMALL, zoo, big, null, false));
        assertTrue(b.getMessage().contains("larger than the training split (36 networks)"), b.getMessage());
    }
}
