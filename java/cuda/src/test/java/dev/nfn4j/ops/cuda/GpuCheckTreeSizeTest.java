package dev.nfn4j.ops.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * The GPU check (native/gpu-check.sh) copies the repository's tracked files and {@code .gpu-carry/}
 * to the device, 64 MiB in all; the carry (a jlinked JDK, the jars) is about 36 MiB. Its
 * {@code prepare} refuses more, but it runs only ahead of a GPU run, so a large file added here
 * would go unnoticed until then and cost that run. This keeps the tracked files within their
 * share, in every build.
 */
class GpuCheckTreeSizeTest {
    /** The tracked files' share of the 64 MiB: what the carry leaves, less a margin for its growth. */
    static final long TREE_BUDGET_BYTES = 24L << 20;

    @Test
    void trackedFilesLeaveTheGpuCheckItsCarry() throws Exception {
        Path root = Path.of("../..").toAbsolutePath().normalize();
        if (!Files.isDirectory(root.resolve(".git")) && !Files.isRegularFile(root.resolve(".git")))
            abort("not a git checkout (" + root + "): the GPU check's size is measured on one");
        Process git;
        try {
            git = new ProcessBuilder("git", "-C", root.toString(), "ls-files", "-z").redirectErrorStream(true).start();
        } catch (IOException e) {
            abort("git is not available here: " + e.getMessage());
            return;
        }
        String listing = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(git.waitFor() == 0, "git ls-files failed: " + listing);
        long total = 0;
        List<Map.Entry<String, Long>> files = new ArrayList<>();
        for (String name : listing.split("\0")) {
            Path f = root.resolve(name);
            if (name.isEmpty() || !Files.isRegularFile(f)) continue; // deleted in the work tree
            long size = Files.size(f);
            total += size;
            files.add(Map.entry(name, size));
        }
        files.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        List<String> top = files.stream().limit(5).map(e -> e.getKey() + " " + e.getValue() / 1024 + " KiB").toList();
        long mib = total >> 20;
        assertTrue(total <= TREE_BUDGET_BYTES, "the tracked files are " + mib + " MiB, over the " + (TREE_BUDGET_BYTES >> 20)
                + " MiB the GPU check leaves them beside its carry (native/README.md); the largest: " + top
                + ". Compress large test data (Safetensors.read takes NAME.safetensors.gz) or leave it out of the repository");
    }
}
