package org.atdiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The house rule "dependencies point one way", held for model-core's packages: the graph of {@code import
 * org.atdiff.<package>} lines between them has no cycle, and nothing here imports Spark or Hadoop.
 */
class PackageDependenciesTest {
    private static final Path SOURCES = Path.of("src/main/java/org/atdiff");
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?org\\.atdiff\\.([a-z]+)\\.", Pattern.MULTILINE);
    private static final Pattern CLUSTER = Pattern.compile("^import (?:static )?org\\.apache\\.(spark|hadoop)\\.", Pattern.MULTILINE);

    /** Package -> the other org.atdiff packages its main sources import (sub-packages count as their parent). */
    private static Map<String, Set<String>> graph() {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Path relative = SOURCES.relativize(file);
                if (relative.getNameCount() < 2) continue; // a class directly in org.atdiff
                String pkg = relative.getName(0).toString();
                Set<String> uses = graph.computeIfAbsent(pkg, p -> new TreeSet<>());
                Matcher m = IMPORT.matcher(Files.readString(file));
                while (m.find()) if (!m.group(1).equals(pkg)) uses.add(m.group(1));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return graph;
    }

    /** A cycle of {@code graph} as "a -> b -> a", or null when it has none (depth-first search). */
    static String cycle(Map<String, Set<String>> graph) {
        Map<String, Integer> state = new TreeMap<>(); // 1 on the current path, 2 done
        for (String start : graph.keySet()) {
            List<String> path = new ArrayList<>();
            String found = visit(start, graph, state, path);
            if (found != null) return found;
        }
        return null;
    }

    private static String visit(String node, Map<String, Set<String>> graph, Map<String, Integer> state, List<String> path) {
        Integer s = state.get(node);
        if (s != null && s == 2) return null;
        if (s != null && s == 1) {
            List<String> loop = new ArrayList<>(path.subList(path.indexOf(node), path.size()));
            loop.add(node);
            return String.join(" -> ", loop);
        }
        state.put(node, 1);
        path.add(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            String found = visit(next, graph, state, path);
            if (found != null) return found;
        }
        path.remove(path.size() - 1);
        state.put(node, 2);
        return null;
    }

    @Test
    void modelCorePackagesDependOnEachOtherOneWay() {
        Map<String, Set<String>> graph = graph();
        assertTrue(graph.keySet().containsAll(List.of("nn", "diffusion", "sampling", "engine", "tensor")), "read " + graph);
        String found = cycle(graph);
        assertEquals(null, found, "a package cycle in model-core: " + found + " (whole graph " + graph + ")");
    }

    @Test
    void theCycleFinderFindsACycle() {
        Map<String, Set<String>> graph = new TreeMap<>(Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"),
                "d", Set.of("a")));
        assertEquals("a -> b -> c -> a", cycle(graph));
        assertEquals(null, cycle(Map.of("a", Set.of("b"), "b", Set.of("c"), "d", Set.of("a", "c"))));
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
