package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.http.ApiClient;
import io.meerkat.distribution.PackagedLauncher.Result;
import io.meerkat.distribution.PackagedLauncher.Served;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged distribution ({@code target/meerkat-VERSION/}) as a user runs it: {@code bin/meerkat} in a
 * separate process, driven over HTTP with {@link java.net.http.HttpClient}.
 */
class PackagedLauncherIT {

    private static final Path DIST = PackagedLauncher.DIST;

    private final PackagedLauncher launcher = new PackagedLauncher();

    @AfterEach
    void killLeftovers() {
        launcher.close();
    }

    @Test
    void theDistributionHasEverythingItNeeds() {
        assertTrue(Files.isExecutable(DIST.resolve("bin/meerkat")), "bin/meerkat");
        for (String plugin : List.of("echo", "process", "openai")) {
            assertTrue(Files.isRegularFile(DIST.resolve("plugins/" + plugin + "-executor.jar")), plugin + " plugin");
        }
        assertTrue(Files.isRegularFile(DIST.resolve("examples/echo-agent.sh")), "example agent");
        assertTrue(Files.isRegularFile(DIST.resolve("bundles/completion-registry.jar")), "registry bundle");
        assertTrue(Files.isRegularFile(DIST.resolve("conf/meerkat.properties")), "configuration");
        assertTrue(Files.isRegularFile(DIST.resolve("README")), "README");
        assertTrue(Files.isRegularFile(DIST.resolveSibling(DIST.getFileName() + ".tar.gz")), "tarball");
    }

    @Test
    void servesSessionsUntilStoppedAndResolvesEveryCompletion() throws Exception {
        Served served = serve();
        ApiClient api = new ApiClient(served.uri());
        String session = api.createSession("echo", "{\"delayMs\":\"40\"}");
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            inputs.add(api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"n" + i + "\"}").text("inputId"));
        }
        Answer first = api.get("/v1/sessions/" + session + "/inputs/" + inputs.get(0) + "/completion?timeoutMs=20000");
        assertEquals("completed", first.text("outcome"), first.body());
        assertEquals(202, api.post("/v1/sessions/" + session + "/control", "{\"command\":\"cancel_current_run\"}").status());
        assertEquals(200, api.post("/v1/sessions/" + session + "/runtime", "{\"command\":\"stop\"}").status());

        int completed = 0;
        int terminated = 0;
        for (String input : inputs) {
            Answer completion = api.get("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=20000");
            assertEquals(200, completion.status(), "no completion stays pending: " + completion.body());
            switch (completion.text("outcome")) {
                case "completed" -> completed++;
                case "runtime_terminated", "abandoned" -> terminated++;
                default -> throw new AssertionError(completion.body());
            }
        }
        assertEquals(inputs.size(), completed + terminated);
        assertTrue(completed >= 1 && terminated >= 1, completed + " completed, " + terminated + " terminated");
        assertEquals(409, api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"late\"}").status());
        assertEquals(0, api.get("/v1/completion-registry").json().path("pendingWaiters").asInt());
    }

    @Test
    void sigtermShutsDownCleanlyAndAnswersEveryWaiter() throws Exception {
        Served served = serve();
        ApiClient api = new ApiClient(served.uri());
        String session = api.createSession("echo", "{\"delayMs\":\"600000\"}");
        List<CompletableFuture<Answer>> waiting = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String input = api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"w" + i + "\"}").text("inputId");
            waiting.add(CompletableFuture.supplyAsync(() ->
                    api.get("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=120000")));
        }
        awaitPendingWaiters(api, 5);

        served.process().destroy();

        for (CompletableFuture<Answer> answer : waiting) {
            Answer completion = answer.get(30, TimeUnit.SECONDS);
            assertEquals(200, completion.status(), completion.body());
            assertEquals("runtime_terminated", completion.text("outcome"), completion.body());
        }
        assertTrue(served.process().waitFor(30, TimeUnit.SECONDS), "the launcher exits");
        assertEquals(143, served.process().exitValue(), "exit status of a SIGTERM'd JVM");
        String err = Files.readString(served.stderr());
        assertTrue(err.contains(" ms] stopped"), err);
        assertFalse(err.contains("Exception"), err);
    }

    @Test
    void aNonLoopbackBindWithoutATokenRefusesToStartWithOneLine() throws Exception {
        Result result = run("serve", "--bind", "0.0.0.0", "--port", "0");

        assertEquals(1, result.exitCode());
        assertTrue(result.stderr().contains("refusing to bind the HTTP API to 0.0.0.0 without a token"), result.stderr());
        assertFalse(result.stderr().contains("\tat "), "no stack trace: " + result.stderr());
    }

    @Test
    void aPortInUseIsOneClearLine() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Result result = run("serve", "--port", Integer.toString(taken.getLocalPort()));

            assertEquals(1, result.exitCode());
            assertTrue(result.stderr().contains("meerkat: the HTTP API cannot listen on 127.0.0.1:" + taken.getLocalPort()),
                    result.stderr());
            assertFalse(result.stderr().contains("\tat "), "no stack trace: " + result.stderr());
        }
    }

    @Test
    void versionPluginsAndDemoWork() throws Exception {
        Result version = run("--version");
        assertEquals(0, version.exitCode());
        assertTrue(version.stdout().startsWith("meerkat " + LauncherVersion.version()), version.stdout());

        Result plugins = run("plugins");
        assertEquals(0, plugins.exitCode(), plugins.stderr());
        assertTrue(plugins.stdout().lines().anyMatch(l -> l.startsWith("echo-executor") && l.contains("started")),
                plugins.stdout());

        Result demo = run("demo", "--delay-ms", "100");
        assertEquals(0, demo.exitCode(), demo.stderr());
        assertTrue(demo.stdout().contains("outcomes (every submitter got one)"), demo.stdout());
        assertTrue(demo.stdout().contains("deduplicated"), demo.stdout());
        assertTrue(demo.stdout().contains("run cancelled (changed my mind)"), demo.stdout());
        assertTrue(demo.stdout().contains("runtime_terminated"), demo.stdout());
        assertTrue(demo.stdout().contains("state after the stop: stopped"), demo.stdout());
        // The restart: a new runtime on the same store takes the session up and runs the three inputs.
        assertTrue(demo.stdout().contains("a new runtime opens the same store: 1 session(s) recovered"), demo.stdout());
        String afterRestart = demo.stdout().substring(demo.stdout().indexOf("outcomes after the restart"));
        assertEquals(3, afterRestart.lines().filter(line -> line.contains("completed") && line.contains("\"echo: ")).count(),
                demo.stdout());
    }

    private Served serve() throws Exception {
        return launcher.serve(Map.of());
    }

    private Result run(String... args) throws Exception {
        return launcher.run(args);
    }

    private static void awaitPendingWaiters(ApiClient api, int count) throws InterruptedException {
        for (int attempt = 0; attempt < 600; attempt++) {
            if (api.get("/v1/completion-registry").json().path("pendingWaiters").asInt() >= count) {
                return;
            }
            // Polling an observable condition of another process; there is nothing to latch on to.
            Thread.sleep(50);
        }
        throw new AssertionError("the waiters never became pending");
    }
}
