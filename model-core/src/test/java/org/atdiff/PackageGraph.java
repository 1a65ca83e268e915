package org.atdiff;

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

/**
 * The packages below one base package of a source tree and which of them each imports, read from the import lines
 * (fully qualified names in code are not read), for the tests that hold "dependencies point one way". A sub-package
 * counts as its first-level parent; classes directly in the base package form the package {@link #ROOT}.
 */
public final class PackageGraph {
    public static final String ROOT = "(root)";

    private PackageGraph() {}

    /**
     * @param sources a module's {@code src/main/java}
     * @param base    e.g. {@code org.atdiff}
     */
    public static Map<String, Set<String>> read(Path sources, String base) {
        Path dir = sources.resolve(base.replace('.', '/'));
        Pattern imports = Pattern.compile("^import (?:static )?" + Pattern.quote(base) + "\\.([a-z][a-z0-9]*\\.|[A-Z])",
                Pattern.MULTILINE);
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Path relative = dir.relativize(file);
                String pkg = relative.getNameCount() < 2 ? ROOT : relative.getName(0).toString();
                Set<String> uses = graph.computeIfAbsent(pkg, p -> new TreeSet<>());
                Matcher m = imports.matcher(Files.readString(file));
                while (m.find()) {
                    String used = m.group(1).endsWith(".") ? m.group(1).substring(0, m.group(1).length() - 1) : ROOT;
                    if (!used.equals(pkg)) uses.add(used);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return graph;
    }

    /** A cycle of {@code graph} as "a -> b -> a", or null when it has none (depth-first search). */
    public static String cycle(Map<String, Set<String>> graph) {
        Map<String, Integer> state = new TreeMap<>(); // 1 on the current path, 2 done
        for (String start : new TreeSet<>(graph.keySet())) {
            String found = visit(start, graph, state, new ArrayList<>());
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
        for (String next : new TreeSet<>(graph.getOrDefault(node, Set.of()))) {
            String found = visit(next, graph, state, path);
            if (found != null) return found;
        }
        path.remove(path.size() - 1);
        state.put(node, 2);
        return null;
    }
}
