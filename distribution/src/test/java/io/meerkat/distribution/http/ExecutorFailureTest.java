package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.TestDistribution;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client sees when a plugin is at fault: a factory whose {@code create} throws answers 400
 * {@code executor_failed} with the plugin's message, not 500; a kind no plugin serves names the
 * plugins that failed. The launcher stays healthy.
 */
class ExecutorFailureTest {

    @TempDir
    Path root;

    @Test
    void aThrowingFactoryIsTheExecutorsFaultAndAnUnknownKindNamesTheFailedPlugins() throws Exception {
        var distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE);
        throwingCreatePlugin(root.resolve("plugins/npe-plugin.jar"));
        Files.writeString(root.resolve("plugins/broken-plugin.jar"), "not a jar at all");

        try (Launcher launcher = Launcher.start(distribution.config(), true, step -> { })) {
            ApiClient api = new ApiClient(launcher.http().baseUri());

            Answer failed = api.post("/v1/sessions", "{\"executor\":\"npe\"}");
            assertEquals(400, failed.status(), failed.body());
            assertEquals("executor_failed", failed.errorCode(), failed.body());
            assertEquals("executor 'npe' failed to create the session: NullPointerException: model",
                    failed.json().path("error").path("message").asString());

            Answer unknown = api.post("/v1/sessions", "{\"executor\":\"ech0\"}");
            assertEquals(400, unknown.status(), unknown.body());
            assertEquals("unknown_executor", unknown.errorCode(), unknown.body());
            String message = unknown.json().path("error").path("message").asString();
            assertTrue(message.contains("no executor of kind 'ech0' (known: echo, npe)"), message);
            assertTrue(message.contains("plugins that failed to start: 'broken-plugin.jar' (GET /v1/plugins says why)"),
                    message);

            String session = api.createSession("echo", "{}");
            String input = api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"still fine\"}").text("inputId");
            Answer completion = api.get("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=10000");
            assertEquals("completed", completion.text("outcome"), completion.body());
        }
    }

    /** A plugin jar holding {@link ThrowingCreateFactory} as its one extension. */
    private static void throwingCreatePlugin(Path jar) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Plugin-Id", "npe-plugin");
        manifest.getMainAttributes().putValue("Plugin-Version", "1.0.0");
        String classFile = ThrowingCreateFactory.class.getName().replace('.', '/') + ".class";
        try (OutputStream file = Files.newOutputStream(jar);
             JarOutputStream out = new JarOutputStream(file, manifest);
             InputStream bytes = ThrowingCreateFactory.class.getResourceAsStream("ThrowingCreateFactory.class")) {
            out.putNextEntry(new JarEntry(classFile));
            bytes.transferTo(out);
            out.closeEntry();
            out.putNextEntry(new JarEntry("META-INF/extensions.idx"));
            out.write((ThrowingCreateFactory.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
    }
}
