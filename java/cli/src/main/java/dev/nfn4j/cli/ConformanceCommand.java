package dev.nfn4j.cli;

import dev.nfn4j.conformance.Conformance;
import dev.nfn4j.io.Safetensors;
import dev.nfn4j.ops.Backends;
import dev.nfn4j.ops.Ops;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = {"Check this library against fixtures made by the PyTorch nfn (format: java/core/src/test/conformance/README.md in the repository).",
                "Prints one row per *.safetensors (or gzipped *.safetensors.gz) file with the worst relative error of each group; exits 1 if any case fails or a file cannot be read.",
                "A case this library cannot run yet is listed as not implemented (SKIP): not counted as passed, not a failure."})
final class ConformanceCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "DIR", description = "Folders holding *.safetensors or *.safetensors.gz fixtures (or single fixture files).")
    List<Path> dirs;

    @Override
    public Integer call() throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path d : dirs) {
            if (Files.isRegularFile(d)) files.add(d);
            else if (Files.isDirectory(d))
                try (Stream<Path> s = Files.list(d)) {
                    s.filter(p -> Safetensors.isFileName(p.getFileName().toString())).sorted().forEach(files::add);
                }
            else throw new java.nio.file.NoSuchFileException(d.toString());
        }
        if (files.isEmpty()) throw new IOException("no *.safetensors or *.safetensors.gz fixtures (" + String.join(", ", dirs.stream().map(Path::toString).toList()) + ")");
        Ops ops = Backends.get();
        System.out.printf("backend: %s%n%-32s %-15s %-11s %-11s %-11s %-11s %s%n", ops.name(), "case", "module", "output", "grad_input",
                "grad_param", "loss/train", "result");
        int failed = 0, notImplemented = 0;
        for (Path f : files) {
            Conformance.Result r = Conformance.run(f, ops);
            if (r.skipped()) {
                notImplemented++;
                System.out.printf("%-32s %-15s %s  SKIP%n", r.caseName(), r.module(), r.notImplemented());
                continue;
            }
            if (!r.pass()) failed++;
            if (r.error() != null) {
                System.out.printf("%-32s %-15s %s  FAIL%n", r.caseName(), r.module(), r.error());
                continue;
            }
            System.out.printf("%-32s %-15s %-11s %-11s %-11s %-11s %s%n", r.caseName(), r.module(), worst(r, "output"), worst(r, "grad_input"),
                    worst(r, "grad_param"), worst(r, "loss", "train.losses"), r.pass() ? "PASS" : "FAIL");
        }
        System.out.printf("%d passed, %d failed%s%n", files.size() - failed - notImplemented, failed,
                notImplemented == 0 ? "" : ", " + notImplemented + " not implemented (not passed)");
        return failed == 0 ? 0 : 1;
    }

    private static String worst(Conformance.Result r, String... groups) {
        double w = -1;
        for (Conformance.Check c : r.checks())
            for (String g : groups)
                if (c.group().equals(g)) w = Double.isNaN(c.worst()) || Double.isNaN(w) ? Double.NaN : Math.max(w, c.worst());
        return w < 0 ? "-" : String.format("%.2e", w);
    }
}
