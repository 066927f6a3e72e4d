package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.PackagedLauncher.Result;
import io.meerkat.distribution.PackagedLauncher.Served;
import io.meerkat.distribution.http.ApiClient;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code bin/meerkat serve} on its durable store, stopped with SIGTERM and started again on the
 * same data folder: the session and its queued inputs come back and run, a finished input still answers its
 * completion, an idempotent resubmit deduplicates; {@code meerkat store info} reads the stopped folder; with
 * {@code --store memory} nothing survives.
 */
class DurableLauncherIT {

    private static final long PATIENCE_SECONDS = 30;

    private final PackagedLauncher launcher = new PackagedLauncher();

    @TempDir
    Path data;

    @AfterEach
    void killLeftovers() {
        launcher.close();
    }

    @Test
    void aRestartOnTheSameDataFolderTakesUpTheSessionAndRunsWhatWasQueued() throws Exception {
        Served first = launcher.serve(Map.of(), "--data", data.toString());
        assertTrue(Files.readString(first.stderr()).contains("store sqlite at " + data.resolve("meerkat.db")
                + ": 0 session(s) recovered"), Files.readString(first.stderr()));
        ApiClient api = new ApiClient(first.uri());
        String session = api.createSession("echo", "{\"delayMs\":300,\"template\":\"echo: {text}\"}");
        String done = submit(api, session, "done", "key-done");
        Answer finished = api.get("/v1/sessions/" + session + "/inputs/" + done + "/completion?timeoutMs=20000");
        assertEquals("echo: done", finished.json().path("result").path("text").asString(), finished.body());
        List<String> queued = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            queued.add(submit(api, session, "queued " + i, "key-" + i));
        }
        // A second launcher on the same store would run the same inputs again: refused, in one line.
        Result second = launcher.run("serve", "--port", "0", "--check", "--data", data.toString());
        assertEquals(1, second.exitCode(), second.stdout());
        assertTrue(second.stderr().contains("meerkat: another meerkat launcher runs on the store in " + data),
                second.stderr());
        stop(first);

        Served restarted = launcher.serve(Map.of(), "--data", data.toString());
        String err = Files.readString(restarted.stderr());
        assertTrue(err.contains("store sqlite at " + data.resolve("meerkat.db") + ": 1 session(s) recovered"), err);
        api = new ApiClient(restarted.uri());
        Answer sessions = api.get("/v1/sessions");
        assertEquals(session, sessions.json().path("sessions").path(0).path("id").asString(), sessions.body());

        // Finished before the restart: answered from the store, and a resubmit of it joins it.
        Answer before = api.get("/v1/sessions/" + session + "/inputs/" + done + "/completion");
        assertEquals(200, before.status(), before.body());
        assertEquals("echo: done", before.json().path("result").path("text").asString(), before.body());
        Answer again = api.post("/v1/sessions/" + session + "/inputs",
                "{\"text\":\"done\",\"idempotencyKey\":\"key-done\"}");
        assertEquals("deduplicated", again.text("outcome"), again.body());
        assertEquals(done, again.text("existingId"), again.body());

        // Queued (or running) at the stop: they run now; a resubmit with the same key waits on each.
        for (int i = 0; i < queued.size(); i++) {
            Answer joined = api.post("/v1/sessions/" + session + "/inputs",
                    "{\"text\":\"queued " + i + "\",\"idempotencyKey\":\"key-" + i + "\"}");
            assertEquals("deduplicated", joined.text("outcome"), joined.body());
            assertEquals(queued.get(i), joined.text("existingId"), joined.body());
            Answer completion = api.get("/v1/sessions/" + session + "/inputs/" + queued.get(i)
                    + "/completion?timeoutMs=20000");
            assertEquals(200, completion.status(), completion.body());
            assertEquals("echo: queued " + i, completion.json().path("result").path("text").asString(), completion.body());
        }
        stop(restarted);

        Result info = launcher.run("store", "info", "--data", data.toString());
        assertEquals(0, info.exitCode(), info.stderr());
        assertTrue(info.stdout().contains("store:          sqlite"), info.stdout());
        assertTrue(info.stdout().contains("schema version: 3"), info.stdout());
        assertTrue(info.stdout().contains("sessions:       1"), info.stdout());
        assertTrue(info.stdout().contains("inputs:         5 (consumed 5)"), info.stdout());
        assertTrue(info.stdout().lines().anyMatch(line -> line.matches("size: +[1-9][0-9]* bytes")), info.stdout());
    }

    @Test
    void storeInfoOnAFolderWithoutAStoreIsOneLineAndExit1() throws Exception {
        Result none = launcher.run("store", "info", "--data", data.toString());
        assertEquals(1, none.exitCode(), none.stdout());
        assertEquals("meerkat: no sqlite store in " + data + " (no meerkat.db); `meerkat serve --data " + data
                + "` creates one", none.stderr().strip());
        assertFalse(Files.exists(data.resolve("meerkat.db")), "store info created a store");
    }

    @Test
    void withTheMemoryStoreNothingSurvivesARestart() throws Exception {
        Served first = launcher.serve(Map.of(), "--data", data.toString(), "--store", "memory");
        assertTrue(Files.readString(first.stderr()).contains("store memory: sessions are kept in memory only"),
                Files.readString(first.stderr()));
        ApiClient api = new ApiClient(first.uri());
        String session = api.createSession("echo", "{\"delayMs\":600000}");
        submit(api, session, "lost", "key-lost");
        stop(first);

        Served second = launcher.serve(Map.of(), "--data", data.toString(), "--store", "memory");
        api = new ApiClient(second.uri());
        assertEquals(0, api.get("/v1/sessions").json().path("sessions").size(), api.get("/v1/sessions").body());
        assertEquals(404, api.get("/v1/sessions/" + session).status());
        assertFalse(Files.exists(data.resolve("meerkat.db")), "the memory store wrote a database");
        stop(second);

        Result info = launcher.run("store", "info", "--data", data.toString(), "--store", "memory");
        assertEquals(1, info.exitCode(), info.stdout());
        assertTrue(info.stderr().contains("a memory store keeps nothing on disk"), info.stderr());
    }

    private static String submit(ApiClient api, String session, String text, String key) {
        Answer accepted = api.post("/v1/sessions/" + session + "/inputs",
                "{\"text\":\"" + text + "\",\"idempotencyKey\":\"" + key + "\"}");
        assertEquals(202, accepted.status(), accepted.body());
        return accepted.text("inputId");
    }

    /** SIGTERM, as a service manager stops it; waits for the exit. */
    private static void stop(Served served) throws Exception {
        served.process().destroy();
        assertTrue(served.process().waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS), "the launcher did not exit");
        assertEquals(143, served.process().exitValue(), "exit status of a SIGTERM'd JVM");
    }
}
