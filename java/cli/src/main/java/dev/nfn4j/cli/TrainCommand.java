package dev.nfn4j.cli;

import dev.nfn4j.nn.ModelConfig;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.train.Trainer;
import dev.nfn4j.zoo.ZooDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a model that predicts each network's test accuracy from its weights; writes best.safetensors, state.safetensors, log.jsonl and test_scatter.png to --out.")
final class TrainCommand implements Callable<Integer> {
    @Mixin ZooOptions zoo;
    @Mixin ModelOptions opts;
    @Mixin TrainOptions training;
    @Mixin EditOptions edit;
    @Mixin ClassifyOptions classify;
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--resume", description = "Continue the run in --out where it stopped, with the same settings (--epochs may change). "
            + "A finished run is left as it is.")
    boolean resume;

    @Option(names = "--task", defaultValue = "accuracy", paramLabel = "accuracy|ticket|classify|edit",
            description = "accuracy: predict each network's test accuracy (default); ticket: predict IMP masks from initialisations (--zoo DIR of 'zoo build-tickets', --sparsity D); "
                    + "classify: classify SIRENs by their image's class (--zoo DIR of 'zoo build-siren'; --model hnp, np, np_io, mlp or statnn; "
                    + "defaults there: --hidden 32,32,32 --fourier 16 --fourier-scale 1 --batch 32); "
                    + "edit: learn a weight-space edit of SIRENs (--zoo DIR of 'zoo build-siren', --style).")
    String task;

    @Option(names = "--sparsity", defaultValue = "0.1", paramLabel = "D", description = "--task ticket: the density (fraction of weights kept) whose IMP masks are the target (default: ${DEFAULT-VALUE}).")
    double sparsity;

    @Override
    public Integer call() throws Exception {
        if (!task.equalsIgnoreCase("classify") && (classify.ioEncoding || classify.headDropout != null))
            throw new IllegalArgumentException("--io-encoding and --head-dropout apply to --task classify only");
        Predicate<String> given = spec.commandLine().getParseResult()::hasMatchedOption; // the task defaults apply where an option is not given
        if (task.equalsIgnoreCase("ticket")) return TicketTraining.run(zoo, opts, training, sparsity, out, given);
        if (task.equalsIgnoreCase("classify")) return ClassifyTraining.run(zoo, opts, classify, training, out, spec.commandLine().getParseResult());
        if (task.equalsIgnoreCase("edit")) return EditTraining.run(zoo, opts, training, edit, out, given);
        if (!task.equalsIgnoreCase("accuracy")) throw new IllegalArgumentException("unknown --task '" + task + "' (accuracy, ticket, classify or edit)");
        ModelConfig model = opts.model();
        Trainer.Config config = training.trainer(model, true);
        ZooDataset data = zoo.load(true);
        System.out.printf("data     %s: %d networks, %s; split %d/%d/%d%n", zoo.describe(), data.size(), data.spec(),
                data.splits().train().length, data.splits().val().length, data.splits().test().length);
        System.out.printf("model    %s, %s, input normalization %s on %s%n", opts, training, config.normalization(), Backends.get().describe());
        Trainer trainer = new Trainer(Backends.get(), model, data, config, out, resume).observedBy(new TerminalObserver());
        if (trainer.finished()) {
            System.out.printf("done     the run in %s is finished (%d epochs): nothing to resume, no file changed (its test result is in %s)%n",
                    out, trainer.epochsDone(), out.resolve("log.jsonl"));
            return 0;
        }
        if (resume && trainer.epochsDone() > 0) System.out.printf("resume   from epoch %d of %d%n", trainer.epochsDone() + 1, config.epochs());
        Trainer.Result r = trainer.fit();
        System.out.printf("test     tau %.4f  R^2 %.4f  L1 %.4f  (best epoch %d, %.1f s)%n", r.test().tau(), r.test().r2(), r.test().l1(),
                r.bestEpoch(), r.trainSeconds());
        System.out.printf("files    %s, %s, %s%n", r.checkpoint(), out.resolve("log.jsonl"), r.plot());
        return 0;
    }

    /**
     * Refuses the options of {@code train} that a task does not read, so none is silently ignored:
     * the first one given is named in a one-line error, with {@code what} saying what the task does take.
     */
    static void refuseOptions(String task, List<String> notRead, Predicate<String> given, String what) {
        for (String o : notRead)
            if (given.test(o)) throw new IllegalArgumentException(o + " does not apply to --task " + task + " (" + what + "; see train --help)");
    }
}
