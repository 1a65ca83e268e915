package org.atdiff.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.atdiff.PackageGraph;
import org.junit.jupiter.api.Test;

/**
 * spark-jobs' packages depend on each other one way. The root package {@code org.atdiff.jobs} holds only the entry
 * points (the dispatcher {@link Atdiff}, the jobs it runs from there, the {@code spark-submit --class} mains), so
 * nothing below it imports it; what every job is built from lives in {@code command}.
 */
class PackageDependenciesTest {
    private static final Map<String, Set<String>> GRAPH =
            PackageGraph.read(Path.of("src/main/java"), "org.atdiff.jobs");

    @Test
    void packagesDependOnEachOtherOneWay() {
        assertTrue(GRAPH.keySet().containsAll(
                List.of(PackageGraph.ROOT, "command", "train", "fid", "report", "plot", "bench")), "read " + GRAPH);
        String found = PackageGraph.cycle(GRAPH);
        assertNull(found, "a package cycle in spark-jobs: " + found + " (whole graph " + GRAPH + ")");
    }

    @Test
    void nothingBelowTheRootPackageImportsIt() {
        Map<String, Set<String>> importers = new TreeMap<>();
        GRAPH.forEach((pkg, uses) -> {
            if (uses.contains(PackageGraph.ROOT)) importers.put(pkg, uses);
        });
        assertEquals(Map.of(), importers);
    }
}
