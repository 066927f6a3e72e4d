package io.meerkat.distribution.http;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.TestDistribution;
import io.meerkat.distribution.config.ConfigLoader;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** {@link HttpApiContract} against a launcher started in this JVM. */
class InProcessHttpApiTest extends HttpApiContract {

    @TempDir
    static Path root;

    static Launcher launcher;
    static ApiClient api;

    @BeforeAll
    static void start() {
        var distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE, TestDistribution.HISTORY_BUNDLE);
        launcher = Launcher.start(distribution.config(Map.of(ConfigLoader.MAX_BODY_BYTES, Integer.toString(MAX_BODY_BYTES),
                        ConfigLoader.MAX_QUEUED_INPUTS, Integer.toString(MAX_QUEUED_INPUTS))),
                true, step -> { });
        api = new ApiClient(launcher.http().baseUri());
    }

    @AfterAll
    static void stop() {
        if (launcher != null) {
            launcher.close();
        }
    }

    @Override
    protected ApiClient api() {
        return api;
    }
}
