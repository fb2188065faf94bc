package dev.nfn4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliTest {
    @TempDir
    Path tmp;

    /** Runs the CLI in-process; returns {exit code, stdout, stderr}. */
    private static Object[] run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true));
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args);
            return new Object[]{code, out.toString(), err.toString()};
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void demoRunsAndReportsInvariance() {
        Object[] r = run("demo", "--batch", "2", "--head", "16");
        assertEquals(0, r[0], () -> "stdout: " + r[1] + "\nstderr: " + r[2]);
        assertTrue(((String) r[1]).contains("invariance"), (String) r[1]);
        assertTrue(((String) r[1]).contains(": OK"), (String) r[1]);
    }

    @Test
    void conformanceOnAMissingFolderIsAClearError() {
        Object[] r = run("conformance", tmp.resolve("nope").toString());
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("no such file or folder"), (String) r[2]);
    }

    @Test
    void conformanceFailsOnAnUnreadableFixture() throws Exception {
        Files.write(tmp.resolve("broken.safetensors"), new byte[]{1, 2, 3});
        Object[] r = run("conformance", tmp.toString());
        assertEquals(1, r[0]);
        assertTrue(((String) r[1]).contains("broken") && ((String) r[1]).contains("FAIL"), (String) r[1]);
        assertTrue(((String) r[1]).contains("0 passed, 1 failed"), (String) r[1]);
    }

    @Test
    void conformanceOnTheSharedFixturesPassesWhenPresent() {
        Path dir = Path.of(System.getProperty("nfn4j.conformanceDir", "../shared/conformance/nfn"));
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(dir), "fixtures absent at " + dir + " (ConformanceTest reports this too)");
        Object[] r = run("conformance", dir.toString());
        assertEquals(0, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("17 passed, 0 failed"), (String) r[1]);
    }
}
