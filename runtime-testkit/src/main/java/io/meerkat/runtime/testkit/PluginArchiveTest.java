package io.meerkat.runtime.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.plugin.host.ExecutorPluginHost;
import io.meerkat.plugin.host.PluginReport;
import io.meerkat.plugin.host.PluginStatus;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks a packaged plugin archive the way the runtime loads it: dropped alone into a plugins
 * folder, it starts, serves its kind, runs a session, and once unloaded leaves nothing behind that
 * keeps its class loader alive. Run it after packaging, e.g. as a failsafe integration test:
 *
 * <pre>{@code
 * class EchoPluginArchiveIT extends PluginArchiveTest {
 *     protected Path archive() { return builtArchive(Path.of("target")); }
 *     protected String kind() { return "echo"; }
 *     protected Map<String, String> completingConfig() { return Map.of(); }
 * }
 * }</pre>
 */
public abstract class PluginArchiveTest {

    @TempDir
    Path plugins;

    /** The threads alive before the plugin was loaded, to tell which ones it left behind. */
    private Set<Thread> threadsBefore = Set.of();

    /** The plugin archive under test. */
    protected abstract Path archive();

    /** The executor kind the plugin serves. */
    protected abstract String kind();

    /** A configuration under which a run completes promptly. */
    protected abstract Map<String, String> completingConfig();

    /**
     * The one plugin jar a Maven build left in {@code folder}, skipping sources, javadoc, test and
     * pre-shading ({@code original-}) jars.
     */
    public static Path builtArchive(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> jars = files.filter(file -> {
                String name = file.getFileName().toString();
                return name.endsWith(".jar") && !name.startsWith("original-") && !name.endsWith("-sources.jar")
                        && !name.endsWith("-javadoc.jar") && !name.endsWith("-tests.jar");
            }).toList();
            if (jars.size() != 1) {
                throw new IllegalStateException("expected one plugin jar in " + folder + ", found " + jars);
            }
            return jars.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theArchiveStartsAndServesItsKind() throws IOException {
        try (ExecutorPluginHost host = ExecutorPluginHost.start(install())) {
            PluginReport report = onlyPlugin(host);
            assertEquals(PluginStatus.STARTED, report.status(), "the plugin starts: " + report);
            assertEquals(Set.of(kind()), report.executorKinds(), "it serves exactly its kind");
        }
    }

    @Test
    void aSessionRunsThroughTheLoadedPlugin() throws Exception {
        try (ExecutorPluginHost host = ExecutorPluginHost.start(install());
             MeerkatRuntime runtime = runtimeOn(host)) {
            SessionHandle session = runtime.createSession(SessionSpec.of(kind()).withConfig(completingConfig()));
            CompletionOutcome outcome = session.submit(Input.prompt("hello from the kit")).completion()
                    .get(30, TimeUnit.SECONDS);
            assertInstanceOf(CompletionOutcome.Completed.class, outcome, "the run completes: " + outcome);
        }
    }

    @Test
    void unloadingReleasesThePluginsClassLoader() throws Exception {
        threadsBefore = Set.copyOf(Thread.getAllStackTraces().keySet());
        try (ExecutorPluginHost host = ExecutorPluginHost.start(install());
             MeerkatRuntime runtime = runtimeOn(host)) {
            WeakReference<ClassLoader> loader = new WeakReference<>(
                    host.factory(kind()).orElseThrow().getClass().getClassLoader());
            SessionHandle session = runtime.createSession(SessionSpec.of(kind()).withConfig(completingConfig()));
            session.submit(Input.prompt("one run")).completion().get(30, TimeUnit.SECONDS);

            String pluginId = onlyPlugin(host).pluginId();
            assertEquals(PluginStatus.UNLOADED, host.unloadPlugin(pluginId, "kit unload").status());
            assertCollected(loader);
        }
    }

    /**
     * How long an unloaded plugin's class loader may stay reachable. On JDK 17 a thread the plugin
     * started keeps its class loader (through the thread's inherited access-control context) until the
     * thread ends, and JDK threads such as the HTTP client's selector end only at their next wake-up
     * (up to 3 s); override for plugins whose threads take longer.
     */
    protected Duration unloadPatience() {
        return Duration.ofSeconds(20);
    }

    /** Collects garbage until {@code loader} clears, failing after {@link #unloadPatience()}. */
    protected final void assertCollected(WeakReference<ClassLoader> loader) throws InterruptedException {
        long deadline = System.nanoTime() + unloadPatience().toNanos();
        while (loader.get() != null && System.nanoTime() < deadline) {
            System.gc();
            // Gives reference processing time; ends as soon as the reference clears.
            Thread.sleep(50);
        }
        ClassLoader leaked = loader.get();
        if (leaked != null) {
            String threads = leftBehind(leaked, threadsBefore);
            fail("a thread, cache or static of the plugin still holds its class loader after "
                    + unloadPatience().toMillis() + " ms; " + threads);
        }
    }

    /**
     * The threads started since {@code before} that are still alive, each with its state, where it is,
     * and whether it is the plugin's (its class or context class loader is {@code loader}): the usual
     * holders of an unloaded plugin's class loader.
     */
    static String leftBehind(ClassLoader loader, Set<Thread> before) {
        List<String> alive = new ArrayList<>();
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (before.contains(thread) || thread == Thread.currentThread()) {
                return;
            }
            boolean plugins = thread.getContextClassLoader() == loader || thread.getClass().getClassLoader() == loader;
            alive.add("'" + thread.getName() + "' (" + thread.getState()
                    + (stack.length == 0 ? "" : ", at " + stack[0]) + ")"
                    + (plugins ? " [the plugin's: its class or context class loader]" : ""));
        });
        Collections.sort(alive);
        return alive.isEmpty() ? "no thread started during the test is still alive (look for a static or a cache)"
                : "threads started during the test and still alive (end them in the factory's close()): "
                + String.join(", ", alive);
    }

    /** Copies the archive into a fresh plugins folder and returns the folder. */
    protected final Path install() throws IOException {
        Path source = archive();
        Files.copy(source, plugins.resolve(source.getFileName()));
        return plugins;
    }

    /** The one plugin the host loaded (fails if there is not exactly one). */
    protected static PluginReport onlyPlugin(ExecutorPluginHost host) {
        List<PluginReport> reports = host.plugins();
        assertEquals(1, reports.size(), "one plugin: " + reports);
        return reports.get(0);
    }

    /** A runtime whose executors come from {@code host}. */
    protected static MeerkatRuntime runtimeOn(ExecutorPluginHost host) {
        return MeerkatRuntimeBuilder.newBuilder()
                .executorCatalog(host)
                .completionRegistry(new InMemoryCompletionRegistry())
                .build();
    }
}
