package dev.nfn4j.zoo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nfn4j.io.NfnFormatException;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.io.SafetensorsFile;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A ticket zoo as {@code TicketZooBuilder} writes it ({@code tickets.safetensors}): per network
 * its initialisation and, per parameter, the number of IMP rounds it survived, both in the
 * canonical one-network layout ({@code WsLayout(spec, 1, 1)}); the test accuracy of the dense
 * network and of each density's ticket trained from the initialisation; the densities and the
 * per-layer targets of each round.
 *
 * <p>The IMP mask of density k keeps exactly the parameters with {@code survived > k} (IMP
 * masks are nested); biases survive every round.
 */
public final class TicketZoo {
    /** The format name in the file's metadata. */
    public static final String FORMAT = "nfn4j.ticket_zoo";
    /** The format version this reader reads. */
    public static final int FORMAT_VERSION = 1;
    /** The file's tensors. */
    public static final String INIT = "init", SURVIVED = "survived", ACCURACY = "test_accuracy", DENSITIES = "densities", LAYER_DENSITY = "layer_density";

    private final TicketArch arch;
    private final int size, perNetwork;
    private final float[] init, survived, accuracy, densities, layerDensity;
    private final Training training;

    /**
     * How the zoo's networks were trained (from build.json): the recipe of every run, the zoo
     * seed that network i's data stream derives from, and the images' fingerprint.
     */
    public record Training(TicketArch.Recipe recipe, long seed, String data) {
    }

    private TicketZoo(TicketArch arch, int size, float[] init, float[] survived, float[] accuracy, float[] densities, float[] layerDensity,
                      Training training) {
        this.arch = arch;
        this.size = size;
        this.perNetwork = arch.numParams();
        this.init = init;
        this.survived = survived;
        this.accuracy = accuracy;
        this.densities = densities;
        this.layerDensity = layerDensity;
        this.training = training;
    }

    /**
     * A zoo in memory (as read), for tests and tools: rows of {@code arch.numParams()} floats,
     * canonical layout; accuracy rows of {@code densities.length + 1}; layerDensity
     * {@code [densities][prunable layers]} row-major.
     */
    public static TicketZoo of(TicketArch arch, float[] init, float[] survived, float[] accuracy, float[] densities, float[] layerDensity) {
        int P = arch.numParams(), D = densities.length, N = init.length / P;
        if (init.length != N * P || survived.length != init.length || accuracy.length != N * (D + 1)
                || layerDensity.length != D * arch.weightRanges().length)
            throw new IllegalArgumentException("ticket zoo arrays do not agree: " + init.length + " init, " + survived.length + " survived, "
                    + accuracy.length + " accuracies, " + layerDensity.length + " layer densities for " + P + " parameters and " + D + " densities");
        return new TicketZoo(arch, N, init.clone(), survived.clone(), accuracy.clone(), densities.clone(), layerDensity.clone(), null);
    }

    /** Reads a zoo file; errors name the file and the tensor. */
    public static TicketZoo read(Path file) throws IOException {
        SafetensorsFile s = Safetensors.read(file);
        if (!FORMAT.equals(s.metadata().get("format")))
            throw new NfnFormatException(file, "not a ticket zoo (metadata format is " + s.metadata().get("format") + ", expected " + FORMAT + ")");
        TicketArch arch;
        String name = s.metadata().get("architecture");
        if ("cnn".equals(name)) arch = TicketArch.Cnn.INSTANCE;
        else if ("mlp".equals(name)) {
            String sizes = s.metadata().get("sizes");
            try {
                arch = new TicketArch.Mlp(Arrays.stream(sizes.replaceAll("[\\[\\] ]", "").split(",")).mapToInt(Integer::parseInt).toArray());
            } catch (RuntimeException e) {
                throw new NfnFormatException(file, "metadata sizes '" + sizes + "' is not a list of layer sizes");
            }
        } else throw new NfnFormatException(file, "unknown architecture '" + name + "' (mlp or cnn)");
        int P = arch.numParams();
        int[] shape = s.get(INIT).shape();
        if (shape.length != 2 || shape[1] != P) throw new NfnFormatException(file, "tensor '" + INIT + "' has shape " + Arrays.toString(shape) + ", expected [N, " + P + "]");
        int N = shape[0];
        float[] dens = s.get(DENSITIES).toFloats();
        int D = dens.length, L = arch.weightRanges().length;
        return new TicketZoo(arch, N, s.get(INIT, N, P).toFloats(), s.get(SURVIVED, N, P).toFloats(), s.get(ACCURACY, N, D + 1).toFloats(), dens,
                s.get(LAYER_DENSITY, D, L).toFloats(), training(file, s.metadata().get("build")));
    }

    /** The build settings of metadata {@code build}, or null without them. */
    private static Training training(Path file, String build) throws NfnFormatException {
        if (build == null) return null;
        try {
            JsonNode b = new ObjectMapper().readTree(build);
            TicketArch.Recipe r = new TicketArch.Recipe(b.get("steps").asInt(), b.get("batch_size").asInt(), (float) b.get("learning_rate").asDouble(),
                    b.get("test_images").asInt());
            return new Training(r, b.get("seed").asLong(), b.get("data").asText());
        } catch (IOException | RuntimeException e) {
            throw new NfnFormatException(file, "metadata build is not the builder's settings: " + e.getMessage());
        }
    }

    /** How the networks were trained; an error naming what is missing for a zoo without build settings. */
    public Training training() {
        if (training == null) throw new IllegalStateException("the ticket zoo has no build settings (metadata build), so its training cannot be repeated");
        return training;
    }

    /** The seed of network n's data stream, which every training run of its IMP used. */
    public long dataSeed(int n) {
        return dataSeed(training().seed(), n);
    }

    /** The seed of network i's data stream (batch order), the same for every training run of its IMP. */
    public static long dataSeed(long zooSeed, int i) {
        return ZooRandom.seedFor(zooSeed, i, 2);
    }

    /** A zoo in memory with its build settings, for tests and tools. */
    public TicketZoo withTraining(Training t) {
        return new TicketZoo(arch, size, init, survived, accuracy, densities, layerDensity, t);
    }

    /** The networks' architecture. */
    public TicketArch arch() {
        return arch;
    }

    /** The networks' weight-space spec. */
    public NetworkSpec spec() {
        return arch.spec();
    }

    /** The canonical layout of one network. */
    public WsLayout layout() {
        return new WsLayout(arch.spec(), 1, 1);
    }

    /** The number of networks. */
    public int size() {
        return size;
    }

    /** The requested densities, one per IMP round. */
    public float[] densities() {
        return densities.clone();
    }

    /** The target density of each round per prunable layer. */
    public float layerDensity(int round, int layer) {
        return layerDensity[round * arch.weightRanges().length + layer];
    }

    /** Network n's initialisation, canonical layout. */
    public float[] init(int n) {
        return Arrays.copyOfRange(init, n * perNetwork, (n + 1) * perNetwork);
    }

    /** Per parameter of network n, the IMP rounds it survived (canonical layout). */
    public float[] survived(int n) {
        return Arrays.copyOfRange(survived, n * perNetwork, (n + 1) * perNetwork);
    }

    /** Network n's IMP mask of density index k (1 keeps, 0 prunes), canonical layout. */
    public float[] mask(int n, int k) {
        float[] m = new float[perNetwork];
        for (int q = 0; q < perNetwork; q++) m[q] = survived[n * perNetwork + q] > k ? 1f : 0f;
        return m;
    }

    /** Test accuracy of network n: index 0 dense, k + 1 the ticket of density k. */
    public float accuracy(int n, int index) {
        return accuracy[n * (densities.length + 1) + index];
    }

    /** All accuracies, [n][dense, density 0, ...]. */
    public float[][] accuracies() {
        int D = densities.length;
        float[][] a = new float[size][];
        for (int n = 0; n < size; n++) a[n] = Arrays.copyOfRange(accuracy, n * (D + 1), (n + 1) * (D + 1));
        return a;
    }
}
