package dev.nfn4j.train;

import dev.nfn4j.io.HostTensor;
import dev.nfn4j.io.Npy;
import dev.nfn4j.space.WsLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/** The program of README.md's "Using the library", compiled as written against this module and run on a trained checkpoint. */
class ReadmeExampleTest {
    private static final Path README = Path.of("../../README.md");

    @TempDir
    Path tmp;

    /** The first Java block of the section: a whole program. */
    static String example(String readme) {
        int section = readme.indexOf("\n## Using the library\n");
        assertTrue(section >= 0, "README.md has a section \"Using the library\"");
        int from = readme.indexOf("```java\n", section) + "```java\n".length();
        int to = readme.indexOf("```", from);
        return readme.substring(from, to);
    }

    @Test
    void compilesAndPredicts() throws Exception {
        String source = example(Files.readString(README));
        String name = source.replaceFirst("(?s).*public class (\\w+).*", "$1");
        Path src = Files.createDirectories(tmp.resolve("src")).resolve(name + ".java");
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        Files.writeString(src, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) { // a runtime without jdk.compiler: the GPU check's jlinked JRE
            String why = "this Java runtime has no compiler (jdk.compiler): README.md's example needs a JDK to compile";
            if (System.getenv("CI") != null) fail(why);
            abort(why);
        }
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics, "-cp", System.getProperty("java.class.path"), "-d", classes.toString(), src.toString());
        assertEquals(0, rc, "README.md's example does not compile:\n" + diagnostics.toString(StandardCharsets.UTF_8));

        Path run = tmp.resolve("run");
        new Trainer(dev.nfn4j.testing.TestBackends.reference(), TrainerTest.SMALL, TrainerTest.toyZoo(1), TrainerTest.config(1), run, false).fit();
        int per = Math.toIntExact(new WsLayout(TrainerTest.toyZoo(1).spec(), 1, 1).size()), n = 3;
        float[] rows = new float[n * per];
        Random rnd = new Random(5);
        for (int i = 0; i < rows.length; i++) rows[i] = (float) rnd.nextGaussian();
        Path networks = tmp.resolve("networks.npy");
        Npy.write(networks, HostTensor.f32(new int[]{n, per}, rows));

        String out = runMain(classes, name, run.resolve("best.safetensors").toString(), networks.toString());
        String[] lines = out.strip().split("\n");
        assertEquals(n, lines.length, "one line per network:\n" + out);
        for (String line : lines) {
            double p = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            assertTrue(p >= 0 && p <= 1, "a predicted accuracy: " + line);
        }
    }

    /** Runs {@code main} of the compiled class and returns what it printed. */
    private static String runMain(Path classes, String name, String... args) throws Exception {
        PrintStream stdout = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[]{classes.toUri().toURL()}, ReadmeExampleTest.class.getClassLoader())) {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            loader.loadClass(name).getMethod("main", String[].class).invoke(null, (Object) args);
        } finally {
            System.setOut(stdout);
        }
        return printed.toString(StandardCharsets.UTF_8);
    }
}
