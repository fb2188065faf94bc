package dev.nfn4j.nn;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nfn4j.io.JsonFields;
import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.NetworkSpec;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * A classifier of networks from their weights (nfn's INR classification models), in a form that
 * goes into a checkpoint's metadata (JSON) and back. Its output is one logit per class.
 * <ul>
 * <li>HNP, NP, NP_IO: nfn's {@code InvariantNFN} ({@code experiments/models.py}): optional
 *     Gaussian Fourier features ({@code inp_enc}), optional IOSinusoidalEncoding ({@code pos_enc}:
 *     max_freq 10, 6 bands, no layer codes, as nfn's {@code sin.yaml}), NF-Layers each followed by
 *     ReLU and optional channel dropout, then nfn's {@code MlpHead}: HNP pooling, flatten,
 *     Linear/ReLU/Dropout per head width, Linear to the classes. Parameter names as nfn's
 *     state_dict: {@code nfnet_features.<i>.} and {@code head.head.<i>.}.</li>
 * <li>MLP: nfn's {@code MlpNFN}, an MLP on the flattened weights (one sample's parameters in
 *     state_dict order); STATNN: nfn's {@code StatNet} on StatNN's statistics of each tensor. Both
 *     are Linear/ReLU/Dropout per head width, then Linear to the classes, named
 *     {@code hypernetwork.<i>.}. StatNN's NaN statistics (the variance of a one-entry tensor)
 *     become 0 ({@link NanToZero}).</li>
 * </ul>
 *
 * @param kind         HNP, NP, NP_IO, MLP or STATNN
 * @param hidden       channels of each NF-Layer (nfn's inv_ff: 512, 512, 512); unused by MLP and STATNN
 * @param fourier      Gaussian Fourier frequencies (nfn: 128), 0 for none
 * @param fourierScale their standard deviation (nfn: 10)
 * @param ioEncoding   IOSinusoidalEncoding after the Fourier features (nfn's inv_ff_io)
 * @param dropout      channel dropout after each NF-Layer's ReLU (nfn's feature_dropout)
 * @param head         hidden widths of the head (nfn: 1000, 1000 for the NFN; 1000, 1000 for the MLP)
 * @param headDropout  dropout after each head ReLU (nfn's inv_ff: 0.5)
 * @param classes      number of classes (logits out)
 */
public record ClassifierConfig(String kind, int[] hidden, int fourier, double fourierScale, boolean ioEncoding, double dropout,
                               int[] head, double headDropout, int classes) {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final List<String> KINDS = List.of("HNP", "NP", "NP_IO", "MLP", "STATNN");
    /** nfn's IOSinusoidalEncoding settings in its INR-classification configs. */
    public static final double IO_MAX_FREQ = 10;
    public static final int IO_BANDS = 6;
    /** Seed of the Fourier projection (fixed: rebuilt, not stored, when a checkpoint is loaded). */
    static final long FOURIER_SEED = 0x5eed;
    public static final int MAX_CLASSES = 1 << 16;

    /** Normalises the kind's name and checks the settings. */
    public ClassifierConfig {
        kind = kind.trim().toUpperCase(java.util.Locale.ROOT);
        if (!KINDS.contains(kind)) throw new IllegalArgumentException("unknown classifier kind '" + kind + "' (expected hnp, np, np_io, mlp or statnn)");
        if (nfn(kind) && hidden.length == 0) throw new IllegalArgumentException(kind + " needs at least one NF-Layer");
        if (hidden.length > ModelConfig.MAX_NF_LAYERS) throw new IllegalArgumentException("at most " + ModelConfig.MAX_NF_LAYERS + " NF-Layers");
        for (int h : hidden)
            if (h < 1 || h > ModelConfig.MAX_CHANNELS)
                throw new IllegalArgumentException("NF-Layer channels must be from 1 to " + ModelConfig.MAX_CHANNELS + ": " + Arrays.toString(hidden));
        if (head.length > ModelConfig.MAX_HEAD_LAYERS) throw new IllegalArgumentException("at most " + ModelConfig.MAX_HEAD_LAYERS + " head layers");
        for (int h : head)
            if (h < 1 || h > ModelConfig.MAX_HEAD_WIDTH)
                throw new IllegalArgumentException("head widths must be from 1 to " + ModelConfig.MAX_HEAD_WIDTH + ": " + Arrays.toString(head));
        if (fourier < 0 || fourier > ModelConfig.MAX_FOURIER || (fourier > 0 && !(fourierScale > 0 && Double.isFinite(fourierScale))))
            throw new IllegalArgumentException("Fourier features need 0 to " + ModelConfig.MAX_FOURIER + " frequencies and a positive finite scale, got "
                    + fourier + ", " + fourierScale);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        if (!(headDropout >= 0 && headDropout < 1)) throw new IllegalArgumentException("head dropout must be in [0, 1), got " + headDropout);
        if (classes < 2 || classes > MAX_CLASSES) throw new IllegalArgumentException("a classifier needs 2 to " + MAX_CLASSES + " classes, got " + classes);
        hidden = hidden.clone();
        head = head.clone();
    }

    private static boolean nfn(String kind) {
        return !kind.equals("MLP") && !kind.equals("STATNN");
    }

    /** True for the NFNs (HNP, NP, NP_IO); false for the baselines. */
    @JsonIgnore
    public boolean isNfn() {
        return nfn(kind);
    }

    /** True when the model reads one flat row per network ({@code [B, P]}) instead of a weight space. */
    public boolean readsFlatRows() {
        return kind.equals("MLP");
    }

    /** Builds the model (input: one channel; output {@code [B, classes]} logits), declaring its parameters in {@code params}. */
    public Sequential build(Params params, NetworkSpec spec) {
        Ops ops = params.ops();
        List<Layer> mods = new ArrayList<>();
        if (!isNfn()) {
            int width;
            if (kind.equals("MLP")) {
                mods.add(new Flatten()); // nfn's FlattenWeights: rows arrive flat already
                width = Math.toIntExact(spec.numParams());
            } else {
                mods.add(new StatFeaturizer(ops));
                width = StatFeaturizer.width(spec);
            }
            mods.add(new Flatten());
            if (kind.equals("STATNN")) mods.add(new NanToZero(ops)); // not indexed: nfn has no such module
            addHead(params, "hypernetwork.", mods, width, true);
            return new Sequential(mods);
        }
        List<Layer> features = new ArrayList<>();
        int c = 1;
        if (fourier > 0) {
            FourierFeatures enc = new FourierFeatures(ops, spec, c, fourier, fourierScale, FOURIER_SEED);
            features.add(enc);
            c = enc.outChannels();
        }
        if (ioEncoding) {
            IOSinusoidalEncoding enc = new IOSinusoidalEncoding(ops, spec, c, IO_MAX_FREQ, IO_BANDS, false);
            features.add(enc);
            c = enc.outChannels();
        }
        for (int h : hidden) {
            String p = "nfnet_features." + features.size() + ".";
            Layer nf = kind.equals("HNP") ? new HNPLinear(params, p, spec, c, h, Init.Type.PYTORCH_DEFAULT)
                    : new NPLinear(params, p, spec, c, h, kind.equals("NP_IO"), Init.Type.PYTORCH_DEFAULT);
            features.add(nf);
            features.add(Activation.after(nf, ops, Act.RELU));
            if (dropout > 0) features.add(new ChannelDropout(ops, dropout, features.size()));
            c = h;
        }
        mods.addAll(features);
        WeightPool pool = WeightPool.hnp(ops, spec);
        mods.add(pool);
        mods.add(new Flatten());
        addHead(params, "head.head.", mods, pool.width() * c, false);
        return new Sequential(mods);
    }

    /**
     * Per head width: Linear, ReLU, Dropout (nfn's MlpHead leaves the Dropout out at p = 0, its
     * MlpNFN and StatNet keep it: {@code dropoutAlways}); then Linear to the classes. Names count
     * from 2, after the pool (or flatten) and the flatten, as in nfn's nn.Sequential.
     */
    private void addHead(Params params, String prefix, List<Layer> mods, int width, boolean dropoutAlways) {
        int in = width, index = 2;
        for (int h : head) {
            Linear linear = new Linear(params, prefix + index + ".", in, h);
            mods.add(linear);
            mods.add(Activation.after(linear, params.ops(), Act.RELU));
            index += 2;
            if (headDropout > 0 || dropoutAlways) {
                mods.add(new ChannelDropout(params.ops(), headDropout, 1000 + index));
                index++;
            }
            in = h;
        }
        mods.add(new Linear(params, prefix + index + ".", in, classes));
    }

    /** This configuration as JSON, the form stored in checkpoint metadata. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final Set<String> KEYS = Set.of("kind", "hidden", "fourier", "fourierScale", "ioEncoding", "dropout", "head", "headDropout",
            "classes");

    /** Reads {@link #toJson}'s form, checked as a schema; a bad member is a {@link JsonFields.BadField} naming it. */
    public static ClassifierConfig fromJson(String field, String json) {
        JsonNode o = JsonFields.parseObject(field, json);
        JsonFields.onlyKeys(field, o, KEYS);
        String kind = JsonFields.text(JsonFields.join(field, "kind"), JsonFields.required(field, o, "kind"));
        int[] hidden = JsonFields.integers(JsonFields.join(field, "hidden"), JsonFields.required(field, o, "hidden"), 0, ModelConfig.MAX_NF_LAYERS,
                1, ModelConfig.MAX_CHANNELS);
        int fourier = JsonFields.integer(JsonFields.join(field, "fourier"), JsonFields.required(field, o, "fourier"), 0, ModelConfig.MAX_FOURIER);
        double scale = JsonFields.number(JsonFields.join(field, "fourierScale"), JsonFields.required(field, o, "fourierScale"), 0, Double.MAX_VALUE);
        boolean io = JsonFields.bool(JsonFields.join(field, "ioEncoding"), JsonFields.required(field, o, "ioEncoding"));
        double dropout = JsonFields.number(JsonFields.join(field, "dropout"), JsonFields.required(field, o, "dropout"), 0, 1);
        int[] head = JsonFields.integers(JsonFields.join(field, "head"), JsonFields.required(field, o, "head"), 0, ModelConfig.MAX_HEAD_LAYERS,
                1, ModelConfig.MAX_HEAD_WIDTH);
        double headDropout = JsonFields.number(JsonFields.join(field, "headDropout"), JsonFields.required(field, o, "headDropout"), 0, 1);
        int classes = JsonFields.integer(JsonFields.join(field, "classes"), JsonFields.required(field, o, "classes"), 2, MAX_CLASSES);
        try {
            return new ClassifierConfig(kind, hidden, fourier, scale, io, dropout, head, headDropout, classes);
        } catch (IllegalArgumentException e) {
            throw new JsonFields.BadField(field, e.getMessage());
        }
    }

    @Override
    public String toString() {
        String h = " head " + Arrays.toString(head) + (headDropout > 0 ? " dropout " + headDropout : "") + " -> " + classes + " classes";
        if (!isNfn()) return kind + h;
        return kind + (fourier > 0 ? " fourier " + fourier + "x" + fourierScale : "") + (ioEncoding ? " io-encoding" : "") + " "
                + Arrays.toString(hidden) + " relu" + (dropout > 0 ? " dropout " + dropout : "") + " HNP pool" + h;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClassifierConfig m && kind.equals(m.kind) && Arrays.equals(hidden, m.hidden) && fourier == m.fourier
                && fourierScale == m.fourierScale && ioEncoding == m.ioEncoding && dropout == m.dropout && Arrays.equals(head, m.head)
                && headDropout == m.headDropout && classes == m.classes;
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Arrays.hashCode(hidden) + Arrays.hashCode(head) + classes;
    }
}
