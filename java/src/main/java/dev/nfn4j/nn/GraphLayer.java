package dev.nfn4j.nn;

import dev.nfn4j.ops.Ptr;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WeightSpace;
import dev.nfn4j.space.WsLayout;

import java.util.HashMap;
import java.util.Map;

/**
 * An equivariant layer (weight space in, weight space out) whose math is a {@link MixGraph}.
 * Subclasses declare their parameters and wire the graph for a batch size; this class checks
 * inputs, caches one graph per batch size and runs forward and backward.
 */
abstract class GraphLayer implements Layer {
    protected final Params params;
    protected final Ops ops;
    protected final NetworkSpec spec;
    protected final int cin, cout;
    private final Map<Integer, MixGraph> graphs = new HashMap<>();
    protected final Workspace ws;
    private MixGraph.Run lastRun;
    private MixGraph lastGraph;

    GraphLayer(Params params, NetworkSpec spec, int cin, int cout) {
        if (cin < 1 || cout < 1) throw new IllegalArgumentException(getClass().getSimpleName() + ": channels must be >= 1, got " + cin + " -> " + cout);
        this.params = params;
        this.ops = params.ops();
        this.spec = spec;
        this.cin = cin;
        this.cout = cout;
        this.ws = new Workspace(ops);
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
        WeightSpace x = prepareInput(checkInput(in));
        WsLayout outLayout = x.layout().withChannels(cout);
        MixGraph g = graphs.computeIfAbsent(x.batch(), b -> {
            MixGraph ng = new MixGraph(x.layout(), outLayout);
            wire(ng);
            return ng;
        });
        Ptr out = ws.get("out", outLayout.size());
        lastRun = g.forward(ops, ws, x.data(), out);
        lastGraph = g;
        return new WeightSpace(outLayout, out);
    }

    @Override
    public Value backward(Value gradOut) {
        if (lastRun == null) throw new IllegalStateException(this + ": backward without a forward");
        if (!(gradOut instanceof WeightSpace d) || !d.layout().equals(lastGraph.out))
            throw new IllegalArgumentException(this + ": gradient must be a weight space of layout " + lastGraph.out + ", got " + gradOut);
        Ptr dx = lastGraph.backward(lastRun, ws, d.data());
        return finishGradInput(new WeightSpace(lastGraph.in, dx));
    }

    /** The filter sizes f_i of the spec. */
    protected int f(int i) {
        return spec.filterSize(i);
    }
}
