package dev.nfn4j.cli;

import dev.nfn4j.ops.Backends;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "info", mixinStandardHelpOptions = true, description = "Print the chosen backend and why, and versions.")
final class InfoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("nfn4j      " + Main.version());
        System.out.println("java       " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")");
        System.out.println("cpus       " + Runtime.getRuntime().availableProcessors());
        System.out.println("backend    " + Backends.get().name() + " (" + Backends.reason() + ")");
        return 0;
    }
}
