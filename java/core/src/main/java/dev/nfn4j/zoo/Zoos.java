package dev.nfn4j.zoo;

import java.util.LinkedHashMap;
import java.util.Map;

/** Bridges between zoo sources: a generated zoo as the {@link ZooDataset} the trainer reads. */
public final class Zoos {
    private Zoos() {}

    /** The generated networks with their test and train accuracies, split as nfn splits (50% test, then 80/20). */
    public static ZooDataset dataset(GeneratedZoo g, long splitSeed) {
        int n = g.size();
        int per = Math.toIntExact(new dev.nfn4j.space.WsLayout(g.spec(), 1, 1).size());
        float[] rows = new float[Math.multiplyExact(n, per)];
        for (int i = 0; i < n; i++) System.arraycopy(g.batch(new int[]{i}).data(), 0, rows, i * per, per);
        Map<String, float[]> metrics = new LinkedHashMap<>();
        metrics.put(ZooDataset.TEST_ACCURACY, g.testAccuracy());
        metrics.put("train_accuracy", g.trainAccuracy());
        return new ZooDataset(g.spec(), rows, metrics, ZooDataset.TEST_ACCURACY, Splits.nfn(n, splitSeed), null);
    }
}
