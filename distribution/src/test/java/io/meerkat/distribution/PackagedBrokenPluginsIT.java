package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.PackagedLauncher.Result;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code bin/meerkat} with broken plugins beside the shipped echo plugin: an unreadable
 * archive, and a third-party plugin declaring the kind {@code echo}. Each failure is one line with its
 * reason (stack traces only at debug) and the command exits non-zero.
 */
class PackagedBrokenPluginsIT {

    private final PackagedLauncher launcher = new PackagedLauncher();

    @TempDir
    Path plugins;

    @BeforeEach
    void brokenPlugins() throws IOException {
        Path echo = PackagedLauncher.DIST.resolve("plugins/echo-executor.jar");
        Files.copy(echo, plugins.resolve("echo-executor.jar"));
        Files.writeString(plugins.resolve("broken.jar"), "not a jar at all");
        withPluginId(echo, plugins.resolve("third-party-echo.jar"), "third-party-echo");
    }

    @AfterEach
    void killLeftovers() {
        launcher.close();
    }

    @Test
    void pluginsListsEachFailureOnOneLineAndExitsNonZero() throws Exception {
        Result result = launcher.run("plugins", "--plugins", plugins.toString());
        assertEquals(1, result.exitCode(), result.stdout() + result.stderr());
        assertTrue(result.stdout().lines().anyMatch(line -> line.startsWith("broken.jar") && line.contains("failed")
                && line.contains("cannot be loaded")), result.stdout());
        assertTrue(result.stdout().lines().anyMatch(line -> line.startsWith("echo-executor") && line.contains("failed")
                && line.contains("also declared by plugin 'third-party-echo'")), result.stdout());
        assertTrue(result.stdout().lines().anyMatch(line -> line.startsWith("third-party-echo") && line.contains("failed")
                && line.contains("also declared by plugin 'echo-executor'")), result.stdout());
        assertNoStackTrace(result.stderr());
        assertTrue(result.stderr().contains("meerkat: 3 failed: plugin broken.jar, plugin echo-executor, "
                + "plugin third-party-echo"), result.stderr());
    }

    @Test
    void atDebugTheStackTracesAreThere() throws Exception {
        Result result = launcher.run(Map.of("MEERKAT_LOG_LEVEL", "debug"), "plugins", "--plugins", plugins.toString());
        assertEquals(1, result.exitCode(), result.stderr());
        assertTrue(result.stderr().lines().anyMatch(line -> line.startsWith("\tat ")), result.stderr());
    }

    @Test
    void serveCheckExitsNonZeroWhenAPluginFailed() throws Exception {
        Result result = launcher.run("serve", "--port", "0", "--check", "--plugins", plugins.toString());
        assertEquals(1, result.exitCode(), result.stderr());
        assertTrue(result.stdout().contains("meerkat ready: "), result.stdout());
        assertNoStackTrace(result.stderr());
        assertTrue(result.stderr().contains("meerkat: 3 failed: "), result.stderr());
    }

    @Test
    void serveCheckExitsZeroWhenEverythingStarted() throws Exception {
        Files.delete(plugins.resolve("broken.jar"));
        Files.delete(plugins.resolve("third-party-echo.jar"));
        Result result = launcher.run("serve", "--port", "0", "--check", "--plugins", plugins.toString());
        assertEquals(0, result.exitCode(), result.stderr());
    }

    private static void assertNoStackTrace(String stderr) {
        assertTrue(stderr.lines().noneMatch(line -> line.startsWith("\tat ") || line.startsWith("Caused by:")),
                "no stack trace at the default level:\n" + stderr);
    }

    /** A copy of {@code jar} under another {@code Plugin-Id}: a third-party plugin serving the same kind. */
    private static void withPluginId(Path jar, Path copy, String pluginId) throws IOException {
        try (JarFile in = new JarFile(jar.toFile());
             OutputStream file = Files.newOutputStream(copy)) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().putValue("Plugin-Id", pluginId);
            try (JarOutputStream out = new JarOutputStream(file, manifest)) {
                for (JarEntry entry : java.util.Collections.list(in.entries())) {
                    if (entry.getName().equalsIgnoreCase(JarFile.MANIFEST_NAME)) {
                        continue;
                    }
                    out.putNextEntry(new JarEntry(entry.getName()));
                    try (InputStream content = in.getInputStream(entry)) {
                        content.transferTo(out);
                    }
                    out.closeEntry();
                }
            }
        }
    }
}
