package io.meerkat.runtime.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
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
 * The packages of runtime-core depend on each other without a cycle, so each can be read (and owned)
 * from the ones below it. Reads the main sources: a reference is an import or a qualified name in code
 * (comments and string literals do not count, as they create no dependency).
 */
class PackageCycleTest {

    private static final String ROOT = "io.meerkat.runtime.core";
    /** A qualified type name in this module: lower-case package segments, then a type or '*'. */
    private static final Pattern REFERENCE =
            Pattern.compile("\\bio\\.meerkat\\.runtime\\.core((?:\\.[a-z_][a-z0-9_]*)*)\\.(?:[A-Z]|\\*)");
    /** How the graph names {@code io.meerkat.runtime.core} itself; the others are named relative to it. */
    private static final String TOP = "(core)";
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);

    @Test
    void runtimeCorePackagesFormNoCycle() throws IOException {
        Map<String, Set<String>> graph = dependencies(sourceRoot());
        assertTrue(graph.size() >= 6, "read the main sources of every package: " + graph.keySet());
        List<String> cycle = findCycle(graph);
        assertEquals(List.of(), cycle, "package cycle in runtime-core; dependencies: " + graph);
    }

    @Test
    void theCheckFindsACycleAndReadsReferencesNotComments() {
        Map<String, Set<String>> graph = new TreeMap<>();
        record("a", "import io.meerkat.runtime.core.b.Thing;\n// io.meerkat.runtime.core.c.InAComment\n", graph);
        record("b", "class B { io.meerkat.runtime.core.c.Other o; String s = \"io.meerkat.runtime.core.a.X\"; }",
                graph);
        record("c", "/* io.meerkat.runtime.core.b.Y */ import static io.meerkat.runtime.core.a.Z.method;", graph);
        assertEquals(Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a")), graph);
        assertEquals(List.of("a", "b", "c", "a"), findCycle(graph));

        graph.get("c").clear();
        assertEquals(List.of(), findCycle(graph), "without c -> a there is no cycle");
    }

    private static Path sourceRoot() {
        Path root = Path.of(System.getProperty("basedir", "."), "src", "main", "java");
        assertTrue(Files.isDirectory(root.resolve("io/meerkat/runtime/core")), "main sources at " + root.toAbsolutePath());
        return root;
    }

    private static Map<String, Set<String>> dependencies(Path sourceRoot) throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(sourceRoot)) {
            files.filter(f -> f.toString().endsWith(".java") && !f.endsWith("module-info.java")).forEach(f -> {
                try {
                    String source = Files.readString(f);
                    Matcher pkg = PACKAGE.matcher(source);
                    assertTrue(pkg.find(), "no package declaration in " + f);
                    String name = pkg.group(1);
                    record(name.equals(ROOT) ? TOP : name.substring(ROOT.length() + 1), source, graph);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return graph;
    }

    /** Adds the references of one source file of package {@code from} (relative to the module root). */
    private static void record(String from, String source, Map<String, Set<String>> graph) {
        Set<String> targets = graph.computeIfAbsent(from, k -> new TreeSet<>());
        Matcher reference = REFERENCE.matcher(codeOnly(source));
        while (reference.find()) {
            String to = reference.group(1).isEmpty() ? TOP : reference.group(1).substring(1);
            if (!to.equals(from)) {
                targets.add(to);
            }
        }
    }

    /** The source with comments and string and character literals blanked out. */
    private static String codeOnly(String source) {
        StringBuilder code = new StringBuilder(source.length());
        int i = 0;
        while (i < source.length()) {
            char c = source.charAt(i);
            if (source.startsWith("//", i)) {
                int end = source.indexOf('\n', i);
                i = end < 0 ? source.length() : end;
            } else if (source.startsWith("/*", i)) {
                int end = source.indexOf("*/", i + 2);
                i = end < 0 ? source.length() : end + 2;
                code.append(' ');
            } else if (source.startsWith("\"\"\"", i)) {
                int end = source.indexOf("\"\"\"", i + 3);
                i = end < 0 ? source.length() : end + 3;
                code.append("\"\"");
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < source.length() && source.charAt(j) != c) {
                    j += source.charAt(j) == '\\' ? 2 : 1;
                }
                i = j + 1;
                code.append(c).append(c);
            } else {
                code.append(c);
                i++;
            }
        }
        return code.toString();
    }

    /** One cycle as a path that starts and ends at the same package, or an empty list. */
    private static List<String> findCycle(Map<String, Set<String>> graph) {
        Map<String, Integer> state = new HashMap<>(); // absent: unvisited, 1: on the path, 2: done
        for (String start : graph.keySet()) {
            List<String> path = new ArrayList<>();
            if (visit(start, graph, state, path)) {
                return path;
            }
        }
        return List.of();
    }

    private static boolean visit(String node, Map<String, Set<String>> graph, Map<String, Integer> state,
                                 List<String> path) {
        Integer seen = state.get(node);
        if (seen != null && seen == 2) {
            return false;
        }
        if (seen != null) {
            path.subList(0, path.indexOf(node)).clear();
            path.add(node);
            return true;
        }
        state.put(node, 1);
        path.add(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            if (visit(next, graph, state, path)) {
                return true;
            }
        }
        path.remove(path.size() - 1);
        state.put(node, 2);
        return false;
    }
}
