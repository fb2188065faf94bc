package dev.nfn4j.cli;

import dev.nfn4j.zoo.GeneratedZoo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.Arrays;
import java.util.concurrent.Callable;

@Command(name = "zoo", mixinStandardHelpOptions = true, description = "Model zoos.", subcommands = {ZooCommand.Build.class, ZooBuildCnnCommand.class, ZooBuildTicketsCommand.class, ZooBuildSirenCommand.class})
final class ZooCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "build", mixinStandardHelpOptions = true,
            description = "Build (or load from the cache) the built-in zoo: small MLPs trained in Java on a synthetic task with varied hyperparameters.")
    static final class Build implements Callable<Integer> {
        @Mixin ZooOptions zoo;

        @Override
        public Integer call() throws Exception {
            long t0 = System.nanoTime();
            GeneratedZoo g = zoo.builtin(true);
            float[] acc = g.testAccuracy().clone();
            Arrays.sort(acc);
            System.out.printf("%s: %d networks %s, %s in %.1f s%n", zoo.describe(), g.size(), g.spec(),
                    g.fromCache() ? "loaded from the cache" : "trained", (System.nanoTime() - t0) / 1e9);
            java.nio.file.Path file = g.source() != null ? g.source()
                    : dev.nfn4j.zoo.build.ZooGenerator.cacheFile(dev.nfn4j.zoo.build.ZooGenerator.Config.defaults().withSeed(zoo.zooSeed).withNetworks(zoo.networks),
                    zoo.cache != null ? zoo.cache : dev.nfn4j.zoo.build.ZooGenerator.defaultCacheDir());
            System.out.printf("file: %s%ntest accuracy: min %.3f  q1 %.3f  median %.3f  q3 %.3f  max %.3f%n", file, acc[0],
                    acc[acc.length / 4], acc[acc.length / 2], acc[3 * acc.length / 4], acc[acc.length - 1]);
            return 0;
        }
    }
}
