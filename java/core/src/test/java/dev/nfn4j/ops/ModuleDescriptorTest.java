package dev.nfn4j.ops;

import org.junit.jupiter.api.Test;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The compiled module descriptor: the API packages exported to all, the backends' packages not, the cuda SPI used. */
class ModuleDescriptorTest {
    @Test
    void exportsTheApiAndKeepsTheBackendsInternal() throws Exception {
        Path classes = Path.of(BackendProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI()); // folder or jar
        ModuleDescriptor d = ModuleFinder.of(classes).find("dev.nfn4j.core").orElseThrow().descriptor();
        Set<String> toAll = d.exports().stream().filter(e -> !e.isQualified()).map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(Set.of("dev.nfn4j.conformance", "dev.nfn4j.io", "dev.nfn4j.nn", "dev.nfn4j.ops", "dev.nfn4j.space",
                "dev.nfn4j.train", "dev.nfn4j.zoo")), toAll);
        assertTrue(d.packages().containsAll(Set.of("dev.nfn4j.ops.reference", "dev.nfn4j.ops.simd")), "the backends are in the module");
        assertTrue(d.uses().contains(BackendProvider.class.getName()), "Backends finds the cuda backend through ServiceLoader");
    }
}
