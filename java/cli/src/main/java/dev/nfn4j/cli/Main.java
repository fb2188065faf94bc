package dev.nfn4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code nfn4j} command line; see {@code --help}. Exit codes: 0 success, 1 a check failed, 2 bad usage or input. */
@Command(name = "nfn4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Neural functional networks on the JVM: permutation-equivariant layers over the weights of other networks.",
        subcommands = {DemoCommand.class, ZooCommand.class, TrainCommand.class, EvalCommand.class, PredictCommand.class, ImportCommand.class, ConformanceCommand.class, MaskCommand.class, RenderCommand.class,
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
        int code;
        try {
            code = commandLine().execute(args);
        } catch (OutOfMemoryError | StackOverflowError e) { // not Exceptions: picocli's handler never sees them
            System.err.println("nfn4j: " + ErrorMessages.describe(e));
            code = 1;
        }
        System.exit(code);
    }

    /** The configured command line (also used by tests). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        // Every error is one line in one format (ErrorMessages): exit 2 for bad input, 1 for anything else.
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("nfn4j: " + ErrorMessages.describe(ex));
            if (Boolean.getBoolean(ErrorMessages.TRACE_PROPERTY)) ex.printStackTrace(cmd.getErr());
            return ErrorMessages.isBadInput(ex) ? 2 : 1;
        });
        // A bad option or argument: the same one line, and where the options are listed, instead of the whole usage.
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("nfn4j: " + ErrorMessages.oneLine(ex.getMessage()) + " (" + cmd.getCommandSpec().qualifiedName(" ")
                    + " --help lists them)");
            return 2;
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
