package dev.nfn4j.ops.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The kernels as built into this jar by {@code native/build-kernels.sh}: the fatbin
 * ({@code nfn4j.fatbin}) and its manifest ({@code kernels.txt}: a {@code #} line naming the nvcc
 * that built it, then one kernel name per line), classpath resources beside this class. Reading
 * them needs no GPU and no JCuda, so a jar without kernels is reported before any driver call.
 */
record KernelImage(byte[] fatbin, Set<String> kernels, String builtWith) {
    static final String FATBIN = "nfn4j.fatbin", MANIFEST = "kernels.txt";
    /** The targets native/build-kernels.sh compiles for (its -gencode lines). */
    static final String TARGETS = "sm_80, sm_90 and compute_90 PTX";

    /** The image of this jar, or null when it was built without kernels (no nvcc). */
    static KernelImage load() throws IOException {
        byte[] fatbin = resource(FATBIN), manifest = resource(MANIFEST);
        if (fatbin == null || manifest == null) return null;
        Set<String> names = new LinkedHashSet<>();
        String built = "an unknown nvcc";
        for (String line : new String(manifest, StandardCharsets.UTF_8).split("\n")) {
            String s = line.trim();
            if (s.startsWith("#")) built = s.substring(1).trim();
            else if (!s.isEmpty()) names.add(s);
        }
        return new KernelImage(fatbin, names, built);
    }

    /**
     * The image handed to the CPU emulation, which runs the kernels compiled into itself: this
     * jar's fatbin when it has one (the emulator checks it is one), else a bare fatbin header, and
     * the emulator's own kernel list as the manifest.
     */
    static KernelImage forEmulation() throws IOException {
        KernelImage built = load();
        byte[] fatbin = built != null ? built.fatbin() : new byte[]{0x50, (byte) 0xed, 0x55, (byte) 0xba, 0, 0, 0, 0};
        return new KernelImage(fatbin, new LinkedHashSet<>(CudaEmulation.kernels()), "g++ (the CPU emulation's own build of kernels/*.cu)");
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = KernelImage.class.getResourceAsStream(name)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    /** The kernels the backend launches ({@link Kernel}) that the manifest does not list. */
    List<String> missing() {
        List<String> out = new ArrayList<>();
        for (Kernel k : Kernel.values()) if (!kernels.contains(k.symbol)) out.add(k.symbol);
        return out;
    }

    /** Why the kernels of this jar cannot serve the backend, or null when they can. */
    static String problem() {
        KernelImage img;
        try {
            img = load();
        } catch (IOException e) {
            return "the GPU kernels of this jar cannot be read: " + e;
        }
        if (img == null)
            return "the GPU kernels are not built into this jar (nvcc was not found when it was built; see native/build-kernels.sh)";
        List<String> missing = img.missing();
        if (!missing.isEmpty())
            return "the GPU kernels of this jar lack " + missing + " (stale build: rebuild with nvcc, native/build-kernels.sh)";
        return null;
    }
}
