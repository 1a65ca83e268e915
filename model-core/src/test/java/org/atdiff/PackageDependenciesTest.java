package org.atdiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The house rule "dependencies point one way", held for model-core's packages: the graph of {@code import
 * org.atdiff.<package>} lines between them has no cycle, and nothing here imports Spark or Hadoop.
 */
class PackageDependenciesTest {
    private static final Path SOURCES = Path.of("src/main/java");
    private static final Pattern CLUSTER = Pattern.compile("^import (?:static )?org\\.apache\\.(spark|hadoop)\\.", Pattern.MULTILINE);

    @Test
    void modelCorePackagesDependOnEachOtherOneWay() {
        Map<String, Set<String>> graph = PackageGraph.read(SOURCES, "org.atdiff");
        assertTrue(graph.keySet().containsAll(List.of("nn", "diffusion", "sampling", "engine", "tensor")), "read " + graph);
        String found = PackageGraph.cycle(graph);
        assertNull(found, "a package cycle in model-core: " + found + " (whole graph " + graph + ")");
    }

    @Test
    void theCycleFinderFindsACycle() {
        Map<String, Set<String>> graph = new TreeMap<>(Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"),
                "d", Set.of("a")));
        assertEquals("a -> b -> c -> a", PackageGraph.cycle(graph));
        assertNull(PackageGraph.cycle(Map.of("a", Set.of("b"), "b", Set.of("c"), "d", Set.of("a", "c"))));
    }

    @Test
    void modelCoreImportsNeitherSparkNorHadoop() throws IOException {
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                if (CLUSTER.matcher(Files.readString(file)).find()) offenders.add(file.toString());
            }
        }
        assertEquals(List.of(), offenders);
    }
}
