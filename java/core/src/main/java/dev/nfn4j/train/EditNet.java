package dev.nfn4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nfn4j.io.JsonFields;
import dev.nfn4j.nn.Activation;
import dev.nfn4j.nn.FourierFeatures;
import dev.nfn4j.nn.IOSinusoidalEncoding;
import dev.nfn4j.nn.Init;
import dev.nfn4j.nn.InvariantNfn;
import dev.nfn4j.nn.Layer;
import dev.nfn4j.nn.LearnedScale;
import dev.nfn4j.nn.Linear;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Sequential;
import dev.nfn4j.nn.WeightRows;
import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The transfer networks of INR editing (nfn's {@code experiments/stylize_models.py}): a weight
 * space (one channel) in, a delta of the same shape out, through {@link LearnedScale}
 * ({@code outScale}, nfn's 0.01).
 * <ul>
 * <li>HNP (nfn's {@code equiv} config): Gaussian Fourier features of each weight, then HNP
 *     NF-Layers of {@code hidden} channels with ReLU, then an NF-Layer to one channel;</li>
 * <li>NP ({@code equiv_io}): the same with NP NF-Layers, and IOSinusoidalEncoding (max_freq 3,
 *     3 bands, no layer codes) after the Fourier features, so the layers can tell input and output
 *     neurons apart;</li>
 * <li>MLP ({@code MLPTransferNet}): the flattened weights through three hidden layers of
 *     {@code width} with ReLU, back to a delta.</li>
 * </ul>
 *
 * @param kind         HNP, NP or MLP
 * @param hidden       NF-Layer channels (HNP, NP), nfn: 128, 128, 128; MLP: its hidden widths, nfn: 1000, 1000, 1000
 * @param fourier      Fourier frequencies (nfn: 128; 0: none); unused by MLP
 * @param fourierScale their standard deviation (nfn: 3)
 * @param outScale     LearnedScale's initial scale
 */
public record EditNet(String kind, int[] hidden, int fourier, double fourierScale, double outScale) {
    public static final Set<String> KINDS = Set.of("HNP", "NP", "MLP");
    /** nfn's IOSinusoidalEncoding settings of its NP config. */
    static final double IO_MAX_FREQ = 3;
    static final int IO_BANDS = 3;
    private static final long FOURIER_SEED = 0x5eed;

    /** Checks the kind and the layer widths. */
    public EditNet {
        kind = kind.trim().toUpperCase(Locale.ROOT);
        if (!KINDS.contains(kind)) throw new IllegalArgumentException("--task edit trains hnp, np or mlp, got --model " + kind.toLowerCase(Locale.ROOT));
        if (hidden.length < 1 || hidden.length > 16) throw new IllegalArgumentException("--hidden: 1 to 16 layers, got " + Arrays.toString(hidden));
        for (int h : hidden)
            if (h < 1 || h > 4096) throw new IllegalArgumentException("--hidden: widths from 1 to 4096, got " + Arrays.toString(hidden));
        if (fourier < 0 || fourier > 1024 || (fourier > 0 && !(fourierScale > 0 && Double.isFinite(fourierScale))))
            throw new IllegalArgumentException("--fourier: 0 to 1024 frequencies with a positive finite --fourier-scale, got " + fourier + ", " + fourierScale);
        if (!(outScale > 0 && Double.isFinite(outScale))) throw new IllegalArgumentException("--out-scale must be a finite number > 0, got " + outScale);
        hidden = hidden.clone();
    }

    /** nfn's configuration of a kind: HNP/NP 128 x 3 channels with 128 Fourier frequencies at scale 3; MLP 1000 x 3; out scale 0.01. */
    public static EditNet nfn(String kind) {
        boolean mlp = kind.trim().equalsIgnoreCase("MLP");
        return new EditNet(kind, mlp ? new int[]{1000, 1000, 1000} : new int[]{128, 128, 128}, mlp ? 0 : 128, 3, 0.01);
    }

    /** Builds the network for SIRENs (or any networks) of {@code spec}, declaring its parameters. */
    public Sequential build(Params params, NetworkSpec spec) {
        Ops ops = params.ops();
        List<Layer> mods = new ArrayList<>();
        if (kind.equals("MLP")) {
            int width = Math.toIntExact(new WsLayout(spec, 1, 1).size());
            mods.add(WeightRows.flatten(ops, spec));
            int in = width;
            for (int h : hidden) {
                Linear l = new Linear(params, "hnet." + (mods.size() + 1) + ".", in, h);
                mods.add(l);
                mods.add(Activation.after(l, ops, Act.RELU));
                in = h;
            }
            mods.add(new Linear(params, "hnet." + (mods.size() + 1) + ".", in, width));
            mods.add(WeightRows.unflatten(ops, spec));
            mods.add(new LearnedScale(params, "scale.", spec, outScale));
            return new Sequential(mods);
        }
        int c = 1;
        if (fourier > 0) {
            FourierFeatures f = new FourierFeatures(ops, spec, c, fourier, fourierScale, FOURIER_SEED);
            mods.add(f);
            c = f.outChannels();
        }
        if (kind.equals("NP")) {
            IOSinusoidalEncoding e = new IOSinusoidalEncoding(ops, spec, c, IO_MAX_FREQ, IO_BANDS, false);
            mods.add(e);
            c = e.outChannels();
        }
        int[] channels = Arrays.copyOf(hidden, hidden.length + 1);
        channels[hidden.length] = 1;
        InvariantNfn.Mode mode = kind.equals("HNP") ? InvariantNfn.Mode.HNP : InvariantNfn.Mode.NP;
        mods.addAll(InvariantNfn.build(params, spec, mode, false, c, channels, Act.RELU, InvariantNfn.Pool.NONE, new int[0],
                Init.Type.PYTORCH_DEFAULT, 0, 1, 0, false).modules());
        mods.add(new LearnedScale(params, "scale.", spec, outScale));
        return new Sequential(mods);
    }

    /** The architecture as JSON, as checkpoints store it. */
    public String toJson() {
        return String.format(Locale.ROOT, "{\"kind\":\"%s\",\"hidden\":%s,\"fourier\":%d,\"fourierScale\":%s,\"outScale\":%s}", kind,
                Arrays.toString(hidden).replace(" ", ""), fourier, fourierScale, outScale);
    }

    /** Reads {@link #toJson}'s text, every member checked; a bad one is a {@link JsonFields.BadField} naming it. */
    public static EditNet fromJson(String field, String json) {
        JsonNode o = JsonFields.parseObject(field, json);
        JsonFields.onlyKeys(field, o, Set.of("kind", "hidden", "fourier", "fourierScale", "outScale"));
        String kind = JsonFields.text(JsonFields.join(field, "kind"), JsonFields.required(field, o, "kind"));
        int[] hidden = JsonFields.integers(JsonFields.join(field, "hidden"), JsonFields.required(field, o, "hidden"), 1, 16, 1, 4096);
        int fourier = JsonFields.integer(JsonFields.join(field, "fourier"), JsonFields.required(field, o, "fourier"), 0, 1024);
        double scale = JsonFields.number(JsonFields.join(field, "fourierScale"), JsonFields.required(field, o, "fourierScale"), 0, 1e6);
        double out = JsonFields.number(JsonFields.join(field, "outScale"), JsonFields.required(field, o, "outScale"), 0, 1e6);
        try {
            return new EditNet(kind, hidden, fourier, scale, out);
        } catch (IllegalArgumentException e) {
            throw new JsonFields.BadField(field, e.getMessage());
        }
    }

    @Override
    public String toString() {
        return kind.equals("MLP") ? "MLP " + Arrays.toString(hidden) + " out scale " + outScale
                : kind + (fourier > 0 ? " fourier " + fourier + "x" + fourierScale : "") + (kind.equals("NP") ? " + io-sinusoidal" : "") + " "
                + Arrays.toString(hidden) + " -> 1, out scale " + outScale;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EditNet e && kind.equals(e.kind) && Arrays.equals(hidden, e.hidden) && fourier == e.fourier
                && fourierScale == e.fourierScale && outScale == e.outScale;
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Arrays.hashCode(hidden);
    }
}
