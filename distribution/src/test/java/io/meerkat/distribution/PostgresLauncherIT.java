package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.PackagedLauncher.Result;
import io.meerkat.distribution.PackagedLauncher.Served;
import io.meerkat.distribution.http.ApiClient;
import io.meerkat.distribution.http.ApiClient.Answer;
import io.meerkat.runtime.store.testpg.TestPostgres;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged {@code bin/meerkat serve --store postgres} on a real PostgreSQL ({@link TestPostgres}): an
 * input submitted to one launcher, killed with SIGKILL while the input waits, is run and answered by the next
 * launcher on the same database (under the same node id, so it takes the session's lease back at once); the
 * password never shows in what the launcher prints; a missing or
 * unreachable database is one clear line and exit 1.
 */
class PostgresLauncherIT {

    private static final long PATIENCE_SECONDS = 30;
    /** Never checked by the test server (it trusts loopback), so only its absence from the output matters. */
    private static final String PASSWORD = "s3cret-never-printed";

    private final PackagedLauncher launcher = new PackagedLauncher();

    @AfterEach
    void killLeftovers() {
        launcher.close();
    }

    @Test
    void anInputSubmittedBeforeAKillIsRunAndAnsweredByTheNextLauncherOnTheSameDatabase() throws Exception {
        String url = TestPostgres.shared().newDatabase();
        String shownUrl = url + "&password=" + PASSWORD;
        Map<String, String> environment = Map.of("MEERKAT_STORE_PASSWORD", PASSWORD);

        // One node id for both: a launcher restarted under its node id takes its sessions' leases back at once
        // (under another id it would wait for them to lapse, a lease's time, and take them up then).
        Served first = launcher.serve(environment, "--store", "postgres", "--store-url", shownUrl, "--node-id", "pg-node");
        String firstErr = Files.readString(first.stderr());
        assertTrue(firstErr.contains("store postgres at " + url + "&password=***: 0 session(s) recovered"), firstErr);
        ApiClient api = new ApiClient(first.uri());
        // The first input holds the session's only run long enough for the second to be queued at the kill.
        String session = api.createSession("echo", "{\"delayMs\":2000,\"template\":\"echo: {text}\"}");
        String done = submit(api, session, "done", "key-done");
        Answer finished = api.get("/v1/sessions/" + session + "/inputs/" + done + "/completion?timeoutMs=20000");
        assertEquals("echo: done", finished.json().path("result").path("text").asString(), finished.body());
        String running = submit(api, session, "running", "key-running");
        String waiting = submit(api, session, "waiting", "key-waiting");
        first.process().destroyForcibly();
        assertTrue(first.process().waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS), "the killed launcher did not exit");

        Served second = launcher.serve(environment, "--store", "postgres", "--store-url", shownUrl, "--node-id", "pg-node");
        String secondErr = Files.readString(second.stderr());
        assertTrue(secondErr.contains("1 session(s) recovered"), secondErr);
        api = new ApiClient(second.uri());
        Answer before = api.get("/v1/sessions/" + session + "/inputs/" + done + "/completion");
        assertEquals(200, before.status(), before.body());
        assertEquals("echo: done", before.json().path("result").path("text").asString(), before.body());
        for (String[] input : new String[][] {{running, "running"}, {waiting, "waiting"}}) {
            Answer completion = api.get("/v1/sessions/" + session + "/inputs/" + input[0] + "/completion?timeoutMs=20000");
            assertEquals(200, completion.status(), completion.body());
            assertEquals("echo: " + input[1], completion.json().path("result").path("text").asString(), completion.body());
        }
        Answer again = api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"waiting\",\"idempotencyKey\":\"key-waiting\"}");
        assertEquals("deduplicated", again.text("outcome"), again.body());
        second.process().destroy();
        assertTrue(second.process().waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS), "the launcher did not exit");

        Result info = launcher.run(environment, "store", "info", "--store", "postgres", "--store-url", shownUrl);
        assertEquals(0, info.exitCode(), info.stderr());
        assertTrue(info.stdout().contains("store:          postgres"), info.stdout());
        assertTrue(info.stdout().contains("sessions:       1"), info.stdout());
        assertTrue(info.stdout().contains("inputs:         3 (consumed 3)"), info.stdout());
        for (String output : new String[] {firstErr, Files.readString(second.stderr()), info.stdout(), info.stderr()}) {
            assertFalse(output.contains(PASSWORD), "the password was printed: " + output);
        }
    }

    @Test
    void withoutAUrlOrWithAnUnreachableServerTheLauncherSaysSoInOneLineAndExits1() throws Exception {
        Result noUrl = launcher.run("serve", "--port", "0", "--store", "postgres");
        assertEquals(1, noUrl.exitCode(), noUrl.stdout());
        assertEquals("meerkat: --store postgres needs the database: --store-url jdbc:postgresql://HOST:PORT/DATABASE "
                + "(or meerkat.store.url)", noUrl.stderr().lines().findFirst().orElse(""), noUrl.stderr());

        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        String unreachable = "jdbc:postgresql://127.0.0.1:1/meerkat?user=meerkat&password=" + PASSWORD;
        Result down = launcher.run(Map.of(), "serve", "--port", "0", "--store", "postgres", "--store-url", unreachable);
        assertNotEquals(0, down.exitCode(), down.stdout());
        assertTrue(down.stderr().contains("postgres store at jdbc:postgresql://127.0.0.1:1/meerkat?user=meerkat&password=***"
                + " cannot be opened"), down.stderr());
        assertFalse(down.stderr().contains(PASSWORD), down.stderr());
        assertFalse(down.stdout().contains(PASSWORD), down.stdout());
    }

    private static String submit(ApiClient api, String session, String text, String key) {
        Answer accepted = api.post("/v1/sessions/" + session + "/inputs",
                "{\"text\":\"" + text + "\",\"idempotencyKey\":\"" + key + "\"}");
        assertEquals(202, accepted.status(), accepted.body());
        return accepted.text("inputId");
    }
}
