package dev.nfn4j.nn;

import dev.nfn4j.ops.Buf;
import dev.nfn4j.ops.Ops;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * All parameters of a model in one backend buffer (and their gradients in a second one, same
 * offsets), as llm.c does: one host-device copy and one optimizer pass. Modules declare their
 * parameters while they are built; {@link #allocate} then makes the buffers.
 */
public final class Params {
    private final Ops ops;
    private final Map<String, Param> byName = new LinkedHashMap<>();
    private long total;
    private Buf values, grads;

    /** An empty parameter set on the given backend. */
    public Params(Ops ops) {
        this.ops = ops;
    }

    /** The backend holding the buffers. */
    public Ops ops() {
        return ops;
    }

    /** Declares a parameter; names must be unique. */
    public Param declare(String name, int[] shape, Init init) {
        if (values != null) throw new IllegalStateException("parameter " + name + " declared after allocate()");
        if (byName.containsKey(name)) throw new IllegalArgumentException("parameter " + name + " declared twice");
        Param p = new Param(this, name, shape, total, init);
        byName.put(name, p);
        total += p.numel();
        return p;
    }

    /** Makes the value and gradient buffers and draws every parameter from its {@link Init}, seeded. */
    public Params allocate(long seed) {
        if (values != null) throw new IllegalStateException("parameters already allocated");
        values = ops.alloc(Math.max(total, 1));
        grads = ops.alloc(Math.max(total, 1));
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Param p : byName.values()) {
            float[] v = new float[Math.toIntExact(p.numel())];
            for (int i = 0; i < v.length; i++)
                v[i] = switch (p.init.kind()) {
                    case UNIFORM -> (float) ((rnd.nextDouble() * 2 - 1) * p.init.scale());
                    case NORMAL -> (float) (Init.gaussian(rnd) * p.init.scale());
                    case ZERO -> 0f;
                    case CONSTANT -> (float) p.init.scale();
                };
            ops.upload(v, 0, p.value(), v.length);
        }
        return this;
    }


    Buf values() {
        if (values == null) throw new IllegalStateException("parameters used before allocate()");
        return values;
    }

    Buf grads() {
        if (grads == null) throw new IllegalStateException("parameters used before allocate()");
        return grads;
    }

    /** The buffer of every parameter's values (after allocate). */
    public Buf valueBuffer() {
        return values();
    }

    /** The buffer of every parameter's gradient (after allocate). */
    public Buf gradBuffer() {
        return grads();
    }

    /** Total number of parameter floats. */
    public long count() {
        return total;
    }

    /** Every parameter, in declaration order. */
    public List<Param> all() {
        return Collections.unmodifiableList(new ArrayList<>(byName.values()));
    }

    /** Whether a parameter of that name is declared. */
    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /** The parameter of that name, or an error listing the names there are. */
    public Param get(String name) {
        Param p = byName.get(name);
        if (p == null) throw new IllegalArgumentException("no parameter named " + name + " (have " + byName.keySet() + ")");
        return p;
    }

    /** Sets every gradient to zero. */
    public void zeroGrad() {
        ops.fill(grads().at(0), grads().length(), 0f);
    }

    /** Host copy of a parameter's value. */
    public float[] read(Param p) {
        float[] v = new float[Math.toIntExact(p.numel())];
        ops.download(p.value(), v, 0, v.length);
        return v;
    }

    /** Host copy of a parameter's gradient. */
    public float[] readGrad(Param p) {
        float[] v = new float[Math.toIntExact(p.numel())];
        ops.download(p.grad(), v, 0, v.length);
        return v;
    }

    /** Uploads {@code v} as the parameter's values; its length must be the parameter's. */
    public void write(Param p, float[] v) {
        if (v.length != p.numel())
            throw new IllegalArgumentException("parameter " + p + " has " + p.numel() + " values, got " + v.length);
        ops.upload(v, 0, p.value(), v.length);
    }
}
