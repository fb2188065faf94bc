package dev.nfn4j.nn;

import java.util.ArrayList;
import java.util.List;

/** Modules applied in order; backward runs them in reverse. */
public final class Sequential implements Module {
    private final List<Module> modules;

    public Sequential(List<Module> modules) {
        this.modules = List.copyOf(modules);
    }

    public List<Module> modules() {
        return modules;
    }

    @Override
    public Value forward(Value in) {
        Value v = in;
        for (Module m : modules) v = m.forward(v);
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
        for (Module m : modules) names.add(m.toString());
        return String.join("-", names);
    }
}
