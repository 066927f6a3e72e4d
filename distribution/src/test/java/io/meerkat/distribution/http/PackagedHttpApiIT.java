package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.PackagedLauncher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HttpApiContract} against the packaged distribution started as its own process; and its token
 * check, as a user configures it (environment variable).
 */
class PackagedHttpApiIT extends HttpApiContract {

    @TempDir
    static Path folder;

    static PackagedLauncher launcher;
    static ApiClient api;

    @BeforeAll
    static void start() throws IOException {
        launcher = new PackagedLauncher();
        Path config = folder.resolve("meerkat.properties");
        Files.writeString(config, Files.readString(PackagedLauncher.DIST.resolve("conf/meerkat.properties"))
                + "\nmeerkat.http.max-body-bytes=" + MAX_BODY_BYTES + "\n"
                + "meerkat.session.max-queued-inputs=" + MAX_QUEUED_INPUTS + "\n");
        api = new ApiClient(launcher.serve(Map.of(), "--config", config.toString()).uri());
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

    @Test
    void aShortTokenRefusesToStartWithOneLine() throws Exception {
        try (PackagedLauncher refused = new PackagedLauncher()) {
            PackagedLauncher.Result result = refused.run("serve", "--port", "0", "--token", "short");

            assertEquals(1, result.exitCode(), result.stderr());
            assertTrue(result.stderr().contains("has 5 character(s); use at least 16"), result.stderr());
        }
    }

    @Test
    void aTokenFromTheEnvironmentGuardsEveryRequest() throws Exception {
        try (PackagedLauncher guarded = new PackagedLauncher()) {
            var served = guarded.serve(Map.of("MEERKAT_TOKEN", "s3cret-s3cret-s3cret"), "--bind", "0.0.0.0");
            var base = java.net.URI.create("http://127.0.0.1:" + served.uri().getPort());

            assertEquals(401, new ApiClient(base).get("/v1/health").status());
            assertEquals(401, new ApiClient(base, "wrong").get("/v1/sessions").status());
            assertEquals(200, new ApiClient(base, "s3cret-s3cret-s3cret").get("/v1/health").status());
        }
    }
}
