package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.Launcher;
import io.meerkat.distribution.TestDistribution;
import io.meerkat.distribution.cli.MeerkatCommand;
import io.meerkat.distribution.config.ConfigLoader;
import io.meerkat.distribution.config.LauncherConfig;
import io.meerkat.runtime.api.AcceptOutcome;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.LifecycleReport;
import io.meerkat.runtime.api.OwnershipLostException;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionStatus;
import io.meerkat.runtime.api.Submission;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/**
 * Two nodes of a {@link FakeCluster}, each an {@link HttpApi} on loopback over views of one real runtime: a
 * request to node A for a session node B runs is answered by B through A (submit, long-poll, event stream,
 * the token carried along); what cannot be forwarded is 503 {@code session_moved} with {@code Retry-After}.
 */
class ClusterRoutingTest {

    private static final String TOKEN = "cluster-token-0123456789";
    private static final long PATIENCE_SECONDS = 20;
    /**
     * How often the nodes' event streams write a keep-alive, and so find that their client went away: a
     * stream forwarded from A to B ends on B at most two of these after A's client left (A's write fails
     * and ends the forwarded exchange, then B's write fails).
     */
    private static final long KEEPALIVE_MS = 200;

    @TempDir
    Path root;

    private Launcher launcher;
    private final FakeCluster cluster = new FakeCluster();
    private FakeCluster.Node nodeA;
    private FakeCluster.Node nodeB;
    private HttpApi apiA;
    private HttpApi apiB;
    private ApiClient clientA;
    private ApiClient clientB;
    /** Completions node B holds back until the test lets them through, by input. */
    private final Map<InputId, CompletableFuture<CompletionOutcome>> held = new ConcurrentHashMap<>();
    /** What node B's submits throw instead of submitting, when set. */
    private final AtomicReference<RuntimeException> submitFailure = new AtomicReference<>();

    /** Starts both nodes, with these settings besides the token. */
    private void twoNodes(Map<String, String> settings) {
        TestDistribution distribution = TestDistribution.create(root, TestDistribution.REGISTRY_BUNDLE);
        Map<String, String> values = new java.util.HashMap<>(settings);
        values.put(ConfigLoader.TOKEN, TOKEN);
        LauncherConfig config = distribution.config(values);
        launcher = Launcher.start(config, false, step -> { });
        nodeA = cluster.node("node-a", launcher.runtime());
        nodeB = cluster.node("node-b", launcher.runtime());
        nodeB.wrapHandles(session -> new HoldingSession(session, held, submitFailure));
        apiA = HttpApi.start(config, context(nodeA), KEEPALIVE_MS);
        apiB = HttpApi.start(config, context(nodeB), KEEPALIVE_MS);
        nodeA.listensAt(apiA.baseUri());
        nodeB.listensAt(apiB.baseUri());
        clientA = new ApiClient(apiA.baseUri(), TOKEN);
        clientB = new ApiClient(apiB.baseUri(), TOKEN);
    }

    private ApiContext context(FakeCluster.Node node) {
        return new ApiContext(node, launcher.registry(), launcher.plugins(), launcher.felix(), launcher.metrics(),
                launcher.config().sessionConfigPolicy(), launcher.config().memory(), launcher.config().runs(), null);
    }

    @AfterEach
    void stop() {
        held.values().forEach(completion -> completion.complete(new CompletionOutcome.RuntimeTerminated("test over")));
        for (AutoCloseable closeable : new AutoCloseable[] {apiA, apiB, launcher}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void aSubmitALongPollAndTheEventStreamOfASessionNodeBRunsAreAnsweredThroughNodeAWithTheToken() throws Exception {
        twoNodes(Map.of());
        String session = clientB.createSession("echo", "{\"template\":\"echo: {text}\"}");

        ApiClient.Answer status = clientA.get("/v1/sessions/" + session);
        assertEquals(200, status.status(), status.body());
        assertEquals(session, status.text("id"));
        // Refused by A's own guard, never forwarded: B's answer would say the same, but A does not ask it.
        ApiClient.Answer noToken = new ApiClient(apiA.baseUri()).get("/v1/sessions/" + session);
        assertEquals(401, noToken.status(), noToken.body());

        ApiClient.EventLines events = clientA.events(session);
        events.awaitSubscribed(PATIENCE_SECONDS);
        ApiClient.Answer submitted = clientA.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"hello\"}");
        assertEquals(202, submitted.status(), submitted.body());
        String input = submitted.text("inputId");
        assertEquals("input_transitioned", events.nextEvent(PATIENCE_SECONDS).path("type").asString(),
                "B's events reach A's client");

        CompletableFuture<ApiClient.Answer> poll = clientA.getAsync(
                "/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=20000");
        awaitTrue(() -> apiB.waitingCompletions() == 1, "the long-poll waits on B");
        assertFalse(poll.isDone(), "the poll waits while B holds the completion");
        held.get(InputId.parse(input)).complete(new CompletionOutcome.Completed(
                new io.meerkat.runtime.api.RunResult("held: hello", Map.of())));
        ApiClient.Answer completion = poll.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        assertEquals(200, completion.status(), completion.body());
        assertEquals("held: hello", completion.json().path("result").path("text").asString(), completion.body());
        assertEquals(1, apiB.openEventStreams(), "the forwarded stream is open on B");
        events.close();
        awaitTrue(() -> apiB.openEventStreams() == 0, "the stream on B ends when A's client goes away");

        ApiClient.Answer health = clientA.get("/v1/health");
        assertEquals("node-a", health.text("node"), health.body());
    }

    @Test
    void closingTheForwardingNodeEndsItsForwardedStreamsAtOnce() throws Exception {
        twoNodes(Map.of());
        String session = clientB.createSession("echo", "{}");
        ApiClient.EventLines events = clientA.events(session);
        events.awaitSubscribed(PATIENCE_SECONDS);

        long start = System.nanoTime();
        apiA.close();
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        apiA = null;

        // Without ending them first, the server's graceful stop would wait its 5 s for them.
        assertTrue(tookMs < 4_000, "closed in " + tookMs + " ms");
        events.reading().handle((done, failure) -> null).get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        awaitTrue(() -> apiB.openEventStreams() == 0, "the stream on B ends with it");
    }

    @Test
    void whatCannotBeForwardedIs503SessionMovedWithRetryAfterAndAnUnknownSessionIs404() throws Exception {
        twoNodes(Map.of());
        String session = clientB.createSession("echo", "{}");
        SessionId id = SessionId.parse(session);

        // Forwarded once already and not run here: never forwarded again.
        ApiClient.Answer looped = clientA.send(clientA.request("/v1/sessions/" + session)
                .header(ClusterRouter.FORWARDED_HEADER, "node-b").GET());
        assertMoved(looped);

        // The lease lapsed (a failover or a drain under way).
        cluster.own(id, "node-b", apiB.baseUri(), false);
        assertMoved(clientA.get("/v1/sessions/" + session));

        // The store says node A holds it, but A does not run it yet (its claim or recovery under way).
        cluster.own(id, "node-a", apiA.baseUri(), true);
        assertMoved(clientA.get("/v1/sessions/" + session));

        // The owner just died: nothing listens at its address any more.
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = socket.getLocalPort();
        }
        cluster.own(id, "node-c", URI.create("http://127.0.0.1:" + deadPort), true);
        long start = System.nanoTime();
        ApiClient.Answer dead = clientA.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"lost?\"}");
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertMoved(dead);
        assertTrue(tookMs < ClusterRouter.CONNECT_TIMEOUT_MS, "answered in " + tookMs + " ms");

        ApiClient.Answer unknown = clientA.get("/v1/sessions/" + SessionId.random());
        assertEquals(404, unknown.status(), unknown.body());
        assertEquals("session_not_found", unknown.errorCode());
        assertEquals(200, clientA.get("/v1/health").status(), "node A is healthy after all that");
    }

    @Test
    void aCompletionEndedBecauseThisNodeLostTheSessionIsNotTheOutcomeButA503SessionMoved() throws Exception {
        twoNodes(Map.of());
        String session = clientB.createSession("echo", "{}");
        ApiClient.Answer submitted = clientB.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"hi\"}");
        String input = submitted.text("inputId");
        String path = "/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=20000";

        CompletableFuture<ApiClient.Answer> poll = clientB.getAsync(path);
        awaitTrue(() -> apiB.waitingCompletions() == 1, "the long-poll waits on B");
        held.get(InputId.parse(input)).complete(new CompletionOutcome.RuntimeTerminated(OwnershipLostException.REASON));
        assertMoved(poll.get(PATIENCE_SECONDS, TimeUnit.SECONDS));

        // Asked again, the poll finds no outcome kept of it: the input is still to run (on the next owner).
        ApiClient.Answer again = clientB.get("/v1/sessions/" + session + "/inputs/" + input + "/completion");
        assertFalse(again.body().contains(OwnershipLostException.REASON), again.body());

        // A submit under way when the node lost the session: nothing written, asked to retry; through A too.
        submitFailure.set(new OwnershipLostException(java.util.Set.of(SessionId.parse(session))));
        for (ApiClient client : new ApiClient[] {clientB, clientA}) {
            ApiClient.Answer lost = client.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"late\"}");
            assertEquals(503, lost.status(), lost.body());
            assertEquals("ownership_lost", lost.errorCode(), lost.body());
            assertEquals(Optional.of("1"), lost.headers().firstValue("Retry-After"));
        }
    }

    @Test
    void clusterListsTheNodesAndDrainHandsTheSessionsOverWhileALauncherOnItsOwnSaysNotClustered() throws Exception {
        twoNodes(Map.of());
        String session = clientA.createSession("echo", "{}");

        ApiClient.Answer view = clientB.get("/v1/cluster");
        assertEquals(200, view.status(), view.body());
        assertEquals("node-b", view.json().path("node").path("id").asString());
        assertEquals(apiB.baseUri().toString(), view.json().path("node").path("advertise").asString());
        assertEquals(5000, view.json().path("leaseTtlMs").asLong());
        JsonNode nodes = view.json().path("nodes");
        assertEquals(2, nodes.size(), view.body());
        assertEquals("node-a", nodes.get(0).path("id").asString());
        assertEquals(1, nodes.get(0).path("sessions").asLong(), view.body());
        assertEquals(120, nodes.get(0).path("heartbeatAgeMs").asLong(), view.body());
        assertTrue(nodes.get(0).path("alive").asBoolean(), view.body());

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new MeerkatCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute("node", "drain", "--url", apiA.baseUri().toString(), "--deadline-ms", "5000", "--token", TOKEN);
        assertEquals(0, exit, err.toString());
        assertEquals("node node-a drained: 1 session(s) released, 0 run(s) cut short, in 7 ms", out.toString().trim());
        assertTrue(nodeA.draining());
        assertMoved(clientB.get("/v1/sessions/" + session));
        nodeB.takes(SessionId.parse(session));
        assertEquals(200, clientA.get("/v1/sessions/" + session).status(), "forwarded to its new owner");

        ApiClient.Answer badDeadline = clientA.post("/v1/node/drain", "{\"deadlineMs\":-1}");
        assertEquals(400, badDeadline.status(), badDeadline.body());
        int refused = new CommandLine(new MeerkatCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute("node", "drain", "--url", apiA.baseUri().toString(), "--token", "wrong-token-0123456789");
        assertEquals(1, refused);
        assertTrue(err.toString().contains("HTTP 401 unauthorized"), err.toString());

        try (Launcher alone = Launcher.start(launcher.config(), true, step -> { })) {
            ApiClient.Answer notClustered = new ApiClient(alone.http().baseUri(), TOKEN).get("/v1/cluster");
            assertEquals(404, notClustered.status(), notClustered.body());
            assertEquals("not_clustered", notClustered.errorCode());
            ApiClient.Answer health = new ApiClient(alone.http().baseUri(), TOKEN).get("/v1/health");
            assertTrue(health.json().path("node").isMissingNode(), health.body());
        }
    }

    @Test
    void aForwardedLongPollASubmitThatWaitsAndADrainWaitPastTheIdleTimeout() throws Exception {
        twoNodes(Map.of(ConfigLoader.IDLE_TIMEOUT_MS, "1000"));
        String session = clientB.createSession("echo", "{}");
        String input = clientA.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"slow\"}").text("inputId");

        long start = System.nanoTime();
        ApiClient.Answer pending = clientA.get("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=2500");
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(202, pending.status(), pending.body());
        assertEquals("pending", pending.text("outcome"));
        assertTrue(tookMs >= 2_500, "answered after " + tookMs + " ms, when its own timeout passed");

        start = System.nanoTime();
        ApiClient.Answer waited = clientA.post("/v1/sessions/" + session + "/inputs?waitMs=2500", "{\"text\":\"slow too\"}");
        tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(202, waited.status(), "a submit waiting for its completion is forwarded with its wait: " + waited.body());
        assertEquals("accepted", waited.text("outcome"));
        assertEquals("pending", waited.json().path("completion").path("outcome").asString(), waited.body());
        assertTrue(tookMs >= 2_500, "answered after " + tookMs + " ms, when its own wait passed");

        CompletableFuture<Void> runsFinished = new CompletableFuture<>();
        nodeA.drainWaitsFor(runsFinished);
        CompletableFuture.delayedExecutor(2_500, TimeUnit.MILLISECONDS).execute(() -> runsFinished.complete(null));
        ApiClient.Answer drained = clientA.post("/v1/node/drain", "{}");
        assertEquals(200, drained.status(), drained.body());
        assertEquals("node-a", drained.text("node"));
        assertTrue(runsFinished.isDone(), "answered once the drain was done");
    }

    private static void assertMoved(ApiClient.Answer answer) {
        assertEquals(503, answer.status(), answer.body());
        assertEquals("session_moved", answer.errorCode(), answer.body());
        assertEquals(Optional.of("1"), answer.headers().firstValue("Retry-After"));
    }

    /** Waits for a condition another thread makes true (a poll arriving at B), up to the patience. */
    private static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + PATIENCE_SECONDS + " s: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /** A session whose submits' completions the test completes itself ({@code held}), whatever the run does. */
    private record HoldingSession(SessionHandle session, Map<InputId, CompletableFuture<CompletionOutcome>> held,
                                  AtomicReference<RuntimeException> failure) implements SessionHandle {

        @Override
        public Submission submit(Input input) {
            RuntimeException refused = failure.get();
            if (refused != null) {
                throw refused;
            }
            Submission submission = session.submit(input);
            if (!(submission.outcome() instanceof AcceptOutcome.Accepted accepted)) {
                return submission;
            }
            CompletableFuture<CompletionOutcome> completion = held.computeIfAbsent(accepted.inputId(),
                    id -> new CompletableFuture<>());
            return new Submission(submission.outcome(), completion);
        }

        @Override
        public SessionId id() {
            return session.id();
        }

        @Override
        public AcceptOutcome accept(Input input) {
            return session.accept(input);
        }

        @Override
        public void control(RunControlCommand command) {
            session.control(command);
        }

        @Override
        public void runtimeControl(RuntimeControlCommand command) {
            session.runtimeControl(command);
        }

        @Override
        public LifecycleReport retire() {
            return session.retire();
        }

        @Override
        public LifecycleReport reset() {
            return session.reset();
        }

        @Override
        public LifecycleReport destroy() {
            return session.destroy();
        }

        @Override
        public LifecycleReport recycle() {
            return session.recycle();
        }

        @Override
        public RuntimeState state() {
            return session.state();
        }

        @Override
        public Optional<InputStatus> inputStatus(InputId inputId) {
            return session.inputStatus(inputId);
        }

        @Override
        public Optional<CompletableFuture<CompletionOutcome>> completion(InputId inputId) {
            CompletableFuture<CompletionOutcome> completion = held.get(inputId);
            return completion != null ? Optional.of(completion) : session.completion(inputId);
        }

        @Override
        public List<InputId> activeInputIds() {
            return session.activeInputIds();
        }

        @Override
        public SessionStatus status() {
            return session.status();
        }

        @Override
        public Flow.Publisher<RuntimeEventEnvelope> events() {
            return session.events();
        }
    }
}
