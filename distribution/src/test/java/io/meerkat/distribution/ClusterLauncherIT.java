package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.PackagedLauncher.Result;
import io.meerkat.distribution.PackagedLauncher.Served;
import io.meerkat.distribution.http.ApiClient;
import io.meerkat.distribution.http.ApiClient.Answer;
import io.meerkat.runtime.store.testpg.TestPostgres;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Two packaged launchers ({@code bin/meerkat serve --store postgres}) on one real PostgreSQL as a cluster: a
 * session created on node A is answered through node B (a submit, the completion long-poll, the event stream),
 * {@code GET /v1/cluster} lists both nodes, and {@code meerkat node drain} on A hands the session to B, which
 * then runs it itself (and A forwards to it).
 */
class ClusterLauncherIT {

    private static final long PATIENCE_SECONDS = 30;
    private static final String TOKEN = "cluster-it-token-0123456789";

    private final PackagedLauncher launcherA = new PackagedLauncher();
    private final PackagedLauncher launcherB = new PackagedLauncher();

    @AfterEach
    void killLeftovers() {
        launcherA.close();
        launcherB.close();
    }

    @Test
    void aSessionOfNodeAIsAnsweredThroughNodeBAndADrainOfAMovesItToB() throws Exception {
        String url = TestPostgres.shared().newDatabase();
        Map<String, String> environment = Map.of("MEERKAT_TOKEN", TOKEN);
        Served a = launcherA.serve(environment, "--store", "postgres", "--store-url", url, "--node-id", "node-a",
                "--lease-ttl-ms", "3000");
        Served b = launcherB.serve(environment, "--store", "postgres", "--store-url", url, "--node-id", "node-b",
                "--lease-ttl-ms", "3000");
        ApiClient apiA = new ApiClient(a.uri(), TOKEN);
        ApiClient apiB = new ApiClient(b.uri(), TOKEN);
        assertEquals("node-a", apiA.get("/v1/health").text("node"));

        String session = apiA.createSession("echo", "{\"delayMs\":300,\"template\":\"echo: {text}\"}");
        String sessionPath = "/v1/sessions/" + session;
        String first = submit(apiB, session, "one");
        assertCompleted(apiB, session, first, "echo: one");

        ApiClient.EventLines events = apiB.events(session);
        events.awaitSubscribed(PATIENCE_SECONDS);
        String second = submit(apiB, session, "two");
        // The first event of the second input (a state change the first run ended with may come before it).
        JsonNode event = events.nextEvent(PATIENCE_SECONDS);
        while (!event.path("inputId").asString().equals(second)) {
            event = events.nextEvent(PATIENCE_SECONDS);
        }
        assertEquals("input_transitioned", event.path("type").asString(), event.toString());
        assertCompleted(apiB, session, second, "echo: two");
        events.close();

        JsonNode cluster = apiB.get("/v1/cluster").json();
        assertEquals("node-b", cluster.path("node").path("id").asString(), cluster.toString());
        assertEquals(b.uri().toString(), cluster.path("node").path("advertise").asString(), cluster.toString());
        assertEquals(3000, cluster.path("leaseTtlMs").asLong(), cluster.toString());
        JsonNode nodeA = node(cluster, "node-a");
        assertEquals(a.uri().toString(), nodeA.path("advertise").asString(), cluster.toString());
        assertTrue(nodeA.path("alive").asBoolean(), cluster.toString());
        assertEquals(1, nodeA.path("sessions").asLong(), cluster.toString());
        assertEquals(0, node(cluster, "node-b").path("sessions").asLong(), cluster.toString());

        // A second session with a run in flight at the drain and an input queued behind it, both waited for on A.
        String slow = apiA.createSession("echo", "{\"delayMs\":4000,\"template\":\"slow: {text}\"}");
        String running = submit(apiA, slow, "running");
        String queued = submit(apiA, slow, "queued");
        CompletableFuture<Answer> runningPoll = apiA.getAsync(completionPath(slow, running));
        CompletableFuture<Answer> queuedPoll = apiA.getAsync(completionPath(slow, queued));

        // Begun over HTTP at once, while the first run is in flight; the command line then waits for the same
        // drain (one per node) and prints its report.
        CompletableFuture<Answer> drainedOverHttp = apiA.postAsync("/v1/node/drain", "{\"deadlineMs\":20000}");
        Result drain = launcherA.run(environment, "node", "drain", "--url", a.uri().toString(), "--deadline-ms", "20000");
        assertEquals(0, drain.exitCode(), drain.stderr());
        Answer drained = drainedOverHttp.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        assertEquals(200, drained.status(), drained.body());
        assertEquals(2, drained.json().path("released").asInt(), drained.body());
        assertTrue(drain.stdout().startsWith("node node-a drained: 2 session(s) released, 0 run(s) cut short, in "),
                drain.stdout());
        // The run in flight finished on A before the hand-over; the queued input was not run there, and its
        // waiter on A is told to ask again rather than given "ownership lost" as its outcome.
        Answer ran = runningPoll.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        assertEquals(200, ran.status(), ran.body());
        assertEquals("slow: running", ran.json().path("result").path("text").asString(), ran.body());
        Answer moved = queuedPoll.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        assertEquals(503, moved.status(), moved.body());
        assertEquals("session_moved", moved.errorCode(), moved.body());
        assertEquals("1", moved.headers().firstValue("Retry-After").orElse(null));
        // Asked again through A, as told: answered by B, which ran it.
        Answer[] retried = new Answer[1];
        awaitTrue(() -> (retried[0] = apiA.get(completionPath(slow, queued))).status() != 503, "the retry is answered");
        assertEquals(200, retried[0].status(), retried[0].body());
        assertEquals("slow: queued", retried[0].json().path("result").path("text").asString(), retried[0].body());

        // Node B claims the released session on its next claim round (a tenth of a lease).
        awaitTrue(() -> apiB.get("/v1/sessions").json().path("sessions").toString().contains(session),
                "node B runs the session");
        String third = submit(apiB, session, "three");
        assertCompleted(apiB, session, third, "echo: three");
        Answer throughA = apiA.get(sessionPath);
        assertEquals(200, throughA.status(), throughA.body());
        assertEquals(session, throughA.text("id"), throughA.body());
        JsonNode after = apiA.get("/v1/cluster").json();
        assertTrue(node(after, "node-a").path("draining").asBoolean(), after.toString());
        assertEquals(2, node(after, "node-b").path("sessions").asLong(), after.toString());

        for (Served served : new Served[] {a, b}) {
            served.process().destroy();
            assertTrue(served.process().waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS), "a launcher did not exit");
        }
    }

    private static JsonNode node(JsonNode cluster, String id) {
        for (JsonNode node : cluster.path("nodes")) {
            if (node.path("id").asString().equals(id)) {
                return node;
            }
        }
        throw new AssertionError("no node " + id + " in " + cluster);
    }

    private static String completionPath(String session, String input) {
        return "/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=20000";
    }

    private static String submit(ApiClient api, String session, String text) {
        Answer accepted = api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"" + text + "\"}");
        assertEquals(202, accepted.status(), accepted.body());
        return accepted.text("inputId");
    }

    private static void assertCompleted(ApiClient api, String session, String input, String text) {
        Answer completion = api.get("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=20000");
        assertEquals(200, completion.status(), completion.body());
        assertEquals(text, completion.json().path("result").path("text").asString(), completion.body());
    }

    /** Waits for another process to make a condition true, asking again every 50 ms, up to the patience. */
    private static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + PATIENCE_SECONDS + " s: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }
}
