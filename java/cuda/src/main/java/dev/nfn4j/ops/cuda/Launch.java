package dev.nfn4j.ops.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * One kernel launch, fully planned and checked before it reaches the driver: the grid, the block,
 * dynamic shared memory, and arguments typed against the kernel's C parameter list
 * ({@link Kernel}). A wrong count or type fails here with the kernel's signature in the message,
 * not on the GPU as garbage. {@code what} names the op and its sizes, for error messages.
 */
record Launch(Kernel kernel, int gridX, int gridY, int gridZ, int block, int sharedBytes, List<Object> args, String what) {
    static final int MAX_GRID_X = Integer.MAX_VALUE;
    static final int MAX_GRID_YZ = 65535;

    Launch {
        if (gridX < 1 || gridY < 1 || gridZ < 1 || gridY > MAX_GRID_YZ || gridZ > MAX_GRID_YZ)
            throw new IllegalArgumentException(kernel.symbol + ": grid (" + gridX + ", " + gridY + ", " + gridZ + ") outside the device's limits, for " + what);
        if (block < 1 || block > 1024) throw new IllegalArgumentException(kernel.symbol + ": block of " + block + " threads");
        if (args.size() != kernel.params.size())
            throw new IllegalArgumentException(kernel.symbol + ": " + args.size() + " arguments for " + kernel.signature());
        args = List.copyOf(args);
    }

    /** {@code channel_mix<<<(12, 1, 1), 256, 0 B>>> for channelMix B=3 ...}, for errors and logs. */
    String shape() {
        return kernel.symbol + "<<<(" + gridX + ", " + gridY + ", " + gridZ + "), " + block + ", " + sharedBytes + " B>>> for " + what;
    }

    static Builder of(Kernel kernel, String what) {
        return new Builder(kernel, what);
    }

    /** Collects arguments in order, each checked against the next C parameter. */
    static final class Builder {
        private final Kernel kernel;
        private final String what;
        private final List<Object> args = new ArrayList<>();

        private Builder(Kernel kernel, String what) {
            this.kernel = kernel;
            this.what = what;
        }

        private Builder add(Object v, Kernel.Type... accepted) {
            int i = args.size();
            if (i >= kernel.params.size())
                throw new IllegalArgumentException(kernel.symbol + ": too many arguments (" + (i + 1) + ") for " + kernel.signature());
            Kernel.Param p = kernel.params.get(i);
            for (Kernel.Type t : accepted)
                if (t == p.type()) {
                    args.add(v);
                    return this;
                }
            throw new IllegalArgumentException(kernel.symbol + ": argument " + i + " (" + p + ") given a "
                    + (accepted.length == 2 ? "pointer" : accepted[0].c) + " value " + v + "; signature " + kernel.signature());
        }

        Builder ptr(DevPtr p) {
            if (p == null) throw new IllegalArgumentException(kernel.symbol + ": argument " + args.size() + " is a Java null; use DevPtr.NULL");
            return add(p, Kernel.Type.FLOAT_PTR, Kernel.Type.DOUBLE_PTR);
        }

        Builder i(int v) {
            return add(v, Kernel.Type.INT);
        }

        Builder l(long v) {
            return add(v, Kernel.Type.LONG);
        }

        Builder f(float v) {
            return add(v, Kernel.Type.FLOAT);
        }

        Builder d(double v) {
            return add(v, Kernel.Type.DOUBLE);
        }

        Launch grid(long gx, long gy, long gz, int block) {
            if (gx > Launch.MAX_GRID_X || gx < 1)
                throw new IllegalArgumentException(kernel.symbol + ": " + gx + " blocks along x, more than the device allows (2^31 - 1), for " + what);
            return new Launch(kernel, (int) gx, (int) Math.min(gy, Integer.MAX_VALUE), (int) Math.min(gz, Integer.MAX_VALUE), block, 0, args, what);
        }

        Launch grid1d(long blocks) {
            return grid(blocks, 1, 1, KernelPlans.THREADS);
        }
    }
}
