package org.atdiff.jobs;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.atdiff.PackageGraph;
import org.junit.jupiter.api.Test;

/**
 * spark-jobs' packages below {@code org.atdiff.jobs}: their only cycles run through the root package, which holds both
 * the command framework every job uses and the dispatcher and top-level jobs that use every sub-package; among the
 * sub-packages dependencies point one way.
 */
class PackageDependenciesTest {
    @Test
    void subPackagesDependOnEachOtherOneWay() {
        Map<String, Set<String>> graph = PackageGraph.read(Path.of("src/main/java"), "org.atdiff.jobs");
        assertTrue(graph.keySet().containsAll(List.of(PackageGraph.ROOT, "train", "fid", "report", "plot", "bench")), "read " + graph);
        String found = PackageGraph.cycle(PackageGraph.without(graph, PackageGraph.ROOT));
        assertNull(found, "a package cycle in spark-jobs: " + found + " (whole graph " + graph + ")");
    }
}
