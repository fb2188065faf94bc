package dev.nfn4j.io;

import dev.nfn4j.space.HostWeights;
import dev.nfn4j.space.NetworkSpec;
import dev.nfn4j.space.WsLayout;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A PyTorch {@code state_dict()} of an {@code nn.Sequential} MLP or CNN, saved as safetensors, as
 * one network of a weight space. As nfn's {@code state_dict_to_tensors}, the tensors are taken as
 * weight, bias, weight, bias, ... in module order; the order is recovered from the names
 * ({@code 0.weight < 0.bias < 2.weight < 10.weight}, numbers compared as numbers), since a
 * safetensors file does not keep the dict's order. Anything else is refused with what was
 * expected and what was found.
 */
public final class StateDicts {
    private StateDicts() {}

    /** The network as a batch of one (B = 1, C = 1), checking the spec when {@code expected} is not null. */
    public static HostWeights read(TensorSource f, NetworkSpec expected) throws NfnFormatException {
        List<String> names = new ArrayList<>(f.names());
        if (names.isEmpty()) throw new NfnFormatException(f.path(), "no tensors: expected a state_dict of weight and bias tensors");
        names.sort(NATURAL);
        if (names.size() % 2 != 0)
            throw new NfnFormatException(f.path(), names.get(names.size() - 1), "odd number of tensors (" + names.size()
                    + "): expected weight, bias pairs, every layer with a bias");
        List<int[]> wShapes = new ArrayList<>(), bShapes = new ArrayList<>();
        List<float[]> ws = new ArrayList<>(), bs = new ArrayList<>();
        for (int i = 0; i < names.size(); i += 2) {
            String w = names.get(i), b = names.get(i + 1);
            String module = w.endsWith(".weight") ? w.substring(0, w.length() - ".weight".length()) : null;
            if (module == null || !b.equals(module + ".bias"))
                throw new NfnFormatException(f.path(), w, "expected '<module>.weight' followed by its '<module>.bias', found '" + w + "' then '" + b + "'");
            HostTensor wt = f.get(w), bt = f.get(b);
            for (HostTensor t : new HostTensor[]{wt, bt})
                if (t.dtype() == DType.I32 || t.dtype() == DType.I64)
                    throw new NfnFormatException(f.path(), t == wt ? w : b, "dtype " + t.dtype() + ": expected a floating-point tensor (F32, F64, F16, BF16)");
            wShapes.add(wt.shape());
            bShapes.add(bt.shape());
            ws.add(wt.toFloats());
            bs.add(bt.toFloats());
        }
        NetworkSpec spec;
        try {
            spec = NetworkSpec.fromShapes(wShapes, bShapes);
        } catch (IllegalArgumentException e) {
            throw new NfnFormatException(f.path(), "state_dict: " + e.getMessage());
        }
        if (expected != null && !spec.equals(expected))
            throw new NfnFormatException(f.path(), "the network is " + spec + " but the model expects " + expected);
        try {
            return HostWeights.fromTorch(new WsLayout(spec, 1, 1), ws, bs, false);
        } catch (IllegalArgumentException e) {
            throw new NfnFormatException(f.path(), e.getMessage());
        }
    }

    /** Dotted names in module order: numeric parts compare as numbers, and weight before bias. */
    public static final Comparator<String> NATURAL = (a, b) -> {
        String[] x = a.split("\\."), y = b.split("\\.");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = part(x[i], y[i]);
            if (c != 0) return c;
        }
        return Integer.compare(x.length, y.length);
    };

    private static int part(String a, String b) {
        boolean na = !a.isEmpty() && a.chars().allMatch(Character::isDigit), nb = !b.isEmpty() && b.chars().allMatch(Character::isDigit);
        if (na && nb) return new java.math.BigInteger(a).compareTo(new java.math.BigInteger(b));
        if (a.equals(b)) return 0;
        if (a.equals("weight") && b.equals("bias")) return -1;
        if (a.equals("bias") && b.equals("weight")) return 1;
        return a.compareTo(b);
    }
}
