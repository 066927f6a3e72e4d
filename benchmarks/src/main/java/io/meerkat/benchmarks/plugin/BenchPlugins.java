package io.meerkat.benchmarks.plugin;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Writes PF4J plugin jars for the benchmarks: plugin {@code bench-i} serves kind {@code bench-i} with
 * {@link BenchExecutorFactory}, listed in {@code META-INF/extensions.idx} as the PF4J annotation
 * processor would list it.
 */
public final class BenchPlugins {

    private static final String[] CLASSES = {
        BenchExecutorFactory.class.getName(), BenchExecutorFactory.class.getName() + "$Executor"};

    private BenchPlugins() {
    }

    /** Writes {@code count} plugin jars into {@code folder}; returns their paths. */
    public static List<Path> write(Path folder, int count) throws IOException {
        Files.createDirectories(folder);
        List<Path> jars = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            jars.add(write(folder, "bench-" + i));
        }
        return jars;
    }

    private static Path write(Path folder, String id) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Plugin-Id", id);
        main.putValue("Plugin-Version", "1.0.0");
        main.putValue("Plugin-Requires", ">=0.1.0");
        Path jar = folder.resolve(id + ".jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            for (String name : CLASSES) {
                String resource = name.replace('.', '/') + ".class";
                out.putNextEntry(new JarEntry(resource));
                try (InputStream in = BenchPlugins.class.getClassLoader().getResourceAsStream(resource)) {
                    in.transferTo(out);
                }
                out.closeEntry();
            }
            entry(out, "META-INF/extensions.idx", BenchExecutorFactory.class.getName() + "\n");
            entry(out, BenchExecutorFactory.KIND_RESOURCE, id);
        }
        return jar;
    }

    private static void entry(OutputStream jar, String name, String text) throws IOException {
        JarOutputStream out = (JarOutputStream) jar;
        out.putNextEntry(new JarEntry(name));
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
    }
}
