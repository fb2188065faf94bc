package dev.nfn4j.nn;

import dev.nfn4j.ops.Buf;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.Ptr;

import java.util.HashMap;
import java.util.Map;

/**
 * A module's reusable buffers, by name: allocated on first use and again only when the size
 * changes, so a steady stream of same-shaped batches allocates nothing on the hot path.
 */
final class Workspace {
    private final Ops ops;
    private final Map<String, Buf> bufs = new HashMap<>();

    Workspace(Ops ops) {
        this.ops = ops;
    }

    /** A buffer of exactly n floats (contents left from its last use). */
    Ptr get(String name, long n) {
        Buf b = bufs.get(name);
        if (b == null || b.length() != Math.max(n, 1)) {
            b = ops.alloc(Math.max(n, 1));
            bufs.put(name, b);
        }
        return b.at(0);
    }

    /** A zero-filled buffer of n floats. */
    Ptr zeroed(String name, long n) {
        Ptr p = get(name, n);
        ops.fill(p, Math.max(n, 1), 0f);
        return p;
    }
}
