package dev.nfn4j.train;

import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Several predictors of the same networks, and their mean prediction. Models that see the
 * weights differently make different errors: on the CNN zoo an HNP-NFN averaged with a StatNN
 * ranks networks better than either, or than two StatNNs (BENCHMARKS.md).
 */
public final class Ensemble implements AutoCloseable {
    private final List<Predictor> members;

    private Ensemble(List<Predictor> members) {
        this.members = List.copyOf(members);
    }

    /** Loads each checkpoint; all must take networks of one spec. */
    public static Ensemble load(List<Path> checkpoints, Ops ops) throws IOException {
        if (checkpoints.isEmpty()) throw new IllegalArgumentException("an ensemble needs at least one checkpoint");
        List<Predictor> members = new ArrayList<>();
        try {
            for (Path c : checkpoints) {
                Predictor p = Predictor.load(c, ops);
                members.add(p);
                if (!p.spec().equals(members.get(0).spec()))
                    throw new IllegalArgumentException("an ensemble's members must predict the same networks: this one takes " + p.spec()
                            + " but " + checkpoints.get(0) + " takes " + members.get(0).spec() + " (" + c + ")");
            }
        } catch (IOException | RuntimeException e) {
            for (Predictor p : members) p.close();
            throw e;
        }
        return new Ensemble(members);
    }

    /** Closes every member. */
    @Override
    public void close() {
        for (Predictor p : members) p.close();
    }

    /** The network spec every member was trained on. */
    public NetworkSpec spec() {
        return members.get(0).spec();
    }

    /** The members, in order. */
    public List<Predictor> members() {
        return members;
    }

    /** Each member's predictions for the batch, {@code [member][network]}. */
    public float[][] predictEach(HostWeights batch) {
        float[][] out = new float[members.size()][];
        for (int m = 0; m < out.length; m++) out[m] = members.get(m).predict(batch);
        return out;
    }

    /** The mean prediction for each network of the batch. */
    public float[] predict(HostWeights batch) {
        return mean(predictEach(batch));
    }

    /** The mean over members, {@code sum_m pred[m][i] / members} added in member order (one member: its predictions). */
    public static float[] mean(float[][] pred) {
        float[] out = new float[pred[0].length];
        for (float[] p : pred)
            for (int i = 0; i < out.length; i++) out[i] += p[i] / pred.length;
        return out;
    }
}
