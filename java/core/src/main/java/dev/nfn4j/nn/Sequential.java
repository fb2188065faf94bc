package dev.nfn4j.nn;

import dev.nfn4j.space.Value;

import java.util.ArrayList;
import java.util.List;

/** Modules applied in order; backward runs them in reverse. */
public final class Sequential implements Layer {
    private final List<Layer> modules;

    /** Applies {@code modules} in order. */
    public Sequential(List<Layer> modules) {
        this.modules = List.copyOf(modules);
    }

    /** The modules, in order. */
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
    public void setTraining(boolean training, long step) {
        for (Layer m : modules) m.setTraining(training, step);
    }

    /** Runs only the first {@code count} layers (e.g. up to the pooled, flattened invariant features). */
    public Value forward(Value in, int count) {
        if (count < 0 || count > modules.size()) throw new IllegalArgumentException("count " + count + " outside 0.." + modules.size());
        Value v = in;
        for (int i = 0; i < count; i++) v = modules.get(i).forward(v);
        return v;
    }

    /** Index of the first layer of the given class, or -1. */
    public int indexOf(Class<? extends Layer> type) {
        for (int i = 0; i < modules.size(); i++) if (type.isInstance(modules.get(i))) return i;
        return -1;
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
