package io.meerkat.distribution.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.TestDistribution;
import io.meerkat.distribution.config.ConfigException;
import io.meerkat.distribution.config.ConfigLoader;
import io.meerkat.distribution.config.LauncherConfig;
import io.meerkat.distribution.http.ApiClient;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher on its durable store, in this JVM: a store that refuses writes answers 503
 * {@code store_unavailable} and leaves reads going; what a launcher left in its data folder is taken up by
 * the next one (a finished input still answers its completion, a session whose executor is missing says so).
 * The packaged launcher's restart is {@code DurableLauncherIT}.
 */
class DurableLauncherTest {

    @TempDir
    Path root;

    private LauncherConfig sqliteConfig(TestDistribution distribution) {
        return distribution.config(Map.of(ConfigLoader.STORE, "sqlite",
                ConfigLoader.DATA, root.resolve("data").toString()));
    }

    @Test
    void aStoreThatRefusesWritesAnswers503StoreUnavailableAndReadsGoOn() {
        var distribution = TestDistribution.create(root.resolve("home"), TestDistribution.REGISTRY_BUNDLE);
        AtomicReference<FailingStore> store = new AtomicReference<>();
        try (Launcher launcher = Launcher.start(sqliteConfig(distribution), true, step -> { },
                real -> {
                    store.set(new FailingStore(real));
                    return store.get();
                })) {
            ApiClient api = new ApiClient(launcher.http().baseUri());
            String session = api.createSession("echo", "{\"template\":\"echo: {text}\"}");
            String done = api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"before\"}").text("inputId");
            assertEquals(200, api.get("/v1/sessions/" + session + "/inputs/" + done + "/completion?timeoutMs=10000").status());

            store.get().failing(true);
            Answer create = api.post("/v1/sessions", "{\"executor\":\"echo\"}");
            assertStoreUnavailable(create);
            Answer submit = api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"refused\"}");
            assertStoreUnavailable(submit);
            assertStoreUnavailable(api.delete("/v1/sessions/" + session));
            assertTrue(store.get().refused() >= 3, "the writes never reached the store");

            // Reads go on while the store refuses writes, and nothing of the refused requests was made.
            assertEquals(200, api.get("/v1/health").status());
            assertEquals(1, api.get("/v1/sessions").json().path("sessions").size(), api.get("/v1/sessions").body());
            Answer status = api.get("/v1/sessions/" + session);
            assertEquals(200, status.status(), status.body());
            assertEquals(0, status.json().path("activeInputs").size(), status.body());
            Answer completion = api.get("/v1/sessions/" + session + "/inputs/" + done + "/completion");
            assertEquals(200, completion.status(), completion.body());
            assertEquals("completed", completion.text("outcome"));

            store.get().failing(false);
            String after = api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"after\"}").text("inputId");
            Answer completed = api.get("/v1/sessions/" + session + "/inputs/" + after + "/completion?timeoutMs=10000");
            assertEquals(200, completed.status(), completed.body());
            assertEquals("echo: after", completed.json().path("result").path("text").asString());
        }
    }

    private static void assertStoreUnavailable(Answer answer) {
        assertEquals(503, answer.status(), answer.body());
        assertEquals("store_unavailable", answer.errorCode(), answer.body());
        assertEquals("1", answer.headers().firstValue("Retry-After").orElse(null), "no Retry-After");
    }

    @Test
    void aSecondLauncherOnTheSameStoreIsRefusedUntilTheFirstCloses() {
        var distribution = TestDistribution.create(root.resolve("home"), TestDistribution.REGISTRY_BUNDLE);
        try (Launcher first = Launcher.start(sqliteConfig(distribution), true, step -> { })) {
            ConfigException refused = assertThrows(ConfigException.class,
                    () -> Launcher.start(sqliteConfig(distribution), false, step -> { }).close());
            assertTrue(refused.getMessage().startsWith("another meerkat launcher runs on the store in "),
                    refused.getMessage());
            assertEquals(200, new ApiClient(first.http().baseUri()).get("/v1/health").status());
        }
        try (Launcher next = Launcher.start(sqliteConfig(distribution), false, step -> { })) {
            assertEquals(0, next.runtime().sessions().size());
        }
    }

    @Test
    void aCompletionFinishedBeforeARestartIsAnsweredFromTheStore() {
        // No outcome-history bundle: after the restart only the store remembers the result.
        var distribution = TestDistribution.create(root.resolve("home"), TestDistribution.REGISTRY_BUNDLE);
        String session;
        String input;
        try (Launcher first = Launcher.start(sqliteConfig(distribution), true, step -> { })) {
            ApiClient api = new ApiClient(first.http().baseUri());
            session = api.createSession("echo", "{\"template\":\"echo: {text}\"}");
            input = api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"kept\"}").text("inputId");
            Answer completion = api.get("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=10000");
            assertEquals("echo: kept", completion.json().path("result").path("text").asString(), completion.body());
        }
        try (Launcher second = Launcher.start(sqliteConfig(distribution), true, step -> { })) {
            ApiClient api = new ApiClient(second.http().baseUri());
            Answer completion = api.get("/v1/sessions/" + session + "/inputs/" + input + "/completion");
            assertEquals(200, completion.status(), completion.body());
            assertEquals("completed", completion.text("outcome"), completion.body());
            assertEquals("echo: kept", completion.json().path("result").path("text").asString(), completion.body());
        }
    }

    @Test
    void aCompletionOfAnInputRecoveredUnfinishedWaitsForIt() {
        var distribution = TestDistribution.create(root.resolve("home"), TestDistribution.REGISTRY_BUNDLE);
        String session;
        String queued;
        try (Launcher first = Launcher.start(sqliteConfig(distribution), true, step -> { })) {
            ApiClient api = new ApiClient(first.http().baseUri());
            session = api.createSession("echo", "{\"delayMs\":1000,\"template\":\"echo: {text}\"}");
            api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"running\"}");
            queued = api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"queued\"}").text("inputId");
        }
        try (Launcher second = Launcher.start(sqliteConfig(distribution), true, step -> { })) {
            ApiClient api = new ApiClient(second.http().baseUri());
            // No waiter survived the restart: the poll gets one from the session and waits on it.
            Answer completion = api.get("/v1/sessions/" + session + "/inputs/" + queued + "/completion?timeoutMs=30000");
            assertEquals(200, completion.status(), completion.body());
            assertEquals("echo: queued", completion.json().path("result").path("text").asString(), completion.body());
        }
    }

    @Test
    void aRecoveredSessionWhoseExecutorIsMissingKeepsItsInputsAndSaysWhy() throws Exception {
        var distribution = TestDistribution.create(root.resolve("home"), TestDistribution.REGISTRY_BUNDLE);
        String session;
        try (Launcher first = Launcher.start(sqliteConfig(distribution), true, step -> { })) {
            ApiClient api = new ApiClient(first.http().baseUri());
            session = api.createSession("echo", "{\"delayMs\":600000}");
            for (int i = 0; i < 2; i++) {
                assertEquals(202, api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"waits " + i + "\"}").status());
            }
            Answer running = api.get("/v1/sessions/" + session);
            assertNull(running.json().get("executorUnavailable"), "a session that runs is flagged: " + running.body());
        }
        Files.delete(distribution.home().resolve("plugins/echo-executor.jar"));
        try (Launcher second = Launcher.start(sqliteConfig(distribution), true, step -> { })) {
            ApiClient api = new ApiClient(second.http().baseUri());
            Answer status = api.get("/v1/sessions/" + session);
            assertEquals(200, status.status(), status.body());
            String why = status.text("executorUnavailable");
            assertNotNull(why, status.body());
            assertTrue(why.startsWith("executor_unavailable") && why.contains("'echo'"), why);
            assertEquals(2, status.json().path("activeInputs").size(), status.body());
        }
    }
}
