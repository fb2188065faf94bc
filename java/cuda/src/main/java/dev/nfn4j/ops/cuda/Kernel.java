package dev.nfn4j.ops.cuda;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Every kernel the cuda backend launches, with its C parameter list: the one table the launch
 * builder ({@link Launch}) checks each argument against, that CudaKernelSignatureTest compares
 * with the {@code extern "C" __global__} signatures parsed from {@code kernels/*.cu}, and that the
 * backend checks against the fatbin's manifest ({@code kernels.txt}) when it loads. Parameters
 * are written as in the sources with {@code const} and {@code __restrict__} dropped.
 */
enum Kernel {
    PLANE_REDUCE("plane_reduce", Signatures.REDUCE),
    /** plane_reduce of dy * relu'(gate): the dOut pooling of a mix backward through a fused ReLU. */
    PLANE_REDUCE_RELU_GATED("plane_reduce_relu_gated", Signatures.REDUCE + ", float* gate"),
    PLANE_BROADCAST("plane_broadcast",
            "float* row, float sRow, float* col, float sCol, float* all, float sAll, float* dx, long long planes, int rows, int cols"),
    CHANNEL_MIX("channel_mix", Signatures.MIX),
    /** The same mix on the tensor cores in TF32 (opt-in, wide channel counts only: {@link KernelPlans#tf32Applies}). */
    CHANNEL_MIX_TF32("channel_mix_tf32", Signatures.MIX),
    /** The mixes with x multiplied by relu'(gate) as it loads: dx of a mix backward through a fused ReLU. */
    CHANNEL_MIX_RELU_GATED("channel_mix_relu_gated", Signatures.MIX + ", float* gate"),
    CHANNEL_MIX_TF32_RELU_GATED("channel_mix_tf32_relu_gated", Signatures.MIX + ", float* gate"),
    /** The forward mix writing per-tile partial sums of its output's plane means ({@link KernelPlans#pooledMixApplies}). */
    CHANNEL_MIX_POOLED("channel_mix_pooled", "float* x, float* a, float* bias, float* row, float* col, float* glob, float* y, "
            + "int batch, int cin, int cout, int rows, int cols, int act, float* partRow, float* partCol"),
    /** The pools from channel_mix_pooled's or mix_weight_grad_pooled's partial sums, in tile order. */
    PLANE_POOLS_FINISH("plane_pools_finish", "float* partRow, float* partCol, float* rowOut, float* colOut, float* allOut, "
            + "int batch, int cout, int rows, int cols, int rowTiles, double sr, double sc, double sa"),
    MIX_WEIGHT_GRAD_PARTIAL("mix_weight_grad_partial", Signatures.WEIGHT_GRAD),
    /** The weight gradient of dy * relu'(gate). */
    MIX_WEIGHT_GRAD_PARTIAL_RELU_GATED("mix_weight_grad_partial_relu_gated", Signatures.WEIGHT_GRAD + ", float* gate"),
    /** The weight gradient's partial sums and the dOut pools' in one pass over dy ({@link KernelPlans#pooledWeightGradApplies}). */
    MIX_WEIGHT_GRAD_POOLED("mix_weight_grad_pooled", Signatures.WEIGHT_GRAD_POOLED),
    MIX_WEIGHT_GRAD_POOLED_RELU_GATED("mix_weight_grad_pooled_relu_gated", Signatures.WEIGHT_GRAD_POOLED + ", float* gate"),
    MIX_WEIGHT_GRAD_FINAL("mix_weight_grad_final",
            "float* partDa, float* partDb, float* da, float* dbias, int cin, int cout, int chunks"),
    COPY4D("copy4d",
            "float* src, float* dst, long long outer, int o0, int o1, int o2, int o3, "
                    + "long long os0, long long os1, long long os2, long long os3, long long od0, long long od1, long long od2, long long od3, "
                    + "int z0, int z1, int z2, int z3, long long zs0, long long zs1, long long zs2, long long zs3, int accumulate"),
    PLANE_SCALE("plane_scale", "float* x, float* scale, float* y, long long planes, int n"),
    ACTIVATION("activation", "float* x, float* y, long long n, int act"),
    ACTIVATION_BACKWARD("activation_backward", "float* x, float* dy, float* dx, long long n, int act"),
    LOSS_GRADIENT("loss_gradient", "float* pred, float* target, float* grad, int n, int loss"),
    PLANE_STATS("plane_stats", "float* x, float* out, long long planes, int n"),
    PLANE_STATS_BACKWARD("plane_stats_backward", "float* x, float* dOut, float* dx, long long planes, int n"),
    LAYER_NORM("layer_norm", "float* x, float* gamma, float* beta, float* y, long long count, int a, int groups, int inner, int kind, double eps"),
    /** dx of a layer norm, and each group's (mean, r) for the parameter gradient. */
    LAYER_NORM_BACKWARD("layer_norm_backward", "float* x, float* gamma, float* dy, float* dx, double* stats, long long count, int a, int groups, "
            + "int inner, int kind, double eps"),
    LAYER_NORM_PARAM_GRAD("layer_norm_param_grad", "float* x, float* dy, double* stats, float* dgamma, float* dbeta, long long count, int a, "
            + "int groups, int inner"),
    ATTENTION("attention", "float* qkv, float* probs, float* out, long long groups, int tokens, int dim, float scale"),
    ATTENTION_BACKWARD("attention_backward", "float* qkv, float* probs, float* dOut, float* dqkv, double* dScores, long long groups, int tokens, "
            + "int dim, float scale"),
    SIREN_FORWARD("siren_forward", "float* w, float* coords, float* out, int batch, int points, int in, int hidden, int outs, float omega0, float omega"),
    /** The SIRENs' weight gradients from dOut or from their mean squared error against target (then loss too). */
    SIREN_BACKWARD("siren_backward", "float* w, float* coords, float* dOut, float* target, float* dw, float* loss, int batch, int points, int in, "
            + "int hidden, int outs, float omega0, float omega"),
    ADAM_HYPER_SET("adam_hyper_set", "double* hyper, double stepSize, double bc2Sqrt, double decay, double l2"),
    ADAM_HYPER_FROM_COUNTER("adam_hyper_from_counter",
            "float* counter, double* hyper, double lr, double beta1, double beta2, double weightDecay, int decoupled, int warmup"),
    ADAM_STEP("adam_step", "float* param, float* grad, float* m, float* v, double* hyper, long long n, double beta1, double beta2, double eps");

    /** Parameter lists shared by several kernels (an enum constant cannot read a static field of its own enum). */
    private static final class Signatures {
        static final String MIX = "float* x, float* a, float* bias, float* row, float* col, float* glob, float* y, int batch, int cin, int cout, "
                + "int rows, int cols, int aRowStride, int aColStride, int accumulate, int act";
        static final String REDUCE = "float* x, float* rowOut, float* colOut, float* allOut, long long planes, int rows, int cols, "
                + "double sr, double sc, double sa";
        static final String WEIGHT_GRAD = "float* x, float* dy, float* partDa, float* partDb, int batch, int cin, int cout, int rows, int cols, "
                + "long long chunk";
        static final String WEIGHT_GRAD_POOLED = "float* x, float* dy, float* partDa, float* partDb, float* partRow, float* partCol, "
                + "int batch, int cin, int cout, int rows, int cols, int tileRows";
    }

    /** C parameter types, as written in the kernel sources. */
    enum Type {
        FLOAT_PTR("float*"), DOUBLE_PTR("double*"), INT("int"), LONG("long long"), FLOAT("float"), DOUBLE("double");

        final String c;

        Type(String c) {
            this.c = c;
        }

        boolean isPointer() {
            return this == FLOAT_PTR || this == DOUBLE_PTR;
        }

        static Type parse(String c) {
            for (Type t : values()) if (t.c.equals(c)) return t;
            throw new IllegalArgumentException("unsupported kernel parameter type '" + c + "'");
        }
    }

    record Param(Type type, String name) {
        @Override
        public String toString() {
            return type.c + " " + name;
        }
    }

    /** The symbol in the fatbin ({@code extern "C"}, so unmangled). */
    final String symbol;
    final List<Param> params;

    Kernel(String symbol, String params) {
        this.symbol = symbol;
        this.params = parseParams(params);
    }

    /** "float* x, int n" to its parameters (also used by the test on the C sources, after normalization). */
    static List<Param> parseParams(String list) {
        List<Param> out = new ArrayList<>();
        for (String p : list.split(",")) {
            String s = p.trim().replaceAll("\\s*\\*\\s*", "* ").replaceAll("\\s+", " ");
            int sp = s.lastIndexOf(' ');
            if (sp < 0) throw new IllegalArgumentException("parameter '" + p.trim() + "' has no name");
            out.add(new Param(Type.parse(s.substring(0, sp)), s.substring(sp + 1)));
        }
        return Collections.unmodifiableList(out);
    }

    /** The signature as C, for messages: {@code channel_mix(float* x, ...)}. */
    String signature() {
        return symbol + "(" + String.join(", ", params.stream().map(Param::toString).toList()) + ")";
    }

    static Kernel bySymbol(String symbol) {
        for (Kernel k : values()) if (k.symbol.equals(symbol)) return k;
        return null;
    }
}
