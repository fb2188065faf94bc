package dev.nfn4j.ops.cuda;

import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.testing.TestBackends;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What works without a GPU: the kernels are built into the classes whenever nvcc is on the PATH
 * (the build runs native/build-kernels.sh, unless -Dnfn4j.skipKernels=true) and list every kernel the backend launches; the probe
 * answers once, with a reason, and the library goes on without the backend.
 */
class CudaDetectionTest {
    static boolean nvccOnPath() {
        String path = System.getenv("NVCC") != null ? System.getenv("NVCC") : "";
        if (!path.isEmpty() && Files.isExecutable(Path.of(path))) return true;
        return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, "nvcc")));
    }

    @Test
    void theFatbinIsInTheClassesWhenNvccIsHereAndListsEveryKernel() throws IOException {
        KernelImage img = KernelImage.load();
        if (img == null) {
            boolean skipped = Boolean.getBoolean("nfn4j.skipKernels"); // the build was told not to run nvcc
            assertTrue(skipped || !nvccOnPath(), "nvcc is on the PATH but the build left no fatbin in the classes (native/build-kernels.sh)");
            assertTrue(KernelImage.problem().contains("not built into this jar"), KernelImage.problem());
            return;
        }
        assertTrue(img.fatbin().length > 1000, "a fatbin of " + img.fatbin().length + " bytes");
        assertEquals("[]", img.missing().toString(), "kernels the backend launches but the fatbin lacks");
        assertTrue(img.builtWith().startsWith("nvcc "), img.builtWith());
        for (String k : img.kernels()) assertNotNull(Kernel.bySymbol(k), "the fatbin has " + k + ", which the backend never launches");
        assertEquals(null, KernelImage.problem());
    }

    @Test
    void theProbeAnswersOnceAndTheLibraryGoesOnWithoutTheBackend() {
        String why = CudaProbe.unavailableReason();
        if (why == null) { // a GPU machine: the backend is the same object every time
            Ops cuda = Backends.byName("cuda");
            assertTrue(cuda.describe().startsWith("cuda ("), cuda.describe());
            assertTrue(cuda == Backends.byName("cuda"), "one backend (one context) per process");
            return;
        }
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> Backends.byName("cuda"));
        assertEquals("backend 'cuda' is unavailable: " + why, e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> Backends.byName("cuda"), "the second touch gives the same answer");
        assertEquals(why, CudaProbe.unavailableReason());
        assertTrue(why.length() < 400, "a reason, not a stack trace: " + why);
        if (KernelImage.problem() == null && !Files.exists(Path.of("/dev/nvidiactl")))
            assertTrue(why.contains("libcuda.so.1"), "on a machine without the NVIDIA driver the reason names libcuda.so.1: " + why);
        if ("cuda".equals(System.getProperty("nfn4j.backend", "").trim())) return; // forced: Backends.get() must fail, tested nowhere else
        Ops chosen = Backends.get();
        assertNotEquals("cuda", chosen.name());
        assertTrue(Backends.reason().contains("cuda unavailable: " + why) || Backends.reason().contains("forced"), Backends.reason());
        if (!TestBackends.required().contains("cuda")) {
            // the library still works: a tiny op on the chosen backend
            var b = chosen.alloc(3);
            chosen.fill(b.at(0), 3, 2f);
            float[] out = new float[3];
            chosen.download(b.at(0), out, 0, 3);
            assertEquals("[2.0, 2.0, 2.0]", Arrays.toString(out));
        }
    }

    @Test
    void aNativeLinkFailureIsReducedToItsCause() {
        String jcuda = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\" ... Stack trace ... "
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open shared object file: No such file";
        assertEquals("libcuda.so.1 not found (no NVIDIA driver on this machine)", CudaProbe.linkProblem(jcuda));
        assertEquals("the driver lacks cuGraphInstantiateWithFlags (too old for JCuda 12.6)",
                CudaProbe.linkProblem("/tmp/libJCudaDriver.so: undefined symbol: cuGraphInstantiateWithFlags"));
        assertEquals(303, CudaProbe.linkProblem("x".repeat(1000)).length());
    }
}
