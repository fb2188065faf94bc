package dev.nfn4j.nn;

import dev.nfn4j.ops.Act;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.Value;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;
import dev.nfn4j.space.WsPools;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An equivariant layer (weight space in, weight space out) whose math is a {@link MixGraph}.
 * Subclasses declare their parameters and wire the graph for a batch size; this class checks
 * inputs, caches one graph per batch size and runs forward and backward.
 */
abstract class GraphLayer implements FusesActivation {
    /** The parameters this layer declares its own in. */
    protected final Params params;
    /** The backend the layer runs on. */
    protected final Ops ops;
    /** The network whose weight spaces the layer takes and returns. */
    protected final NetworkSpec spec;
    /** Input and output channel counts. */
    protected final int cin, cout;
    private final Map<Integer, MixGraph> graphs = new HashMap<>();
    /** Reusable buffers of the layer's outputs and scratch. */
    protected final Workspace ws;
    private MixGraph.Run lastRun;
    private MixGraph lastGraph;
    /** The activation applied to the output as the mixes write it (IDENTITY: none). */
    private Act post = Act.IDENTITY;
    /** The next layer takes its input pools from this layer's output ({@link #providePools}): the mixes take them as they write it. */
    private boolean providesPools;

    GraphLayer(Params params, NetworkSpec spec, int cin, int cout) {
        if (cin < 1 || cout < 1) throw new IllegalArgumentException(getClass().getSimpleName() + ": channels must be >= 1, got " + cin + " -> " + cout);
        this.params = params;
        this.ops = params.ops();
        this.spec = spec;
        this.cin = cin;
        this.cout = cout;
        this.ws = new Workspace(ops);
    }

    @Override
    public void fuseActivation(Act act) {
        FusesActivation.checkFusable(this, act, lastRun != null);
        post = act;
    }

    /**
     * From now on {@code producer}'s mixes take the plane means of the output they write, which
     * then rides on the weight space it returns ({@link WeightSpace#pools}), so that
     * {@code consumer} takes its input pools (stage 1) from there instead of reading that output a
     * second time. For a consumer that pools its raw input; one that pools nothing of it
     * (Pointwise; NPLinear with io_embed, which pools its embedded copy) leaves the producer as it
     * is. A layer uses the pools of any input that carries them: a layer in between that changes
     * the values (dropout, an activation not fused) hands on a new weight space, without them.
     * Call before the producer's first forward.
     */
    static void providePools(Layer producer, Layer consumer) {
        if (!(producer instanceof GraphLayer p) || !(consumer instanceof GraphLayer c) || !c.poolsRawInput()) return;
        if (p.lastRun != null) throw new IllegalStateException(p + " provides pools to " + c + ": set before its first forward");
        p.providesPools = true;
    }

    /** Whether stage 1 pools the input as given to {@link #forward} (not a prepared copy of it). */
    boolean poolsRawInput() {
        return false;
    }

    /** Wires the graph of this layer for the given input and output layouts. */
    abstract void wire(MixGraph g);

    /** The input the graph sees (NPLinear with io_embed adds its embeddings here). */
    WeightSpace prepareInput(WeightSpace x) {
        return x;
    }

    /** Turns the gradient with respect to the prepared input into the gradient of the true input. */
    WeightSpace finishGradInput(WeightSpace dPrepared) {
        return dPrepared;
    }

    /** The input as a weight space of this layer's network and input channels, or an error naming the mismatch. */
    protected WeightSpace checkInput(Value in) {
        if (!(in instanceof WeightSpace x))
            throw new IllegalArgumentException(this + " takes a weight space, got " + in);
        if (!x.spec().equals(spec))
            throw new IllegalArgumentException(this + " was built for " + spec + " but got a weight space of " + x.spec());
        if (x.channels() != cin)
            throw new IllegalArgumentException(this + " expects " + cin + " input channels, got " + x.channels());
        return x;
    }

    @Override
    public Value forward(Value in) {
        WeightSpace raw = checkInput(in), x = prepareInput(raw);
        WsPools given = x == raw && poolsRawInput() ? raw.pools() : null;
        WsLayout outLayout = x.layout().withChannels(cout);
        MixGraph g = graphs.computeIfAbsent(x.batch(), b -> {
            MixGraph ng = new MixGraph(x.layout(), outLayout);
            wire(ng);
            return ng;
        });
        Ptr out = ws.get("out", outLayout.size());
        lastRun = g.forward(ops, ws, x.data(), out, post, given, providesPools);
        lastGraph = g;
        return new WeightSpace(outLayout, out, lastRun.outPools);
    }

    @Override
    public Value backward(Value gradOut) {
        if (lastRun == null) throw new IllegalStateException(this + ": backward without a forward");
        if (!(gradOut instanceof WeightSpace d) || !d.layout().equals(lastGraph.out))
            throw new IllegalArgumentException(this + ": gradient must be a weight space of layout " + lastGraph.out + ", got " + gradOut);
        Ptr dx = lastGraph.backward(lastRun, ws, d.data(), post);
        return finishGradInput(new WeightSpace(lastGraph.in, dx));
    }

    /** The filter sizes f_i of the spec. */
    protected int f(int i) {
        return spec.filterSize(i);
    }

    // ---- shared by NPLinear and HNPLinear -------------------------------------------------------

    /** Declares {@code prefix + name + .weight / .bias} (the bias has shape[0] entries). */
    protected void declare(String prefix, String name, int[] shape, Init weight, Init bias) {
        params.declare(prefix + name + ".weight", shape, weight);
        params.declare(prefix + name + ".bias", new int[]{shape[0]}, bias);
    }

    /** Pools of every layer's input, and the global vector g starting with (rc means, bias means). */
    protected static List<MixGraph.Pooled> poolAll(MixGraph g, int layers) {
        List<MixGraph.Pooled> pooled = new ArrayList<>();
        for (int i = 0; i < layers; i++) pooled.add(g.pool(i));
        return pooled;
    }

    /** The global-pool sources of the given pools: every row-and-column mean, then every bias mean. */
    protected static List<MixGraph.Src> globalSources(List<MixGraph.Pooled> pooled) {
        List<MixGraph.Src> gSrc = new ArrayList<>();
        for (MixGraph.Pooled p : pooled) gSrc.add(p.rcMean());
        for (MixGraph.Pooled p : pooled) gSrc.add(p.bMean());
        return gSrc;
    }

    /**
     * Layer i in the NP form (DESIGN.md section 4): W'_i = layer_i(W_i) + layer_i_r(row) +
     * layer_i_c(col) + layer_i_rc(g) and b'_i = bias_i(col) + bias_i_rc(g), with the row and
     * column inputs gathered from the given sources.
     */
    protected void wireNpLayer(MixGraph g, String prefix, int i, List<MixGraph.Src> row, List<MixGraph.Src> col, MixGraph.Concat gvec) {
        MixGraph.Concat rowIn = g.concat(spec.cols(i), row), colIn = g.concat(spec.rows(i), col);
        int fco = f(i) * cout;
        String l = prefix + "layer_" + i, bn = prefix + "bias_" + i;
        MixGraph.Mix rc = g.mix(params.get(l + "_rc.weight"), params.get(l + "_rc.bias"), gvec, fco);
        MixGraph.Mix r = g.mix(params.get(l + "_r.weight"), params.get(l + "_r.bias"), rowIn, fco);
        MixGraph.Mix c = g.mix(params.get(l + "_c.weight"), params.get(l + "_c.bias"), colIn, fco);
        g.mixWeight(params.get(l + ".weight"), params.get(l + ".bias"), i, r, c, rc);
        MixGraph.Mix brc = g.mix(params.get(bn + "_rc.weight"), params.get(bn + "_rc.bias"), gvec, cout);
        g.mixBias(params.get(bn + ".weight"), params.get(bn + ".bias"), i, colIn, brc);
    }
}
