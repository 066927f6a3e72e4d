package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.http.ApiClient.Answer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The HTTP API as a client sees it, against a launcher with the echo plugin, both registry bundles and
 * a request body limit of {@value #MAX_BODY_BYTES} bytes and at most {@value #MAX_QUEUED_INPUTS} unfinished
 * inputs per session. Subclasses start the launcher: in process
 * ({@link InProcessHttpApiTest}) or as the packaged distribution in its own process
 * ({@code PackagedHttpApiIT}).
 */
public abstract class HttpApiContract {

    /** The body limit the launcher under test must be configured with. */
    public static final int MAX_BODY_BYTES = 4096;

    /** The bound on a session's unfinished inputs the launcher under test must be configured with. */
    public static final int MAX_QUEUED_INPUTS = 20;

    /** A client for the launcher under test. */
    protected abstract ApiClient api();

    @Test
    void healthExecutorsPluginsAndRegistryDescribeTheLauncher() {
        Answer health = api().get("/v1/health");
        assertEquals(200, health.status());
        assertEquals("ok", health.text("status"));
        assertTrue(health.headers().firstValue("Server").isEmpty(), "no server version: " + health.headers().map());

        Answer executors = api().get("/v1/executors");
        assertEquals("echo", executors.json().path("executors").get(0).path("kind").asString());
        assertEquals("echo-executor", executors.json().path("executors").get(0).path("plugin").asString());
        assertEquals("delayMs", executors.json().path("executors").get(0).path("configKeys").get(0).path("name").asString());
        assertEquals("client", executors.json().path("executors").get(0).path("configKeys").get(0).path("owner").asString());

        Answer plugins = api().get("/v1/plugins");
        assertEquals("started", plugins.json().path("plugins").get(0).path("state").asString());

        Answer registry = api().get("/v1/completion-registry");
        assertEquals("outcome-history", registry.text("name"));
        assertEquals(10, registry.json().path("ranking").asInt());
        assertEquals("io.meerkat.completion.history", registry.text("bundle"));
    }

    @Test
    void inputsRunCancelStopAndEveryCompletionResolves() {
        String session = api().createSession("echo", "{\"delayMs\":\"150\"}");
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Answer submitted = api().post("/v1/sessions/" + session + "/inputs", "{\"text\":\"n" + i + "\"}");
            assertEquals(202, submitted.status(), submitted.body());
            assertEquals("accepted", submitted.text("outcome"));
            inputs.add(submitted.text("inputId"));
        }
        Answer first = api().get("/v1/sessions/" + session + "/inputs/" + inputs.get(0) + "/completion?timeoutMs=10000");
        assertEquals("completed", first.text("outcome"), first.body());
        assertEquals("n0", first.json().path("result").path("text").asString());

        Answer cancel = api().post("/v1/sessions/" + session + "/control",
                "{\"command\":\"cancel_current_run\",\"reason\":\"test cancel\"}");
        assertEquals(202, cancel.status(), cancel.body());
        Answer stop = api().post("/v1/sessions/" + session + "/runtime", "{\"command\":\"stop\"}");
        assertEquals(200, stop.status(), stop.body());
        assertEquals("stopped", stop.text("state"));

        for (String input : inputs) {
            Answer completion = api().get("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=10000");
            assertEquals(200, completion.status(), completion.body());
            assertTrue(List.of("completed", "abandoned", "runtime_terminated").contains(completion.text("outcome")),
                    completion.body());
        }
        Answer late = api().post("/v1/sessions/" + session + "/inputs", "{\"text\":\"too late\"}");
        assertEquals(409, late.status());
        assertEquals("not_ready", late.errorCode());
        assertEquals(0, api().get("/v1/sessions/" + session).json().path("activeInputs").size());
    }

    @Test
    void retireResetRecycleAndDestroyAnswerWithTheSessionsNewState() {
        String session = api().createSession("echo", "{}");
        String path = "/v1/sessions/" + session;

        Answer recycled = api().post(path + "/recycle", "");
        assertEquals(200, recycled.status(), recycled.body());
        Answer reset = api().post(path + "/reset", "");
        assertEquals(200, reset.status(), reset.body());
        Answer retired = api().post(path + "/retire", "");
        assertEquals(200, retired.status(), retired.body());
        assertEquals("retired", retired.text("state"));
        assertError(api().post(path + "/inputs", "{\"text\":\"refused\"}"), 409, "not_ready");

        Answer destroyed = api().delete(path);
        assertEquals(200, destroyed.status(), destroyed.body());
        assertEquals("destroyed", destroyed.text("state"));
        assertError(api().get(path), 404, "session_not_found");
    }

    @Test
    void anIdempotentResubmitJoinsTheFirstInput() {
        String session = api().createSession("echo", "{}");
        Answer first = api().post("/v1/sessions/" + session + "/inputs", "{\"text\":\"once\",\"idempotencyKey\":\"k1\"}");
        Answer again = api().post("/v1/sessions/" + session + "/inputs", "{\"text\":\"once\",\"idempotencyKey\":\"k1\"}");

        assertEquals("accepted", first.text("outcome"));
        assertEquals("deduplicated", again.text("outcome"));
        assertEquals(first.text("inputId"), again.text("existingId"));
        Answer completion = api().get("/v1/sessions/" + session + "/inputs/" + first.text("inputId") + "/completion?timeoutMs=10000");
        assertEquals("completed", completion.text("outcome"));
        Answer status = api().get("/v1/sessions/" + session + "/inputs/" + first.text("inputId"));
        assertEquals("consumed", status.text("state"));
        assertTrue(status.json().path("history").size() >= 3, status.body());
    }

    @Test
    void aCompletionThatTakesLongerThanTheTimeoutAnswersPending() {
        String session = api().createSession("echo", "{\"delayMs\":\"60000\"}");
        String input = api().post("/v1/sessions/" + session + "/inputs", "{\"text\":\"slow\"}").text("inputId");

        Answer pending = api().get("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=50");

        assertEquals(202, pending.status());
        assertEquals("pending", pending.text("outcome"));
        Answer destroyed = api().delete("/v1/sessions/" + session);
        assertEquals(200, destroyed.status(), destroyed.body());
    }

    @Test
    void aSubmitCanWaitForItsCompletionInTheSameRequest() {
        String session = api().createSession("echo", "{}");
        String inputs = "/v1/sessions/" + session + "/inputs";

        Answer done = api().post(inputs + "?waitMs=10000", "{\"text\":\"at once\",\"idempotencyKey\":\"w1\"}");
        assertEquals(200, done.status(), done.body());
        assertEquals("accepted", done.text("outcome"));
        assertEquals("completed", done.json().path("completion").path("outcome").asString(), done.body());
        assertEquals("at once", done.json().path("completion").path("result").path("text").asString(), done.body());
        Answer status = api().get(inputs + "/" + done.text("inputId"));
        assertEquals("consumed", status.text("state"), "the answer names the input it ran");

        Answer again = api().post(inputs + "?waitMs=10000", "{\"text\":\"at once\",\"idempotencyKey\":\"w1\"}");
        assertEquals(200, again.status(), again.body());
        assertEquals("deduplicated", again.text("outcome"));
        assertEquals(done.text("inputId"), again.text("existingId"));
        assertEquals("completed", again.json().path("completion").path("outcome").asString(), again.body());

        Answer plain = api().post(inputs, "{\"text\":\"no wait\"}");
        assertEquals(202, plain.status());
        assertTrue(plain.json().path("completion").isMissingNode(), "no completion unless asked for: " + plain.body());

        String slow = api().createSession("echo", "{\"delayMs\":\"60000\"}");
        Answer pending = api().post("/v1/sessions/" + slow + "/inputs?waitMs=50", "{\"text\":\"slow\"}");
        assertEquals(202, pending.status(), pending.body());
        assertEquals("accepted", pending.text("outcome"));
        assertEquals("pending", pending.json().path("completion").path("outcome").asString(), pending.body());
        Answer polled = api().get("/v1/sessions/" + slow + "/inputs/" + pending.text("inputId") + "/completion?timeoutMs=0");
        assertEquals("pending", polled.text("outcome"), "still tracked for a later poll");

        int queued = api().get("/v1/sessions/" + slow).json().path("queueDepth").asInt();
        assertError(api().post("/v1/sessions/" + slow + "/inputs?waitMs=-1", "{\"text\":\"refused\"}"), 400,
                "invalid_parameter");
        assertError(api().post("/v1/sessions/" + slow + "/inputs?waitMs=soon", "{\"text\":\"refused\"}"), 400,
                "invalid_parameter");
        assertEquals(queued, api().get("/v1/sessions/" + slow).json().path("queueDepth").asInt(),
                "a refused waitMs accepts nothing");
        assertEquals(200, api().delete("/v1/sessions/" + slow).status());
    }

    @Test
    void aFullQueueAnswers429WithRetryAfterWhileADuplicateIsStillDeduplicated() {
        String session = api().createSession("echo", "{\"delayMs\":\"60000\"}");
        String inputs = "/v1/sessions/" + session + "/inputs";
        String first = api().post(inputs, "{\"text\":\"0\",\"idempotencyKey\":\"first\"}").text("inputId");
        for (int i = 1; i < MAX_QUEUED_INPUTS; i++) {
            Answer submitted = api().post(inputs, "{\"text\":\"n" + i + "\"}");
            assertEquals(202, submitted.status(), submitted.body());
        }

        Answer full = api().post(inputs, "{\"text\":\"one too many\"}");
        assertError(full, 429, "queue_full");
        assertEquals("1", full.headers().firstValue("Retry-After").orElse(null));
        Answer again = api().post(inputs, "{\"text\":\"0\",\"idempotencyKey\":\"first\"}");
        assertEquals(202, again.status(), again.body());
        assertEquals("deduplicated", again.text("outcome"));
        assertEquals(first, again.text("existingId"));
        assertEquals(MAX_QUEUED_INPUTS, api().get("/v1/sessions/" + session).json().path("activeInputs").size());

        assertEquals(200, api().delete("/v1/sessions/" + session).status());
    }

    @Test
    void badRequestsGetClearErrorsAndChangeNothing() {
        String session = api().createSession("echo", "{}");
        String inputs = "/v1/sessions/" + session + "/inputs";

        assertError(api().post(inputs, "{\"text\":"), 400, "malformed_json");
        assertError(api().post(inputs, "{\"txt\":\"typo\"}"), 400, "unknown_field");
        assertError(api().post(inputs, "{\"text\":{\"nested\":1}}"), 400, "invalid_field");
        assertError(api().post(inputs, "{\"kind\":\"telepathy\",\"text\":\"x\"}"), 400, "invalid_field");
        assertError(api().post(inputs, "{\"text\":\"" + "x".repeat(MAX_BODY_BYTES + 1) + "\"}"), 413, "payload_too_large");
        assertError(api().post(inputs, "{\"text\":\"x\",\"idempotencyKey\":\"" + "k".repeat(513) + "\"}"), 400, "input_rejected");
        assertError(api().post(inputs, "{\"text\":\"x\",\"supersessionKey\":\"\"}"), 400, "input_rejected");
        assertError(api().post(inputs, "{\"text\":\"x\",\"correlationId\":\" \"}"), 400, "input_rejected");
        assertError(api().post("/v1/sessions", "{\"executor\":\"nope\"}"), 400, "unknown_executor");
        assertError(api().post("/v1/sessions", "{\"executor\":\"echo\",\"config\":{\"delayMs\":\"soon\"}}"), 400, "invalid_config");
        assertError(api().get("/v1/sessions/00000000-0000-0000-0000-000000000000"), 404, "session_not_found");
        assertError(api().get("/v1/sessions/not-a-uuid"), 404, "session_not_found");
        assertError(api().get(inputs + "/00000000-0000-0000-0000-000000000000"), 404, "input_not_found");
        assertError(api().get("/v1/nothing-here"), 404, "not_found");
        assertError(api().delete("/v1/health"), 405, "method_not_allowed");
        assertError(api().get(inputs + "/00000000-0000-0000-0000-000000000000/completion?timeoutMs=-1"), 404, "input_not_found");

        Answer fine = api().post(inputs, "{\"text\":\"still healthy\"}");
        assertEquals(202, fine.status(), "the session still takes input: " + fine.body());
    }

    /** Every GET route answers HEAD: the same status and headers, no body. */
    @Test
    void headAnswersLikeGetWithoutABody() {
        String session = api().createSession("echo", "{}");
        for (String path : List.of("/v1/executors", "/v1/sessions/" + session, "/metrics")) {
            Answer get = api().get(path);
            Answer head = head(path);
            assertEquals(get.status(), head.status(), path);
            assertEquals("", head.body(), path);
            assertEquals(get.headers().firstValue("Content-Type"), head.headers().firstValue("Content-Type"), path);
        }
        assertEquals(String.valueOf(api().get("/v1/executors").body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length),
                head("/v1/executors").headers().firstValue("Content-Length").orElse("none"));
        Answer missing = head("/v1/sessions/00000000-0000-0000-0000-000000000000");
        assertEquals(404, missing.status());
        assertEquals("", missing.body());
        Answer events = head("/v1/sessions/" + session + "/events");
        assertEquals(200, events.status());
        assertTrue(events.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"), events.headers().toString());
        assertEquals("", events.body());
        Answer notAGet = head("/v1/sessions/" + session + "/inputs");
        assertEquals(405, notAGet.status());
        assertEquals("POST", notAGet.headers().firstValue("Allow").orElse(""));
    }

    private Answer head(String path) {
        return api().send(api().request(path).method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()));
    }

    /** The session list comes in pages of {@code limit}, in id order, walked with the {@code next} cursor. */
    @Test
    void theSessionListIsPagedWithACursor() {
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            created.add(api().createSession("echo", "{}"));
        }
        List<String> walked = new ArrayList<>();
        String path = "/v1/sessions?limit=2";
        while (true) {
            Answer page = api().get(path);
            assertEquals(200, page.status(), page.body());
            assertTrue(page.json().path("sessions").size() <= 2, page.body());
            page.json().path("sessions").forEach(session -> walked.add(session.path("id").asString()));
            if (!page.json().has("next")) {
                break;
            }
            path = "/v1/sessions?limit=2&after=" + page.text("next");
        }
        List<String> all = new ArrayList<>();
        api().get("/v1/sessions?limit=1000").json().path("sessions").forEach(session -> all.add(session.path("id").asString()));
        assertEquals(all, walked, "the pages together are the whole list, in order, once each");
        assertTrue(walked.containsAll(created), walked.toString());
        List<String> sorted = new ArrayList<>(walked);
        sorted.sort(java.util.Comparator.comparing(java.util.UUID::fromString));
        assertEquals(sorted, walked, "in session id order");

        assertError(api().get("/v1/sessions?limit=0"), 400, "invalid_parameter");
        assertError(api().get("/v1/sessions?limit=1001"), 400, "invalid_parameter");
        assertError(api().get("/v1/sessions?limit=ten"), 400, "invalid_parameter");
        assertError(api().get("/v1/sessions?after=nope"), 400, "invalid_parameter");
    }

    /** A top-level field of the wrong JSON type is refused, not converted (a number is no text). */
    @Test
    void fieldsOfTheWrongTypeAreRefusedNamingTheField() {
        String session = api().createSession("echo", "{}");
        String inputs = "/v1/sessions/" + session + "/inputs";

        Answer number = api().post(inputs, "{\"text\":123}");
        assertError(number, 400, "invalid_field");
        assertEquals("'text' must be a string, was a number", number.json().path("error").path("message").asString());
        assertError(api().post(inputs, "{\"text\":true}"), 400, "invalid_field");
        assertError(api().post(inputs, "{\"text\":\"x\",\"idempotencyKey\":{}}"), 400, "invalid_field");
        assertError(api().post(inputs, "{\"text\":[\"x\"]}"), 400, "invalid_field");
        assertError(api().post("/v1/sessions", "{\"executor\":7}"), 400, "invalid_field");
        assertError(api().post("/v1/sessions", "{\"executor\":\"echo\",\"config\":\"delayMs=5\"}"), 400, "invalid_field");
        assertError(api().post("/v1/sessions", "{\"executor\":\"echo\",\"config\":[]}"), 400, "invalid_field");
        assertError(api().post("/v1/sessions", "{\"executor\":\"echo\",\"profile\":1}"), 400, "invalid_field");
        Answer array = api().post("/v1/sessions", "[1,2]");
        assertError(array, 400, "malformed_json");
        assertEquals("the body must be a JSON object", array.json().path("error").path("message").asString(),
                "no Java class names in messages");
        assertError(api().post("/v1/sessions/" + session + "/control", "{\"command\":1}"), 400, "invalid_field");
        assertError(api().post(inputs, "{\"text\":\"x\",\"mystery\":1}"), 400, "unknown_field");
        assertEquals(0, api().get("/v1/sessions/" + session).json().path("queueDepth").asInt(), "nothing was queued");

        Answer explicitNull = api().post(inputs, "{\"text\":\"x\",\"mode\":null}");
        assertEquals(202, explicitNull.status(), "null stays 'absent': " + explicitNull.body());
    }

    /**
     * A web page must not reach the API: not from another origin (CSRF), not through a host name that
     * was re-bound to 127.0.0.1 (DNS rebinding).
     */
    @Test
    void foreignOriginsAndHostNamesAreRefused() {
        int port = api().request("/").build().uri().getPort();
        String body = "{\"executor\":\"echo\"}";
        int sessionsBefore = api().get("/v1/sessions?limit=1000").json().path("sessions").size();

        Answer crossSite = api().send(api().request("/v1/sessions").header("Origin", "http://evil.example")
                .header("Content-Type", "text/plain").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)));
        assertError(crossSite, 403, "forbidden_origin");

        Answer rebound = api().send(api().request("/v1/health").header("Host", "evil.example:" + port).GET());
        assertError(rebound, 403, "forbidden_host");

        Answer sameOrigin = api().send(api().request("/v1/health").header("Origin", "http://127.0.0.1:" + port).GET());
        assertEquals(200, sameOrigin.status(), sameOrigin.body());
        Answer localhost = api().send(api().request("/v1/health").header("Host", "localhost:" + port).GET());
        assertEquals(200, localhost.status(), localhost.body());
        assertEquals(sessionsBefore, api().get("/v1/sessions?limit=1000").json().path("sessions").size(),
                "the refused request created nothing");
    }

    @Test
    void protocolLevelErrorsKeepTheErrorShape() {
        Answer wrongMethod = api().delete("/v1/health");
        assertError(wrongMethod, 405, "method_not_allowed");
        assertEquals("GET, HEAD", wrongMethod.headers().firstValue("Allow").orElse(""), "405 names the allowed methods");

        String session = api().createSession("echo", "{}");
        String input = api().post("/v1/sessions/" + session + "/inputs", "{\"text\":\"x\"}").text("inputId");
        assertError(api().rawGet("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=%zz"),
                400, "invalid_parameter");
        Answer ambiguous = api().get("/v1/sessions/a%2Fb");
        assertEquals(400, ambiguous.status(), ambiguous.body());
        assertTrue(!ambiguous.errorCode().isBlank(), "Jetty's own errors are JSON too: " + ambiguous.body());
    }

    @Test
    void theEventStreamShowsStateChangesInOrder() throws Exception {
        String session = api().createSession("echo", "{}");
        ApiClient.EventLines events = api().events(session);
        try {
            events.awaitSubscribed(10);
            String input = api().post("/v1/sessions/" + session + "/inputs", "{\"text\":\"watch me\"}").text("inputId");

            List<String> inputStates = new ArrayList<>();
            List<String> sessionStates = new ArrayList<>();
            long lastSequence = -1;
            while (!inputStates.contains("consumed")) {
                JsonNode event = events.nextEvent(10);
                assertTrue(event.path("sequence").asLong() > lastSequence, "sequence grows: " + event);
                lastSequence = event.path("sequence").asLong();
                if (event.path("type").asString().equals("input_transitioned") && event.path("inputId").asString().equals(input)) {
                    inputStates.add(event.path("to").asString());
                } else if (event.path("type").asString().equals("state_changed")) {
                    sessionStates.add(event.path("from").asString() + "->" + event.path("to").asString());
                }
            }
            assertEquals(List.of("accepted", "queued", "staged", "applied", "applied_pending_consumption", "consumed"),
                    inputStates);
            assertEquals("attached->running", sessionStates.get(0), sessionStates.toString());
        } finally {
            events.close();
        }
    }

    @Test
    void outputDeltasStreamInsideTheRunAndRunCompletedCarriesTheResult() throws Exception {
        String session = api().createSession("echo", "{\"chunks\":3,\"template\":\"re: {text}\"}");
        ApiClient.EventLines events = api().events(session);
        try {
            events.awaitSubscribed(10);
            String input = api().post("/v1/sessions/" + session + "/inputs", "{\"text\":\"abcdef\"}").text("inputId");
            List<JsonNode> run = events.untilRunEnds(10);

            JsonNode started = run.stream().filter(e -> e.path("type").asString().equals("run_started")).findFirst()
                    .orElseThrow(() -> new AssertionError("no run_started: " + run));
            String runId = started.path("runId").asString();
            List<JsonNode> deltas = run.stream().filter(e -> e.path("type").asString().equals("output_delta")).toList();
            assertEquals(List.of("re:", " ab", "cdef"), deltas.stream().map(e -> e.path("text").asString()).toList());
            assertTrue(deltas.stream().allMatch(e -> e.path("runId").asString().equals(runId)), deltas.toString());
            assertTrue(run.indexOf(started) < run.indexOf(deltas.get(0)), "the deltas follow the run's start: " + run);

            JsonNode completed = run.get(run.size() - 1);
            assertEquals("run_completed", completed.path("type").asString(), completed.toString());
            assertEquals(runId, completed.path("runId").asString());
            assertEquals(input, completed.path("consumedInputIds").path(0).asString());
            assertEquals("completed", completed.path("outcome").asString(), completed.toString());
            assertEquals("re: abcdef", completed.path("result").path("text").asString(), completed.toString());
            assertEquals("echo", completed.path("result").path("attributes").path("executor").asString());
        } finally {
            events.close();
        }
    }

    @Test
    void aRunPastItsSessionsTimeLimitIsCancelledAndItsInputTimesOut() throws Exception {
        Answer tooLong = api().post("/v1/sessions", "{\"executor\":\"echo\",\"maxRunDurationMs\":3600001}");
        assertError(tooLong, 400, "invalid_field");
        assertTrue(tooLong.body().contains("meerkat.runtime.max-run-duration-ms"), tooLong.body());
        assertError(api().post("/v1/sessions", "{\"executor\":\"echo\",\"maxRunDurationMs\":\"200\"}"), 400, "invalid_field");

        Answer created = api().post("/v1/sessions",
                "{\"executor\":\"echo\",\"config\":{\"delayMs\":600000},\"maxRunDurationMs\":200}");
        assertEquals(201, created.status(), created.body());
        String session = created.text("id");
        ApiClient.EventLines events = api().events(session);
        try {
            events.awaitSubscribed(10);
            String input = api().post("/v1/sessions/" + session + "/inputs", "{\"text\":\"never done\"}").text("inputId");
            Answer completion = api().get("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=10000");
            assertEquals("abandoned", completion.text("outcome"), completion.body());
            assertTrue(completion.text("reason").startsWith("timed out: "), completion.body());
            assertEquals("timed_out", api().get("/v1/sessions/" + session + "/inputs/" + input).text("abandonReason"));
            JsonNode timedOut;
            do {
                timedOut = events.nextEvent(10);
            } while (!timedOut.path("type").asString().equals("run_timed_out"));
            assertEquals(200, timedOut.path("limitMs").asLong(), timedOut.toString());
        } finally {
            events.close();
        }
        assertEquals("attached", api().get("/v1/sessions/" + session).text("state"), "the session goes on");
        // The run observer counts the run as it ends, before its waiters are told: no need to wait for it.
        String metrics = api().get("/metrics").body();
        assertTrue(metrics.contains("meerkat_run_duration_seconds_count{result=\"timed_out\"}"), metrics);
    }

    @Test
    void aFailingRunIsRetriedAndTheWaiterLearnsOnlyTheFinalOutcome() {
        String session = api().createSession("echo", "{\"failureRate\":1}");
        String input = api().post("/v1/sessions/" + session + "/inputs", "{\"text\":\"doomed\"}").text("inputId");
        Answer completion = api().get("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=10000");
        assertEquals("abandoned", completion.text("outcome"), completion.body());
        Answer status = api().get("/v1/sessions/" + session + "/inputs/" + input);
        assertEquals(3, status.json().path("attempts").asInt(), "resolved after the last attempt: " + status.body());
        assertEquals("max_attempts_exhausted", status.text("abandonReason"));
    }

    /** More idle event streams than the server has threads (64): they hold none, so the API still answers. */
    @Test
    void idleEventStreamsHoldNoServerThread() throws Exception {
        String session = api().createSession("echo", "{}");
        List<ApiClient.EventLines> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 80; i++) {
                streams.add(api().events(session));
            }
            for (ApiClient.EventLines stream : streams) {
                stream.awaitSubscribed(30);
            }
            assertEquals(200, api().get("/v1/health").status());
            String input = api().post("/v1/sessions/" + session + "/inputs", "{\"text\":\"to all\"}").text("inputId");
            for (ApiClient.EventLines stream : streams) {
                JsonNode event = stream.nextEvent(30);
                assertEquals(input, event.path("inputId").asString(), "every stream sees the input: " + event);
            }
        } finally {
            streams.forEach(ApiClient.EventLines::close);
        }
    }

    @Test
    void metricsCountSessionsAndOutcomes() {
        String session = api().createSession("echo", "{}");
        String input = api().post("/v1/sessions/" + session + "/inputs", "{\"text\":\"count me\"}").text("inputId");
        api().get("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=10000");

        Answer metrics = api().get("/metrics");

        assertEquals(200, metrics.status());
        assertTrue(metrics.body().contains("meerkat_sessions{state=\"attached\"}"), metrics.body());
        assertTrue(metrics.body().contains("meerkat_inputs_total{outcome=\"completed\"}"), metrics.body());
        assertTrue(metrics.body().contains("meerkat_run_duration_seconds_count{result=\"completed\"}"), metrics.body());
    }

    @Test
    void aRefusedRuntimeCommandAnswers409() {
        String session = api().createSession("echo", "{}");
        Answer stop = api().post("/v1/sessions/" + session + "/runtime", "{\"command\":\"stop\"}");
        assertEquals(200, stop.status(), stop.body());
        Answer resume = api().post("/v1/sessions/" + session + "/runtime", "{\"command\":\"resume\"}");
        assertError(resume, 409, "illegal_transition");
        assertTrue(resume.json().path("error").path("message").asString().contains("STOPPED"), resume.body());
        Answer again = api().post("/v1/sessions/" + session + "/runtime", "{\"command\":\"stop\"}");
        assertEquals(200, again.status(), "a second stop is harmless: " + again.body());
    }

    private static void assertError(Answer answer, int status, String code) {
        assertEquals(status, answer.status(), answer.body());
        assertEquals(code, answer.errorCode(), answer.body());
        assertTrue(!answer.json().path("error").path("message").asString().isBlank(), answer.body());
    }
}
