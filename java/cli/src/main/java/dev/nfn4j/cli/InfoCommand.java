package dev.nfn4j.cli;

import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import dev.nfn4j.ops.cuda.CudaProbe;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "The backends available here and the one chosen (with reasons), vector width, threads, the GPU and its self-check, the kernels built into this jar, and versions.")
final class InfoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("nfn4j      " + Main.version());
        System.out.println("java       " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ", " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ")");
        System.out.println("cpus       " + Runtime.getRuntime().availableProcessors());
        for (String name : new String[]{"reference", "simd", "cuda"}) {
            String line;
            try {
                Ops o = Backends.byName(name);
                line = "available: " + o.describe();
            } catch (RuntimeException e) {
                line = "unavailable: " + e.getMessage();
            }
            System.out.printf("%-10s %s%n", name, line);
        }
        System.out.println("chosen     " + Backends.get().describe() + " (" + Backends.reason() + ")");
        String noGpu = CudaProbe.unavailableReason();
        System.out.println("gpu        " + (noGpu == null ? Backends.byName("cuda").describe() : "none used: " + noGpu));
        System.out.println("selfcheck  " + CudaProbe.selfCheck());
        System.out.println("kernels    " + CudaProbe.kernelBuild());
        System.out.println("jcuda      " + CudaProbe.jcudaVersion());
        return 0;
    }
}
