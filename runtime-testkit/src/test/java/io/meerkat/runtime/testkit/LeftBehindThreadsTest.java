package io.meerkat.runtime.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The unload-leak failure of {@link PluginArchiveTest} names the threads a plugin left running. */
class LeftBehindThreadsTest {

    @Test
    void namesTheThreadsStartedSinceAndMarksThePluginsOwn() throws Exception {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        try (URLClassLoader pluginLoader = new URLClassLoader(new URL[0], getClass().getClassLoader())) {
            Thread leaked = new Thread(() -> {
                running.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "plugin-poller");
            leaked.setContextClassLoader(pluginLoader);
            leaked.start();
            try {
                assertTrue(running.await(10, TimeUnit.SECONDS));
                String report = PluginArchiveTest.leftBehind(pluginLoader, before);
                assertTrue(report.startsWith("threads started during the test and still alive (end them in the "
                        + "factory's close()): "), report);
                assertTrue(report.contains("'plugin-poller' ("), report);
                assertTrue(report.contains("[the plugin's: its class or context class loader]"), report);
            } finally {
                release.countDown();
                leaked.join(10_000);
            }
            String none = PluginArchiveTest.leftBehind(pluginLoader, Set.copyOf(Thread.getAllStackTraces().keySet()));
            assertTrue(none.startsWith("no thread started during the test is still alive"), none);
        }
    }
}
