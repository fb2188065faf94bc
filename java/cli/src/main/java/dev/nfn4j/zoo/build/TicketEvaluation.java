package dev.nfn4j.zoo.build;

import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.train.TicketMasks;
import dev.nfn4j.train.TicketPredictor;
import dev.nfn4j.train.TicketTrainer;
import dev.nfn4j.zoo.ImageData;
import dev.nfn4j.zoo.TicketZoo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/**
 * The ticket experiment's measure: held-out networks of a ticket zoo are trained from their
 * initialisations under each source's mask at each of the zoo's densities, with IMP's recipe and
 * data stream ({@link TicketRetraining}), and their test accuracies compared. Sources: IMP's
 * mask (the zoo's recorded ticket accuracy, which retraining reproduces), each mask predictor
 * kind (one checkpoint per seed), magnitude at initialisation, and a random mask with IMP's
 * per-layer counts (one per seed). A predictor's mask keeps its top-k logits, or at a temperature
 * above 0 is drawn from its keep probabilities ({@link TicketMasks#sample}; one draw per
 * checkpoint, network and density). Every mask has IMP's per-layer density; the IoU of its kept
 * weights with IMP's is reported beside.
 */
public final class TicketEvaluation {
    public static final String IMP = "IMP", MAGNITUDE = "magnitude", RANDOM = "random";

    private TicketEvaluation() {
    }

    /**
     * One mask source.
     *
     * @param accuracy [seed][density]: mean test accuracy over the networks
     * @param iou      [seed][density]: mean IoU with IMP's mask over the networks
     */
    public record Row(String source, double[][] accuracy, double[][] iou) {
        public int seeds() {
            return accuracy.length;
        }

        /** Mean over seeds of density k's accuracy. */
        public double meanAccuracy(int k) {
            return mean(accuracy, k);
        }

        /** Sample standard deviation over seeds (0 for one seed). */
        public double stdAccuracy(int k) {
            double m = meanAccuracy(k), s = 0;
            for (double[] a : accuracy) s += (a[k] - m) * (a[k] - m);
            return accuracy.length < 2 ? 0 : Math.sqrt(s / (accuracy.length - 1));
        }

        public double meanIou(int k) {
            return mean(iou, k);
        }

        private static double mean(double[][] v, int k) {
            double s = 0;
            for (double[] a : v) s += a[k];
            return s / v.length;
        }
    }

    /** The table: the densities, how many networks, the dense networks' mean accuracy, the predictors' sampling temperature, one row per source. */
    public record Result(float[] densities, int networks, double denseAccuracy, double temperature, List<Row> rows) {
        public Row row(String source) {
            for (Row r : rows) if (r.source().equals(source)) return r;
            throw new IllegalArgumentException("no mask source " + source);
        }

        /** The fraction of the gap from random to IMP that a source closes at density k. */
        public double gapClosed(String source, int k) {
            double rnd = row(RANDOM).meanAccuracy(k);
            return (row(source).meanAccuracy(k) - rnd) / (row(IMP).meanAccuracy(k) - rnd);
        }

        /** The table as text, then per predictor whether it meets the target at densities 0.1 and 0.05. */
        public String format() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-10s %5s", "mask", "seeds"));
            for (float d : densities) sb.append(String.format(Locale.ROOT, "  %-22s", "density " + d + " acc (IoU)"));
            sb.append('\n');
            for (Row r : rows) {
                sb.append(String.format(Locale.ROOT, "%-10s %5d", r.source(), r.seeds()));
                for (int k = 0; k < densities.length; k++)
                    sb.append(String.format(Locale.ROOT, "  %.4f+-%.4f (%.3f)   ", r.meanAccuracy(k), r.stdAccuracy(k), r.meanIou(k)));
                sb.append('\n');
            }
            sb.append(String.format(Locale.ROOT, "(%d held-out networks; dense networks %.4f; +- is the standard deviation over seeds; predictors' masks: %s)%n", networks,
                    denseAccuracy, temperature == 0 ? "top-k logits" : "drawn at temperature " + temperature));
            for (Row r : rows) {
                if (!isPredictor(r.source())) continue;
                for (int k = 0; k < densities.length; k++) {
                    if (densities[k] != 0.1f && densities[k] != 0.05f) continue;
                    double acc = r.meanAccuracy(k), mag = row(MAGNITUDE).meanAccuracy(k), rnd = row(RANDOM).meanAccuracy(k), gap = gapClosed(r.source(), k);
                    boolean met = acc > rnd && acc > mag && gap >= 0.5;
                    sb.append(String.format(Locale.ROOT, "target   %-4s density %-4s: %s random (%+.4f), %s magnitude (%+.4f), closes %.0f%% of the random->IMP gap: %s%n",
                            r.source(), densities[k], acc > rnd ? "beats" : "does not beat", acc - rnd, acc > mag ? "beats" : "does not beat", acc - mag,
                            100 * gap, met ? "met" : "not met"));
                }
            }
            return sb.toString();
        }
    }

    /** True for a mask predictor's row; false for IMP, magnitude and random. */
    public static boolean isPredictor(String source) {
        return !List.of(IMP, MAGNITUDE, RANDOM).contains(source);
    }

    /** One retraining: which row, seed, density and network. */
    private record Run(int row, int seed, int density, int network) {
    }

    /**
     * Evaluates the sources on the zoo's networks {@code networks}.
     *
     * @param predictors per source name (NP, HNP, MLP), one predictor per seed, all trained on this zoo's spec
     * @param seeds       random masks drawn per network and density
     * @param temperature the predictors' masks: 0 the top-k logits, above 0 drawn at that temperature
     */
    public static Result evaluate(ImageData.Split data, TicketZoo zoo, int[] networks, Map<String, List<TicketPredictor>> predictors, int seeds,
                                  double temperature, int threads, IntConsumer progress) {
        TicketMasks.checkTemperature(temperature);
        NetworkSpec spec = zoo.spec();
        float[] dens = zoo.densities();
        int D = dens.length, N = networks.length;
        double[][] layerDensity = new double[D][];
        for (int k = 0; k < D; k++) layerDensity[k] = TicketTrainer.layerDensity(zoo, k);
        // Logits per source, seed and network, computed here: the predictors' backends run one model at a time.
        Map<String, float[][][]> logits = new LinkedHashMap<>();
        for (var e : predictors.entrySet()) {
            if (!e.getValue().isEmpty() && !e.getValue().get(0).spec().equals(spec))
                throw new IllegalArgumentException("the " + e.getKey() + " predictor was trained on networks " + e.getValue().get(0).spec() + " but the zoo holds " + spec);
            float[][][] l = new float[e.getValue().size()][N][];
            for (int s = 0; s < l.length; s++) for (int i = 0; i < N; i++) l[s][i] = e.getValue().get(s).logits(zoo.init(networks[i]));
            logits.put(e.getKey(), l);
        }
        List<String> names = new ArrayList<>(List.of(IMP));
        names.addAll(logits.keySet());
        names.add(MAGNITUDE);
        names.add(RANDOM);
        int[] rowSeeds = new int[names.size()];
        for (int r = 0; r < names.size(); r++)
            rowSeeds[r] = switch (names.get(r)) {
                case IMP, MAGNITUDE -> 1;
                case RANDOM -> seeds;
                default -> logits.get(names.get(r)).length;
            };
        List<Run> runs = new ArrayList<>();
        for (int r = 1; r < names.size(); r++) // IMP's accuracies are the zoo's
            for (int s = 0; s < rowSeeds[r]; s++) for (int k = 0; k < D; k++) for (int i = 0; i < N; i++) runs.add(new Run(r, s, k, i));
        IntFunction<float[]> maskOf = j -> {
            Run run = runs.get(j);
            int n = networks[run.network()];
            double[] ld = layerDensity[run.density()];
            return switch (names.get(run.row())) {
                case MAGNITUDE -> TicketMasks.magnitude(spec, zoo.init(n), ld);
                case RANDOM -> TicketMasks.random(spec, ld, randomSeed(run.seed(), n, run.density()));
                default -> TicketMasks.sample(spec, logits.get(names.get(run.row()))[run.seed()][run.network()], zoo.init(n), ld, temperature,
                        drawSeed(run.seed(), n, run.density()));
            };
        };
        float[] acc = TicketRetraining.accuracies(data, zoo, runs.size(), j -> new TicketRetraining.Job(networks[runs.get(j).network()], maskOf.apply(j)),
                threads, progress);
        double[][][] a = new double[names.size()][][], iou = new double[names.size()][][];
        for (int r = 0; r < names.size(); r++) {
            a[r] = new double[rowSeeds[r]][D];
            iou[r] = new double[rowSeeds[r]][D];
        }
        double dense = 0;
        for (int i = 0; i < N; i++) {
            dense += zoo.accuracy(networks[i], 0) / N;
            for (int k = 0; k < D; k++) {
                a[0][0][k] += zoo.accuracy(networks[i], k + 1) / N;
                iou[0][0][k] = 1;
            }
        }
        for (int j = 0; j < runs.size(); j++) {
            Run run = runs.get(j);
            int n = networks[run.network()];
            a[run.row()][run.seed()][run.density()] += acc[j] / N;
            float[] m = maskOf.apply(j); // again for its IoU: cheap beside the training
            iou[run.row()][run.seed()][run.density()] += TicketMasks.iou(spec, m, zoo.mask(n, run.density())) / N;
        }
        List<Row> rows = new ArrayList<>();
        for (int r = 0; r < names.size(); r++) rows.add(new Row(names.get(r), a[r], iou[r]));
        return new Result(dens, N, dense, temperature, rows);
    }

    /** The seed of the random mask of (seed, network, density). */
    static long randomSeed(int seed, int network, int density) {
        return ((long) seed * 1_000_003L + network) * 31 + density;
    }

    /** The seed of a predictor's drawn mask of (checkpoint, network, density): other draws than the random masks'. */
    static long drawSeed(int seed, int network, int density) {
        return ~randomSeed(seed, network, density);
    }
}
