package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.http.ApiClient;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** A broken plugin or bundle is reported and skipped; the launcher starts and serves the rest. */
class BrokenPluginsAndBundlesTest {

    @TempDir
    Path root;

    @Test
    void theLauncherStartsAndReportsWhatIsBroken() throws Exception {
        var distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE);
        Files.writeString(root.resolve("plugins/broken-plugin.jar"), "not a jar at all");
        Files.writeString(root.resolve("bundles/broken-bundle.jar"), "not a bundle either");

        try (Launcher launcher = Launcher.start(distribution.config(), true, step -> { })) {
            ApiClient api = new ApiClient(launcher.http().baseUri());

            JsonNode plugins = api.get("/v1/plugins").json().path("plugins");
            boolean brokenReported = false;
            for (JsonNode plugin : plugins) {
                if (plugin.path("path").asString().endsWith("broken-plugin.jar")) {
                    brokenReported = true;
                    assertEquals("failed", plugin.path("state").asString(), plugin.toString());
                    assertTrue(!plugin.path("reason").asString().isBlank(), plugin.toString());
                }
            }
            assertTrue(brokenReported, "the broken plugin is listed: " + plugins);

            JsonNode bundles = api.get("/v1/completion-registry").json().path("bundles");
            boolean bundleReported = false;
            for (JsonNode bundle : bundles) {
                if (bundle.path("symbolicName").asString().equals("broken-bundle.jar")) {
                    bundleReported = true;
                    assertEquals("FAILED", bundle.path("state").asString(), bundle.toString());
                }
            }
            assertTrue(bundleReported, "the broken bundle is listed: " + bundles);
            assertEquals("in-memory", api.get("/v1/completion-registry").text("name"));

            String session = api.createSession("echo", "{}");
            String input = api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"still works\"}").text("inputId");
            Answer completion = api.get("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=10000");
            assertEquals("completed", completion.text("outcome"), completion.body());
        }
    }
}
