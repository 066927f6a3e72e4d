package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.TestDistribution;
import io.meerkat.distribution.config.ConfigLoader;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clients cannot create sessions without bound: past {@code meerkat.runtime.max-sessions}, 429. */
class SessionLimitTest {

    @TempDir
    Path root;

    @Test
    void pastTheLimitASessionIsRefusedUntilOneIsDeleted() {
        var distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE);
        try (Launcher launcher = Launcher.start(distribution.config(Map.of(ConfigLoader.MAX_SESSIONS, "3")), true,
                step -> { })) {
            ApiClient api = new ApiClient(launcher.http().baseUri());
            List<String> sessions = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                sessions.add(api.createSession("echo", "{}"));
            }

            Answer refused = api.post("/v1/sessions", "{\"executor\":\"echo\"}");
            assertEquals(429, refused.status(), refused.body());
            assertEquals("too_many_sessions", refused.errorCode());
            assertTrue(refused.body().contains("meerkat.runtime.max-sessions"), refused.body());
            assertEquals(3, launcher.runtime().sessions().size(), "nothing was created");

            assertEquals(200, api.delete("/v1/sessions/" + sessions.get(0)).status());
            assertEquals(201, api.post("/v1/sessions", "{\"executor\":\"echo\"}").status());
        }
    }
}
