package dev.nfn4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code nfn4j} command line; see {@code --help}. Exit codes: 0 success, 1 a check failed, 2 bad usage or input. */
@Command(name = "nfn4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Neural functional networks on the JVM: permutation-equivariant layers over the weights of other networks.",
        subcommands = {DemoCommand.class, ZooCommand.class, TrainCommand.class, EvalCommand.class, PredictCommand.class, ImportCommand.class, ConformanceCommand.class, RenderCommand.class,
                InfoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        // One line per log record ("INFO: nfn4j backend: ..."), before anything logs.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null)
            System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%6$s%n");
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (also used by tests). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        // A bad argument or input file is the user's error: a clear message and exit code 2, no stack trace.
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof java.io.IOException || ex instanceof UnsupportedOperationException) {
                cmd.getErr().println("nfn4j: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"nfn4j " + version()};
        }
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
