package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.TestDistribution;
import io.meerkat.distribution.config.ConfigLoader;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With a token configured, every request must carry it as a bearer token. */
class TokenTest {

    @TempDir
    Path root;

    @Test
    void missingOrWrongTokensAreRefusedWith401() {
        var distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE);
        try (Launcher launcher = Launcher.start(distribution.config(Map.of(ConfigLoader.TOKEN, "s3cret-s3cret-s3cret")), true, step -> { })) {
            var base = launcher.http().baseUri();

            ApiClient.Answer none = new ApiClient(base).get("/v1/health");
            ApiClient.Answer wrong = new ApiClient(base, "guess").get("/metrics");
            ApiClient.Answer right = new ApiClient(base, "s3cret-s3cret-s3cret").get("/v1/health");
            ApiClient.Answer lowerCaseScheme = new ApiClient(base).send(new ApiClient(base).request("/v1/health")
                    .header("Authorization", "bearer s3cret-s3cret-s3cret").GET());
            assertEquals(200, lowerCaseScheme.status(), "the scheme is case-insensitive");

            assertEquals(401, none.status());
            assertEquals("unauthorized", none.errorCode());
            assertEquals(401, wrong.status());
            assertEquals(200, right.status());
        }
    }
}
