package io.meerkat.benchmarks;

import io.meerkat.benchmarks.plugin.BenchPlugins;
import io.meerkat.plugin.host.ExecutorPluginHost;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Plugin load and start time, per plugin, in a warm JVM.
 *
 * <ul>
 *   <li>{@code pluginHost}: {@link ExecutorPluginHost#start} on a folder of {@code plugins} generated
 *       plugin jars (PF4J reads each manifest, creates its class loader, starts it, instantiates its
 *       {@code ExecutorFactory} extension, checks kinds), then {@code close()} (stop and unload all).</li>
 *   <li>{@code baselineClassLoader}: the least anyone could do with the same jars: for each, open it,
 *       read the manifest and {@code META-INF/extensions.idx}, create a {@link URLClassLoader}, load and
 *       instantiate the factory, read its kind, close the loader.</li>
 * </ul>
 * Divide by {@code plugins} for the per-plugin figure; the ratio of the two is the host's overhead.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PluginLoadBenchmark {

    @Param({"1", "10"})
    public int plugins;

    private Path folder;
    private List<Path> jars;

    @Setup
    public void writePlugins() throws IOException {
        folder = Files.createTempDirectory("meerkat-bench-plugins");
        jars = BenchPlugins.write(folder, plugins);
    }

    @TearDown
    public void deletePlugins() throws IOException {
        TempFolders.delete(folder);
    }

    @Benchmark
    public int pluginHost() {
        try (ExecutorPluginHost host = ExecutorPluginHost.start(folder)) {
            int kinds = host.kinds().size();
            if (kinds != plugins) {
                throw new IllegalStateException("expected " + plugins + " kinds, got " + host.plugins());
            }
            return kinds;
        }
    }

    @Benchmark
    public void baselineClassLoader(Blackhole blackhole) throws Exception {
        for (Path jar : jars) {
            String factoryClass;
            try (JarFile file = new JarFile(jar.toFile())) {
                blackhole.consume(file.getManifest().getMainAttributes().getValue("Plugin-Id"));
                try (BufferedReader index = new BufferedReader(new InputStreamReader(
                        file.getInputStream(file.getEntry("META-INF/extensions.idx")), StandardCharsets.UTF_8))) {
                    factoryClass = index.readLine();
                }
            }
            try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()},
                    PluginLoadBenchmark.class.getClassLoader()) {
                @Override
                protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                    // Child first for the plugin's own classes, as PF4J does.
                    if (name.startsWith("io.meerkat.benchmarks.plugin.")) {
                        synchronized (getClassLoadingLock(name)) {
                            Class<?> loaded = findLoadedClass(name);
                            return loaded != null ? loaded : findClass(name);
                        }
                    }
                    return super.loadClass(name, resolve);
                }

                @Override
                public URL getResource(String name) {
                    URL own = findResource(name);
                    return own != null ? own : super.getResource(name);
                }

                @Override
                public java.io.InputStream getResourceAsStream(String name) {
                    try {
                        URL own = getResource(name);
                        return own == null ? null : own.openStream();
                    } catch (IOException e) {
                        return null;
                    }
                }
            }) {
                ExecutorFactory factory = (ExecutorFactory) loader.loadClass(factoryClass)
                        .getDeclaredConstructor().newInstance();
                blackhole.consume(factory.kind());
            }
        }
    }
}
