package dev.nfn4j.nn;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.NetworkSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * The invariant NFN of the paper's generalization-prediction experiment, built as nfn's
 * {@code nn.Sequential} so parameter names match: NF-Layers (each followed by an activation),
 * HNP or NP mean pooling, flatten, an MLP head, sigmoid. Indices as in PyTorch: with three
 * NF-Layers, {@code 0.layer_1.weight}, ..., the head's Linears at 8, 10, 12.
 *
 * <p>With {@link Pool#NONE} the same builder gives the equivariant NFN (weight space in, weight
 * space out, for tasks that edit weights): the NF-Layers with an activation between them and
 * none after the last, whose channel count is the output's.
 */
public final class InvariantNfn {
    /** The kind of NF-Layer the network is built from. */
    public enum Mode {
        /** {@link HNPLinear}: equivariant to hidden-neuron permutations. */
        HNP,
        /** {@link NPLinear}: equivariant to every neuron permutation. */
        NP,
        /** {@link Pointwise}: a channel mix of each entry on its own. */
        POINTWISE
    }

    /**
     * How the last NF-Layer's output becomes invariant features: nfn's HNPPool or NPPool (means
     * over the permuted axes), or STATS: StatNN's seven statistics (mean, variance, quantiles)
     * of every tensor's entries per channel, so the head reads the distribution of the learned
     * features, not only its mean.
     */
    public enum Pool {
        /** nfn's HNPPool: means over the hidden-neuron axes. */
        HNP,
        /** nfn's NPPool: means over every neuron axis. */
        NP,
        /** StatNN's seven statistics of every tensor per channel. */
        STATS,
        /** No pooling and no head: an equivariant NFN whose output is a weight space. */
        NONE;

        /** By name, any case; an unknown name is an error listing the choices. */
        public static Pool parse(String name) {
            for (Pool p : values()) if (p.name().equalsIgnoreCase(name.trim())) return p;
            throw new IllegalArgumentException("unknown pool '" + name + "' (expected hnp, np, stats or none)");
        }
    }

    private InvariantNfn() {}

    /**
     * The network with an MLP head of two hidden layers of {@code headSize}.
     * @param hidden   channels of each NF-Layer (paper: 16, 16, 5); the input has {@code inChannels}
     * @param headSize hidden width of the two-layer MLP head (paper: 1000)
     * @param hnpPool  HNPPool (paper) or NPPool
     */
    public static Sequential build(Params params, NetworkSpec spec, Mode mode, boolean ioEmbed, int inChannels, int[] hidden,
                                   Act act, boolean hnpPool, int headSize, Init.Type init) {
        return build(params, spec, mode, ioEmbed, inChannels, hidden, act, hnpPool, new int[]{headSize, headSize}, init);
    }

    /** As above with any MLP head: {@code head} lists the hidden widths (paper: 1000, 1000); a Linear to 1 and a sigmoid follow. */
    public static Sequential build(Params params, NetworkSpec spec, Mode mode, boolean ioEmbed, int inChannels, int[] hidden,
                                   Act act, boolean hnpPool, int[] head, Init.Type init) {
        return build(params, spec, mode, ioEmbed, inChannels, hidden, act, hnpPool, head, init, 0, 1, 0);
    }

    /**
     * As above, optionally starting with nfn's Gaussian Fourier input encoding ({@code fourier}
     * frequencies, 0 for none, drawn with standard deviation {@code fourierScale}; it takes index 0,
     * as nfn's inp_enc does) and with nfn's channel dropout after each activation ({@code dropout}
     * probability, 0 for none; it takes an index too, as in nfn's Sequential).
     */
    public static Sequential build(Params params, NetworkSpec spec, Mode mode, boolean ioEmbed, int inChannels, int[] hidden,
                                   Act act, boolean hnpPool, int[] head, Init.Type init, int fourier, double fourierScale, double dropout) {
        return build(params, spec, mode, ioEmbed, inChannels, hidden, act, hnpPool ? Pool.HNP : Pool.NP, head, init, fourier, fourierScale, dropout);
    }

    /** As above with any {@link Pool}. */
    public static Sequential build(Params params, NetworkSpec spec, Mode mode, boolean ioEmbed, int inChannels, int[] hidden,
                                   Act act, Pool pool, int[] head, Init.Type init, int fourier, double fourierScale, double dropout) {
        return build(params, spec, mode, ioEmbed, inChannels, hidden, act, pool, head, init, fourier, fourierScale, dropout, false);
    }

    /**
     * As above; with {@code appendStats} (nfn's append_stats, not with {@link Pool#NONE}) the head
     * reads StatNN's statistics of the input beside the pooled features ({@link WithInputStats}:
     * the NF-Layers through the flatten become its first module; parameter names do not change).
     */
    public static Sequential build(Params params, NetworkSpec spec, Mode mode, boolean ioEmbed, int inChannels, int[] hidden,
                                   Act act, Pool pool, int[] head, Init.Type init, int fourier, double fourierScale, double dropout,
                                   boolean appendStats) {
        if (appendStats && pool == Pool.NONE) throw new IllegalArgumentException("input statistics feed a head: pool NONE has none");
        if (hidden.length == 0) throw new IllegalArgumentException("an NFN needs at least one NF-Layer");
        Ops ops = params.ops();
        List<Layer> mods = new ArrayList<>();
        int c = inChannels;
        if (fourier > 0) {
            FourierFeatures enc = new FourierFeatures(ops, spec, c, fourier, fourierScale, 0x5eed);
            mods.add(enc);
            c = enc.outChannels();
        }
        Layer chainFrom = null; // the NF-Layer before, when only a fused activation lies between: it pools this one's input
        for (int l = 0; l < hidden.length; l++) {
            int h = hidden[l];
            String p = mods.size() + ".";
            Layer nf = switch (mode) {
                case HNP -> new HNPLinear(params, p, spec, c, h, init);
                case NP -> new NPLinear(params, p, spec, c, h, ioEmbed, init);
                case POINTWISE -> new Pointwise(params, p, spec, c, h);
            };
            mods.add(nf);
            if (chainFrom != null) GraphLayer.providePools(chainFrom, nf);
            c = h;
            if (pool == Pool.NONE && l == hidden.length - 1) break; // the equivariant NFN's output: no activation
            Activation after = Activation.after(nf, ops, act);
            mods.add(after);
            chainFrom = after.passesThrough() ? nf : null;
            if (dropout > 0) {
                mods.add(new ChannelDropout(ops, dropout, mods.size()));
                chainFrom = null; // dropout rescales channels between the layers
            }
        }
        if (pool == Pool.NONE) return new Sequential(mods);
        int width = switch (pool) {
            case HNP, NP -> {
                WeightPool p = pool == Pool.HNP ? WeightPool.hnp(ops, spec) : WeightPool.np(ops, spec);
                mods.add(p);
                yield p.width();
            }
            case STATS -> {
                mods.add(new StatFeaturizer(ops));
                yield StatFeaturizer.width(spec);
            }
            case NONE -> throw new AssertionError("returned above");
        };
        mods.add(new Flatten());
        int features = width * c, firstHeadIndex = mods.size();
        if (appendStats) {
            Layer nfn = new Sequential(mods);
            mods = new ArrayList<>(List.of(new WithInputStats(ops, nfn)));
            features += StatFeaturizer.width(spec) * inChannels;
        }
        addHead(params, mods, firstHeadIndex, features, head);
        return new Sequential(mods);
    }

    /** The StatNN baseline (Unterthiner et al.): StatFeaturizer, flatten, the same MLP head. */
    public static Sequential statNn(Params params, NetworkSpec spec, int inChannels, int[] head) {
        List<Layer> mods = new ArrayList<>();
        mods.add(new StatFeaturizer(params.ops()));
        mods.add(new Flatten());
        addHead(params, mods, mods.size(), StatFeaturizer.width(spec) * inChannels, head);
        return new Sequential(mods);
    }

    /**
     * Appends Linear/ReLU pairs of the given widths, then Linear(-> 1) and a sigmoid, named by
     * their index counted from {@code firstIndex} (the flat nn.Sequential's numbering).
     */
    private static void addHead(Params params, List<Layer> mods, int firstIndex, int width, int[] head) {
        int in = width, index = firstIndex;
        for (int h : head) {
            Linear linear = new Linear(params, index + ".", in, h);
            mods.add(linear);
            mods.add(Activation.after(linear, params.ops(), Act.RELU));
            index += 2;
            in = h;
        }
        mods.add(new Linear(params, index + ".", in, 1));
        mods.add(new Activation(params.ops(), Act.SIGMOID));
    }
}
