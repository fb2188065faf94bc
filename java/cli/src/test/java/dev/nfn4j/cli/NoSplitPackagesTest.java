package dev.nfn4j.cli;

import dev.nfn4j.ops.BackendProvider;
import dev.nfn4j.ops.cuda.CudaBackendProvider;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No package spans two of the jars (core, cuda, cli): a split package fails as soon as the jars
 * sit on the module path, and it would give the CLI core's package-private members.
 */
class NoSplitPackagesTest {
    @Test
    void everyPackageLivesInOneJar() throws Exception {
        Set<String> core = packagesOf(BackendProvider.class), cuda = packagesOf(CudaBackendProvider.class), cli = packagesOf(Main.class);
        assertTrue(core.contains("dev.nfn4j.zoo") && cli.contains("dev.nfn4j.zoo.build") && cuda.contains("dev.nfn4j.ops.cuda"),
                "the class files were found: " + core + " " + cuda + " " + cli);
        assertEquals(Set.of(), intersection(core, cli), "packages in both nfn4j-core and nfn4j-cli");
        assertEquals(Set.of(), intersection(core, cuda), "packages in both nfn4j-core and nfn4j-cuda");
        assertEquals(Set.of(), intersection(cuda, cli), "packages in both nfn4j-cuda and nfn4j-cli");
        assertFalse(cli.contains("dev.nfn4j.zoo"));
    }

    private static Set<String> intersection(Set<String> a, Set<String> b) {
        Set<String> both = new TreeSet<>(a);
        both.retainAll(b);
        return both;
    }

    /** The packages of the class files where {@code c} was loaded from: a classes folder or a jar. */
    private static Set<String> packagesOf(Class<?> c) throws IOException, URISyntaxException {
        Path root = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        Set<String> packages = new TreeSet<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.walk(root)) {
                files.map(f -> root.relativize(f).toString().replace(root.getFileSystem().getSeparator(), "/")).forEach(name -> add(packages, name));
            }
        } else {
            try (JarFile jar = new JarFile(root.toFile())) {
                jar.stream().forEach(e -> add(packages, e.getName()));
            }
        }
        return packages;
    }

    /** Adds the package of a class file's path ("dev/nfn4j/zoo/ImageData.class"); resources and module-info add nothing. */
    private static void add(Set<String> packages, String path) {
        int slash = path.lastIndexOf('/');
        if (path.endsWith(".class") && slash > 0 && !path.startsWith("META-INF/")) packages.add(path.substring(0, slash).replace('/', '.'));
    }
}
