package dev.nfn4j.ops.cuda;

import dev.nfn4j.ops.Ops;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides once per process whether the cuda backend can run here, and keeps the answer: the
 * backend itself, or why not (the jar has no kernels, JCuda is missing, no libcuda.so.1, no
 * device, a driver too old for the kernels, a failed self-check). Under
 * {@code -Dnfn4j.cudaEmulation=true} the driver is the CPU emulation ({@link CudaEmulation}),
 * loaded here before JCuda. Once, because JCuda's classes cannot be initialised
 * again after a failed load (the first touch throws UnsatisfiedLinkError, every later one
 * NoClassDefFoundError). This class refers to no JCuda type, so the library links and runs
 * without JCuda; only {@link CudaOps} does, and it is first touched here, inside the catch.
 */
public final class CudaProbe {
    private CudaProbe() {}

    /** The backend, or the reason (a String) it is unavailable; null until the first probe. */
    private static Object result;

    /** The process-wide cuda backend; throws {@link UnsupportedOperationException} with the reason when it cannot run here. */
    public static synchronized Ops open() {
        if (result == null) result = probe();
        if (result instanceof Ops ops) return ops;
        throw new UnsupportedOperationException("backend 'cuda' is unavailable: " + result);
    }

    /** Why the cuda backend cannot run here, or null when it can (probes on first use). */
    public static synchronized String unavailableReason() {
        if (result == null) result = probe();
        return result instanceof String why ? why : null;
    }

    /**
     * The GPU kernels built into this jar, read without a GPU: how many, by which nvcc, for which
     * targets, or why there are none or they cannot serve the backend.
     */
    public static String kernelBuild() {
        String problem = KernelImage.problem();
        if (problem != null) return problem;
        try {
            KernelImage img = KernelImage.load();
            return img.kernels().size() + " kernels built by " + img.builtWith() + " for " + KernelImage.TARGETS + " (fatbin of "
                    + img.fatbin().length + " bytes)";
        } catch (IOException e) {
            return "the GPU kernels of this jar cannot be read: " + e;
        }
    }

    /** JCuda's version, from its jar's Maven metadata (no native library is loaded), or "unknown". */
    public static String jcudaVersion() {
        try (InputStream in = CudaProbe.class.getResourceAsStream("/META-INF/maven/org.jcuda/jcuda/pom.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The self-check's verdict on this process's device, or null before one ran. */
    private static String selfCheck;

    /**
     * What the self-check said of the device, run the first time the backend was opened (a few
     * NF-Layer kernels and an Adam step against the reference backend: {@link CudaSelfCheck}), or
     * why it did not run.
     */
    public static synchronized String selfCheck() {
        if (result == null) result = probe();
        return selfCheck != null ? selfCheck : "not run: " + result;
    }

    private static Object probe() {
        boolean emulated = CudaEmulation.requested();
        if (emulated) {
            String why = CudaEmulation.load(); // before JCuda's native library, which then binds to it
            if (why != null) return why;
        }
        String problem = emulated ? null : KernelImage.problem(); // no driver call for a jar without kernels
        if (problem != null) return problem;
        CudaOps ops;
        try {
            ops = CudaOps.open(emulated ? KernelImage.forEmulation() : KernelImage.load(), emulated);
        } catch (UnsupportedOperationException e) {
            return e.getMessage();
        } catch (UnsatisfiedLinkError e) {
            return "the CUDA driver library cannot be loaded: " + linkProblem(rootMessage(e));
        } catch (LinkageError e) {
            return "JCuda cannot be initialised (" + rootMessage(e) + ")";
        } catch (Exception e) {
            return "the CUDA device cannot be initialised (" + rootMessage(e) + ")";
        }
        CudaSelfCheck.Result check = CudaSelfCheck.run(ops);
        selfCheck = check.summary();
        if (!check.passed()) {
            System.getLogger(CudaProbe.class.getName()).log(System.Logger.Level.WARNING,
                    "nfn4j: the cuda backend failed its self-check and is not used: " + check.summary());
            return "the self-check failed: " + check.summary();
        }
        return ops;
    }

    private static final Pattern MISSING_LIBRARY = Pattern.compile("([\\w.+-]+\\.so[.\\d]*): cannot open shared object file");
    private static final Pattern MISSING_SYMBOL = Pattern.compile("undefined symbol: (\\S+)");

    /**
     * The gist of a native-library failure (JCuda's message embeds whole stack traces): a missing
     * library (libcuda.so.1: no NVIDIA driver here), a missing symbol (a driver too old), or the
     * message's first 300 characters.
     */
    static String linkProblem(String message) {
        Matcher m = MISSING_LIBRARY.matcher(message);
        if (m.find()) return m.group(1) + " not found (no NVIDIA driver on this machine)";
        m = MISSING_SYMBOL.matcher(message);
        if (m.find()) return "the driver lacks " + m.group(1) + " (too old for JCuda 12.6)";
        return message.length() > 300 ? message.substring(0, 300) + "..." : message;
    }

    /** The innermost cause's message: JCuda wraps the loader's "libcuda.so.1: cannot open shared object file". */
    static String rootMessage(Throwable t) {
        Throwable r = t;
        StringBuilder chain = new StringBuilder(String.valueOf(t.getMessage()));
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
            if (r.getMessage() != null && !chain.toString().contains(r.getMessage())) chain.append(": ").append(r.getMessage());
        }
        return chain.toString().replace('\n', ' ').trim();
    }
}
