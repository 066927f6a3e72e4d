package io.meerkat.plugin.host;

import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

/**
 * Builds a real PF4J plugin jar in a test: compiles the given Java sources in-process against the
 * runtime API, PF4J and {@link Journal}, and writes them with a manifest and an extension index.
 */
final class PluginJarBuilder {

    private final String fileName;
    private final Map<String, String> manifest = new LinkedHashMap<>();
    private final Map<String, String> sources = new LinkedHashMap<>();
    private final List<String> extensions = new ArrayList<>();
    private final Set<String> omitted = new HashSet<>();
    private boolean writeManifest = true;

    private PluginJarBuilder(String pluginId) {
        this.fileName = pluginId + ".jar";
        manifest.put("Plugin-Id", pluginId);
        manifest.put("Plugin-Version", "1.0.0");
    }

    static PluginJarBuilder plugin(String pluginId) {
        return new PluginJarBuilder(pluginId);
    }

    /** Sets a manifest header; {@code null} removes it. */
    PluginJarBuilder manifest(String header, String value) {
        if (value == null) {
            manifest.remove(header);
        } else {
            manifest.put(header, value);
        }
        return this;
    }

    PluginJarBuilder withoutManifest() {
        writeManifest = false;
        return this;
    }

    PluginJarBuilder source(String className, String source) {
        sources.put(className, source);
        return this;
    }

    /** Lists the class in {@code META-INF/extensions.idx}. */
    PluginJarBuilder extension(String className) {
        extensions.add(className);
        return this;
    }

    /** Writes no {@code META-INF/extensions.idx}, as a build without PF4J's annotation processor does. */
    PluginJarBuilder withoutExtensionIndex() {
        extensions.clear();
        return this;
    }

    /** Compiles the class but leaves it out of the jar. */
    PluginJarBuilder omit(String className) {
        omitted.add(className);
        return this;
    }

    Path writeTo(Path folder) throws IOException {
        Path classes = Files.createTempDirectory("plugin-classes");
        compile(classes);
        Path jar = folder.resolve(fileName);
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.forEach((header, value) -> mf.getMainAttributes().putValue(header, value));
        try (OutputStream file = Files.newOutputStream(jar);
             JarOutputStream out = writeManifest ? new JarOutputStream(file, mf) : new JarOutputStream(file)) {
            try (Stream<Path> files = Files.walk(classes)) {
                for (Path classFile : files.filter(Files::isRegularFile).toList()) {
                    String entry = classes.relativize(classFile).toString().replace('\\', '/');
                    String className = entry.substring(0, entry.length() - ".class".length()).replace('/', '.');
                    if (omitted.contains(className)) {
                        continue;
                    }
                    out.putNextEntry(new JarEntry(entry));
                    Files.copy(classFile, out);
                    out.closeEntry();
                }
            }
            if (!extensions.isEmpty()) {
                out.putNextEntry(new JarEntry("META-INF/extensions.idx"));
                out.write((String.join("\n", extensions) + "\n").getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
        return jar;
    }

    /** Writes bytes that are not a jar at all. */
    static Path garbage(Path folder, String fileName) throws IOException {
        return Files.write(folder.resolve(fileName), "this is not a jar".getBytes(StandardCharsets.UTF_8));
    }

    private void compile(Path output) throws IOException {
        if (sources.isEmpty()) {
            return;
        }
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        List<JavaFileObject> units = new ArrayList<>();
        sources.forEach((className, source) -> units.add(new SourceFile(className, source)));
        String classpath = String.join(java.io.File.pathSeparator,
                locationOf(ExecutorFactory.class), locationOf(org.pf4j.Plugin.class), locationOf(Journal.class));
        StringWriter diagnostics = new StringWriter();
        boolean ok = compiler.getTask(diagnostics, null, null,
                List.of("-classpath", classpath, "-d", output.toString(), "-proc:none", "--release", "17"),
                null, units).call();
        if (!ok) {
            throw new IllegalStateException("fixture sources do not compile:\n" + diagnostics);
        }
    }

    private static String locationOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class SourceFile extends SimpleJavaFileObject {
        private final String source;

        SourceFile(String className, String source) {
            super(URI.create("string:///" + className.replace('.', '/') + Kind.SOURCE.extension), Kind.SOURCE);
            this.source = source;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return source;
        }
    }
}
