package io.meerkat.plugin.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.Submission;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unloading a plugin releases its class loader, even after its executors served sessions. */
class PluginUnloadTest {

    @TempDir
    Path plugins;

    @Test
    void anUnloadedPluginsClassLoaderBecomesUnreachable() throws Exception {
        Fixtures.plugin("alpha", "a").writeTo(plugins);
        Fixtures.plugin("beta", "b").writeTo(plugins);
        try (ExecutorPluginHost host = ExecutorPluginHost.start(plugins, "0.1.0");
             MeerkatRuntime runtime = ExecutorPluginHostTest.runtimeOn(host)) {
            WeakReference<ClassLoader> loader = new WeakReference<>(
                    host.factory("a").orElseThrow().getClass().getClassLoader());
            SessionHandle used = runtime.createSession(SessionSpec.of("a"));
            assertEquals("a:one", ExecutorPluginHostTest.reply(used, "one"));
            SessionHandle held = runtime.createSession(SessionSpec.of("a").withConfig(Map.of("hold", "true")));
            Submission inFlight = held.submit(Input.prompt("pending"));

            PluginReport unloaded = host.unloadPlugin("alpha", "removed by the operator");

            assertEquals(PluginStatus.UNLOADED, unloaded.status());
            assertEquals("removed by the operator", unloaded.reason());
            assertEquals(RuntimeState.STOPPED, used.state());
            assertEquals(new CompletionOutcome.RuntimeTerminated("plugin 'alpha' stopped: removed by the operator"),
                    inFlight.completion().get(10, TimeUnit.SECONDS));
            assertTrue(runtime.session(held.id()).isPresent(), "stopped sessions stay listed");
            awaitCollected(loader);
            assertNull(loader.get(), "the plugin's class loader was collected");

            assertEquals(Set.of("b"), host.kinds());
            assertEquals("b:two", ExecutorPluginHostTest.reply(runtime.createSession(SessionSpec.of("b")), "two"));
        }
    }

    /**
     * A plugin whose executor ran work on the runtime's blocking pool, so that pool threads were created
     * while plugin code was on the stack: the threads live on, the plugin's class loader must not.
     */
    @Test
    void threadsTheRuntimeStartedForAPluginDoNotKeepItsClassLoader() throws Exception {
        Fixtures.plugin("gamma", "g").writeTo(plugins);
        try (ExecutorPluginHost host = ExecutorPluginHost.start(plugins, "0.1.0");
             MeerkatRuntime runtime = ExecutorPluginHostTest.runtimeOn(host)) {
            WeakReference<ClassLoader> loader = new WeakReference<>(
                    host.factory("g").orElseThrow().getClass().getClassLoader());
            SessionHandle session = runtime.createSession(SessionSpec.of("g").withConfig(Map.of("blocking", "true")));
            assertEquals("g:on the pool", ExecutorPluginHostTest.reply(session, "on the pool"));

            host.unloadPlugin("gamma", "test unload");

            awaitCollected(loader);
            assertNull(loader.get(), "a runtime thread created for the plugin still holds its class loader");
        }
    }

    /** Collects garbage until the reference clears, for at most about five seconds. */
    private static void awaitCollected(WeakReference<?> reference) throws InterruptedException {
        for (int attempt = 0; attempt < 100 && reference.get() != null; attempt++) {
            System.gc();
            // Gives the collector and reference processing time; the loop ends as soon as the reference clears.
            Thread.sleep(50);
        }
    }
}
