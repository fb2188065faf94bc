package dev.nfn4j.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nfn4j.io.JsonFields;
import dev.nfn4j.ops.Act;
import dev.nfn4j.space.NetworkSpec;

import java.io.IOException;
import java.util.Arrays;

/**
 * What a model is, in a form that goes into a checkpoint's metadata (JSON) and back: the
 * invariant NFN of the paper in its input modes, the StatNN baseline, or (pool NONE) the
 * equivariant NFN, whose output is a weight space with {@code hidden[last]} channels.
 *
 * @param kind    HNP, NP, NP_IO (NPLinear with io_embed), POINTWISE, or STATNN
 * @param hidden  channels of each NF-Layer (paper: 16, 16, 5); unused by STATNN
 * @param act     activation after each NF-Layer
 * @param pool    HNP pooling (paper), NP pooling, STATS (statistics of each tensor's features), or NONE (equivariant: no
 *                pooling, no head); see {@link InvariantNfn.Pool}
 * @param head    hidden widths of the MLP head (paper: 1000, 1000), then Linear(-> 1) and sigmoid; unused with pool NONE
 * @param fourier Gaussian Fourier input features (nfn's inp_enc): frequencies, 0 for none
 * @param fourierScale their standard deviation
 * @param dropout nfn's channel dropout after each NF-Layer's activation (0: none)
 * @param appendStats nfn's append_stats: the head also reads StatNN's statistics of the input weights
 *                    ({@link WithInputStats}); invariant NFNs only (absent in older checkpoints: false)
 */
public record ModelConfig(String kind, int[] hidden, String act, InvariantNfn.Pool pool, int[] head, int fourier, double fourierScale,
                          double dropout, boolean appendStats) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Normalises the kind's name and checks the settings. */
    public ModelConfig {
        kind = kind.trim().toUpperCase();
        if (!java.util.List.of("HNP", "NP", "NP_IO", "POINTWISE", "STATNN").contains(kind))
            throw new IllegalArgumentException("unknown model kind '" + kind + "' (expected HNP, NP, NP_IO, POINTWISE or STATNN)");
        if (!kind.equals("STATNN") && hidden.length == 0) throw new IllegalArgumentException(kind + " needs at least one NF-Layer");
        if (hidden.length > MAX_NF_LAYERS) throw new IllegalArgumentException("at most " + MAX_NF_LAYERS + " NF-Layers, got " + hidden.length);
        for (int h : hidden)
            if (h < 1 || h > MAX_CHANNELS)
                throw new IllegalArgumentException("NF-Layer channels must be from 1 to " + MAX_CHANNELS + ": " + Arrays.toString(hidden));
        if (head.length > MAX_HEAD_LAYERS) throw new IllegalArgumentException("at most " + MAX_HEAD_LAYERS + " head layers, got " + head.length);
        for (int h : head)
            if (h < 1 || h > MAX_HEAD_WIDTH)
                throw new IllegalArgumentException("head widths must be from 1 to " + MAX_HEAD_WIDTH + ": " + Arrays.toString(head));
        Act.parse(act);
        java.util.Objects.requireNonNull(pool, "pool");
        if (kind.equals("STATNN") && pool == InvariantNfn.Pool.NONE)
            throw new IllegalArgumentException("STATNN has no NF-Layers to make equivariant: pool NONE needs kind HNP, NP, NP_IO or POINTWISE");
        if (fourier < 0 || fourier > MAX_FOURIER || (fourier > 0 && !(fourierScale > 0 && Double.isFinite(fourierScale))))
            throw new IllegalArgumentException("Fourier features need 0 to " + MAX_FOURIER + " frequencies and a positive finite scale, got "
                    + fourier + ", " + fourierScale);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        if (appendStats && (kind.equals("STATNN") || pool == InvariantNfn.Pool.NONE))
            throw new IllegalArgumentException("append-stats adds StatNN's input statistics to an invariant NFN's head: "
                    + (kind.equals("STATNN") ? "STATNN reads only those already" : "pool NONE has no head"));
        hidden = hidden.clone();
        head = head.clone();
    }

    /** Without Fourier input features. */
    public ModelConfig(String kind, int[] hidden, String act, InvariantNfn.Pool pool, int[] head) {
        this(kind, hidden, act, pool, head, 0, 1, 0);
    }

    /** Without the input statistics. */
    public ModelConfig(String kind, int[] hidden, String act, InvariantNfn.Pool pool, int[] head, int fourier, double fourierScale,
                       double dropout) {
        this(kind, hidden, act, pool, head, fourier, fourierScale, dropout, false);
    }

    /** The paper's configuration for a kind: NF-Layers 16, 16, 5 with ReLU, HNP pooling, head 1000, 1000. */
    public static ModelConfig paper(String kind) {
        return new ModelConfig(kind, new int[]{16, 16, 5}, "relu", InvariantNfn.Pool.HNP, new int[]{1000, 1000});
    }

    /** Builds the model, declaring its parameters (names as nfn's nn.Sequential) in {@code params}. */
    public Sequential build(Params params, NetworkSpec spec, int inChannels) {
        if (kind.equals("STATNN")) return InvariantNfn.statNn(params, spec, inChannels, head);
        InvariantNfn.Mode mode = switch (kind) {
            case "HNP" -> InvariantNfn.Mode.HNP;
            case "POINTWISE" -> InvariantNfn.Mode.POINTWISE;
            default -> InvariantNfn.Mode.NP;
        };
        return InvariantNfn.build(params, spec, mode, kind.equals("NP_IO"), inChannels, hidden, Act.parse(act), pool, head,
                Init.Type.PYTORCH_DEFAULT, fourier, fourierScale, dropout, appendStats);
    }

    /** This configuration as JSON, the form stored in checkpoint metadata. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True for the equivariant NFN (pool NONE): its output is a weight space, not one prediction per network. */
    public boolean equivariant() {
        return pool == InvariantNfn.Pool.NONE;
    }

    /** Output channels of the equivariant NFN (the last NF-Layer's); 0 for the invariant models. */
    public int outChannels() {
        return equivariant() ? hidden[hidden.length - 1] : 0;
    }

    /** At most this many NF-Layers, and channels per NF-Layer. */
    public static final int MAX_NF_LAYERS = 64, MAX_CHANNELS = 4096;
    /** At most this many head layers, and units per head layer. */
    public static final int MAX_HEAD_LAYERS = 64, MAX_HEAD_WIDTH = 1 << 16;
    /** At most this many Fourier frequencies. */
    public static final int MAX_FOURIER = 1024;

    private static final java.util.Set<String> KEYS = java.util.Set.of("kind", "hidden", "act", "pool", "hnpPool", "head", "fourier",
            "fourierScale", "dropout", "appendStats");

    /** As {@link #fromJson(String, String)} for the metadata field {@code model}. */
    public static ModelConfig fromJson(String json) {
        return fromJson("model", json);
    }

    /**
     * Reads a model written by {@link #toJson}, checked as a schema: every member's type and range
     * (bounds above: a checkpoint must not make the reader build a model that cannot fit); a bad
     * one is a {@link JsonFields.BadField} naming it ({@code model.hidden[1]}). Older checkpoints
     * have {@code hnpPool} instead of {@code pool}, and no {@code appendStats}.
     */
    public static ModelConfig fromJson(String field, String json) {
        JsonNode o = JsonFields.parseObject(field, json);
        JsonFields.onlyKeys(field, o, KEYS);
        String kind = JsonFields.text(JsonFields.join(field, "kind"), JsonFields.required(field, o, "kind"));
        String act = JsonFields.text(JsonFields.join(field, "act"), JsonFields.required(field, o, "act"));
        InvariantNfn.Pool pool;
        if (o.has("pool")) pool = choice(JsonFields.join(field, "pool"), JsonFields.text(JsonFields.join(field, "pool"), o.get("pool")), InvariantNfn.Pool::parse);
        else if (o.has("hnpPool")) pool = JsonFields.bool(JsonFields.join(field, "hnpPool"), o.get("hnpPool")) ? InvariantNfn.Pool.HNP : InvariantNfn.Pool.NP;
        else throw new JsonFields.BadField(JsonFields.join(field, "pool"), "missing");
        int[] hidden = JsonFields.integers(JsonFields.join(field, "hidden"), JsonFields.required(field, o, "hidden"), 0, MAX_NF_LAYERS, 1, MAX_CHANNELS);
        int[] head = JsonFields.integers(JsonFields.join(field, "head"), JsonFields.required(field, o, "head"), 0, MAX_HEAD_LAYERS, 1, MAX_HEAD_WIDTH);
        int fourier = o.has("fourier") ? JsonFields.integer(JsonFields.join(field, "fourier"), o.get("fourier"), 0, MAX_FOURIER) : 0;
        double fourierScale = o.has("fourierScale")
                ? JsonFields.number(JsonFields.join(field, "fourierScale"), o.get("fourierScale"), -Double.MAX_VALUE, Double.MAX_VALUE) : 1;
        double dropout = o.has("dropout") ? JsonFields.number(JsonFields.join(field, "dropout"), o.get("dropout"), 0, 1) : 0;
        boolean appendStats = o.has("appendStats") && JsonFields.bool(JsonFields.join(field, "appendStats"), o.get("appendStats"));
        choice(JsonFields.join(field, "act"), act, Act::parse);
        try {
            return new ModelConfig(kind, hidden, act, pool, head, fourier, fourierScale, dropout, appendStats);
        } catch (IllegalArgumentException e) {
            throw new JsonFields.BadField(field, e.getMessage());
        }
    }

    private static <T> T choice(String field, String name, java.util.function.Function<String, T> parse) {
        try {
            return parse.apply(name);
        } catch (IllegalArgumentException e) {
            throw new JsonFields.BadField(field, e.getMessage());
        }
    }

    @Override
    public String toString() {
        return kind + (kind.equals("STATNN") ? "" : (fourier > 0 ? " fourier " + fourier + "x" + fourierScale : "") + " "
                + Arrays.toString(hidden) + " " + act + (dropout > 0 ? " dropout " + dropout : "") + " " + pool + " pool"
                + (appendStats ? " + input stats" : ""))
                + (equivariant() ? " (equivariant: weight space out)" : " head " + Arrays.toString(head));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelConfig m && kind.equals(m.kind) && Arrays.equals(hidden, m.hidden) && act.equals(m.act)
                && pool == m.pool && Arrays.equals(head, m.head) && fourier == m.fourier && fourierScale == m.fourierScale
                && dropout == m.dropout && appendStats == m.appendStats;
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Arrays.hashCode(hidden) + Arrays.hashCode(head);
    }
}
