package dev.nfn4j.train;

import dev.nfn4j.nn.Activation;
import dev.nfn4j.nn.Linear;
import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.nn.Params;
import dev.nfn4j.nn.Sequential;
import dev.nfn4j.ops.Act;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;
import java.util.List;
import java.util.Map;

/**
 * The model of a mask predictor: the equivariant NFN ({@code nfn}: pool NONE, one output
 * channel; reads and writes a weight space), or the non-equivariant baseline ({@code nfn} null):
 * an MLP on the flattened initialisation, {@code [B, P] -> Linear(P, mlpHidden) -> ReLU ->
 * Linear(mlpHidden, P) -> [B, P]}, one logit per parameter in the canonical one-network layout.
 */
public record TicketModel(ModelConfig nfn, int mlpHidden) {
    /** Metadata key of the baseline's hidden width; a checkpoint without it holds an NFN. */
    static final String MLP_HIDDEN = "mlp_hidden";

    /** Checks the NFN (equivariant, one output channel) or the baseline's hidden width. */
    public TicketModel {
        if (nfn != null && (!nfn.equivariant() || nfn.outChannels() != 1))
            throw new IllegalArgumentException("the mask predictor is an equivariant NFN with one output channel (pool none, the last --hidden 1), got " + nfn);
        if (nfn == null && mlpHidden < 1) throw new IllegalArgumentException("the MLP baseline needs a hidden width >= 1, got " + mlpHidden);
    }

    /** The equivariant NFN of {@code nfn}. */
    public static TicketModel nfn(ModelConfig nfn) {
        return new TicketModel(nfn, 0);
    }

    /** The MLP baseline with {@code hidden} hidden units. */
    public static TicketModel mlp(int hidden) {
        return new TicketModel(null, hidden);
    }

    /** True for the baseline: it reads and writes {@code [B, P]} tensors rather than weight spaces. */
    public boolean flat() {
        return nfn == null;
    }

    /** NP, HNP or MLP: the name of the mask source in the evaluation. */
    public String kind() {
        return flat() ? "MLP" : nfn.kind();
    }

    /** Declares the parameters in {@code params} (nn.Sequential names) and builds the model. */
    public Sequential build(Params params, NetworkSpec spec) {
        if (!flat()) return nfn.build(params, spec, 1);
        int p = (int) new WsLayout(spec, 1, 1).size();
        Linear in = new Linear(params, "0.", p, mlpHidden);
        return new Sequential(List.of(in, Activation.after(in, params.ops(), Act.RELU), new Linear(params, "2.", mlpHidden, p)));
    }

    /** The checkpoint metadata that describes this model. */
    Map<String, String> metadata(NetworkSpec spec) {
        if (!flat()) return Predictor.checkpointMetadata(nfn, spec, "ticket_mask", null);
        Map<String, String> md = Predictor.checkpointMetadata(ModelConfig.paper("STATNN"), spec, "ticket_mask", null);
        md.remove("model"); // no ModelConfig describes the baseline
        md.put(MLP_HIDDEN, Integer.toString(mlpHidden));
        return md;
    }

    /** The model a checkpoint's metadata describes. */
    static TicketModel fromMetadata(Map<String, String> md) {
        String h = md.get(MLP_HIDDEN);
        return h != null ? mlp(Integer.parseInt(h)) : nfn(ModelConfig.fromJson(md.get("model")));
    }

    @Override
    public String toString() {
        return flat() ? "MLP baseline (flattened initialisation -> Linear " + mlpHidden + " -> ReLU -> Linear -> one logit per parameter)" : nfn.toString();
    }
}
