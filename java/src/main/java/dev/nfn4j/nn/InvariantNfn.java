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
 */
public final class InvariantNfn {
    public enum Mode { HNP, NP, POINTWISE }

    private InvariantNfn() {}

    /**
     * @param hidden   channels of each NF-Layer (paper: 16, 16, 5); the input has {@code inChannels}
     * @param headSize hidden width of the two-layer MLP head (paper: 1000)
     * @param hnpPool  HNPPool (paper) or NPPool
     */
    public static Sequential build(Params params, NetworkSpec spec, Mode mode, boolean ioEmbed, int inChannels, int[] hidden,
                                   Act act, boolean hnpPool, int headSize, Init.Type init) {
        if (hidden.length == 0) throw new IllegalArgumentException("an invariant NFN needs at least one NF-Layer");
        Ops ops = params.ops();
        List<Layer> mods = new ArrayList<>();
        int c = inChannels;
        for (int h : hidden) {
            String p = mods.size() + ".";
            mods.add(switch (mode) {
                case HNP -> new HNPLinear(params, p, spec, c, h, init);
                case NP -> new NPLinear(params, p, spec, c, h, ioEmbed, init);
                case POINTWISE -> new Pointwise(params, p, spec, c, h);
            });
            mods.add(new Activation(ops, act));
            c = h;
        }
        WeightPool pool = hnpPool ? WeightPool.hnp(ops, spec) : WeightPool.np(ops, spec);
        mods.add(pool);
        mods.add(new Flatten());
        int width = pool.width() * c;
        mods.add(new Linear(params, mods.size() + ".", width, headSize));
        mods.add(new Activation(ops, Act.RELU));
        mods.add(new Linear(params, mods.size() + ".", headSize, headSize));
        mods.add(new Activation(ops, Act.RELU));
        mods.add(new Linear(params, mods.size() + ".", headSize, 1));
        mods.add(new Activation(ops, Act.SIGMOID));
        return new Sequential(mods);
    }
}
