package dev.nfn4j.ops.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The CUDA emulation: a stand-in for the driver library {@code libcuda.so.1} that runs the same
 * {@code kernels/*.cu} on the CPU ({@code native/cuda-emu}, built into this jar by
 * {@code native/build-cuda-emu.sh}), so that the cuda backend, JCuda and every kernel are
 * exercised on machines without a GPU. Never chosen automatically: only
 * {@code -Dnfn4j.cudaEmulation=true} loads it ({@code -Dnfn4j.cudaEmulation.library=PATH} names
 * another build of it). It must be loaded before JCuda's native library, whose dependency on
 * {@code libcuda.so.1} the dynamic loader then resolves to it by its SONAME.
 *
 * <p>What it proves and what it does not: see {@code native/cuda-emu/README.md}. Timings under
 * emulation mean nothing about a GPU.
 *
 * <p>Besides the driver API, the library has controls of its own, called here through the
 * foreign-function API: the race finder ({@link #setSchedules}), the message of the last failed
 * call ({@link #lastError}), launch counts per kernel, and the emulated memory size.
 */
public final class CudaEmulation {
    private CudaEmulation() {}

    /** The classpath resource of the library, beside this class. */
    static final String RESOURCE = "emulation/libcuda.so.1";

    private static Handles handles;
    private static String loadProblem;

    /** Whether this process asked for the emulation ({@code -Dnfn4j.cudaEmulation=true}). */
    public static boolean requested() {
        return Boolean.getBoolean("nfn4j.cudaEmulation");
    }

    /** Whether the emulation library is loaded in this process. */
    public static synchronized boolean loaded() {
        return handles != null;
    }

    /**
     * Loads the library (once); null when it is loaded, else why it cannot be. Must run before
     * anything touches JCuda's driver class.
     */
    static synchronized String load() {
        if (handles != null || loadProblem != null) return loadProblem;
        try {
            Path lib = libraryPath();
            System.load(lib.toString());
            handles = new Handles(lib);
        } catch (IOException | UnsatisfiedLinkError | IllegalArgumentException e) {
            loadProblem = "the CUDA emulation library cannot be loaded: " + e.getMessage();
        } catch (IllegalCallerException e) {
            loadProblem = "the CUDA emulation needs native access (--enable-native-access=ALL-UNNAMED): " + e.getMessage();
        }
        return loadProblem;
    }

    private static Path libraryPath() throws IOException {
        String given = System.getProperty("nfn4j.cudaEmulation.library", "");
        if (!given.isBlank()) {
            Path p = Path.of(given);
            if (!Files.isReadable(p)) throw new IOException(p + " (-Dnfn4j.cudaEmulation.library) is not a readable file");
            return p;
        }
        try (InputStream in = CudaEmulation.class.getResourceAsStream(RESOURCE)) {
            if (in == null)
                throw new IOException("it is not built into this jar (native/build-cuda-emu.sh needs g++ on x86-64 when the jar is built)");
            Path dir = Files.createTempDirectory("nfn4j-cuda-emulation");
            Path p = dir.resolve("libcuda.so.1");
            // deleteOnExit runs in reverse order of registration: the file first, then its folder.
            dir.toFile().deleteOnExit();
            p.toFile().deleteOnExit();
            Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
            return p;
        }
    }

    /** A call into the library through a method handle (invokeExact declares Throwable). */
    private interface NativeCall<T> {
        T call(Handles h) throws Throwable;
    }

    private static <T> T call(NativeCall<T> c) {
        try {
            return c.call(handles());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static Handles handles() {
        Handles h;
        synchronized (CudaEmulation.class) {
            h = handles;
        }
        if (h == null) throw new IllegalStateException("the CUDA emulation is not loaded (-Dnfn4j.cudaEmulation=true)");
        return h;
    }

    /**
     * The race finder: 1 runs each launch once; 2 also runs it with the blocks and the threads
     * of every barrier interval in reverse order; 3 also in an order shuffled with {@code seed}.
     * Each extra run starts from the same memory, poisons shared memory differently, and must
     * leave every byte of device memory as the first run did, else the launch fails with where
     * they differ.
     */
    public static void setSchedules(int schedules, long seed) {
        int r = call(h -> (int) h.configure.invokeExact(schedules, seed));
        if (r != 0) throw new IllegalArgumentException("schedules must be 1, 2 or 3, not " + schedules);
    }

    /** The message of the emulator's last failed call (kernel, launch shape, what went wrong), or "". */
    public static String lastError() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(2048);
            int n = call(h -> (int) h.lastError.invokeExact(buf, 2048));
            return n <= 0 ? "" : buf.getString(0);
        }
    }

    /** Forgets the last error, so that a later {@link #lastError} belongs to a later call. */
    public static void clearError() {
        call(h -> {
            h.clearError.invokeExact();
            return null;
        });
    }

    /**
     * Launches of a kernel so far (all kernels when {@code kernel} is null); with {@code checked},
     * those the race finder compared under several schedules.
     */
    public static long launches(String kernel, boolean checked) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = kernel == null ? MemorySegment.NULL : arena.allocateFrom(kernel);
            return call(h -> (long) h.launches.invokeExact(name, checked ? 1 : 0));
        }
    }

    /** The kernels compiled into the emulation, in source order. */
    public static List<String> kernels() {
        return call(h -> {
            int n = (int) h.kernelCount.invokeExact();
            List<String> out = new ArrayList<>();
            for (int i = 0; i < n; i++) out.add(((MemorySegment) h.kernelName.invokeExact(i)).reinterpret(256).getString(0));
            return out;
        });
    }

    /** Sets the emulated device's memory size in bytes (0 leaves it) and returns it. */
    public static long memoryLimit(long bytes) {
        return call(h -> (long) h.memoryLimit.invokeExact(bytes));
    }

    /** Successful cuMemAlloc calls so far: a caching allocator in a steady loop makes none. */
    public static long deviceAllocations() {
        return call(h -> (long) h.deviceAllocations.invokeExact());
    }

    /** cuGraphLaunch calls so far: how often a captured graph was replayed. */
    public static long graphLaunches() {
        return call(h -> (long) h.graphLaunches.invokeExact());
    }

    /** The emulator's own entry points. */
    private record Handles(MethodHandle configure, MethodHandle lastError, MethodHandle clearError, MethodHandle launches,
                           MethodHandle kernelCount, MethodHandle kernelName, MethodHandle memoryLimit, MethodHandle deviceAllocations,
                           MethodHandle graphLaunches) {
        Handles(Path lib) {
            this(lib, SymbolLookup.libraryLookup(lib, Arena.global()), Linker.nativeLinker());
        }

        private Handles(Path lib, SymbolLookup l, Linker linker) {
            this(bind(lib, l, linker, "nfn4j_emu_configure", ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
                    bind(lib, l, linker, "nfn4j_emu_last_error", ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                    bind(lib, l, linker, "nfn4j_emu_clear_error", null),
                    bind(lib, l, linker, "nfn4j_emu_launches", ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                    bind(lib, l, linker, "nfn4j_emu_kernel_count", ValueLayout.JAVA_INT),
                    bind(lib, l, linker, "nfn4j_emu_kernel_name", ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                    bind(lib, l, linker, "nfn4j_emu_memory_limit", ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                    bind(lib, l, linker, "nfn4j_emu_device_allocations", ValueLayout.JAVA_LONG),
                    bind(lib, l, linker, "nfn4j_emu_graph_launches", ValueLayout.JAVA_LONG));
        }

        /** A downcall handle for the library's function {@code name} (returning {@code result}, or nothing when it is null). */
        private static MethodHandle bind(Path lib, SymbolLookup l, Linker linker, String name, MemoryLayout result, MemoryLayout... args) {
            FunctionDescriptor d = result == null ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(result, args);
            return linker.downcallHandle(find(l, lib, name), d);
        }

        private static MemorySegment find(SymbolLookup l, Path lib, String name) {
            return l.find(name).orElseThrow(() -> new IllegalArgumentException(lib + " lacks " + name + " (not the nfn4j CUDA emulation, or a stale build)"));
        }
    }
}
