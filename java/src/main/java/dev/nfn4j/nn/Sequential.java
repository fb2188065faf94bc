package dev.nfn4j.nn;

import java.util.ArrayList;
import java.util.List;

/** Modules applied in order; backward runs them in reverse. */
public final class Sequential implements Layer {
    private final List<Layer> modules;

    public Sequential(List<Layer> modules) {
        this.modules = List.copyOf(modules);
    }

    public List<Layer> modules() {
        return modules;
    }

    @Override
    public Value forward(Value in) {
        Value v = in;
        for (Layer m : modules) v = m.forward(v);
        return v;
    }

    @Override
    public Value backward(Value gradOut) {
        Value g = gradOut;
        for (int i = modules.size() - 1; i >= 0; i--) g = modules.get(i).backward(g);
        return g;
    }

    @Override
    public String toString() {
        List<String> names = new ArrayList<>();
        for (Layer m : modules) names.add(m.toString());
        return String.join("-", names);
    }
}
