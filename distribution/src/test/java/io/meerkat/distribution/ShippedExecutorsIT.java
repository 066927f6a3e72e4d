package io.meerkat.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.distribution.PackagedLauncher.Served;
import io.meerkat.distribution.http.ApiClient;
import io.meerkat.distribution.http.ApiClient.Answer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Every shipped executor plugin, run by the packaged {@code bin/meerkat} as its own process and driven
 * over HTTP as a client would: echo, process (the shipped {@code echo-agent} profile) and openai (against
 * {@link FakeOpenAi}, an OpenAI-compatible server on 127.0.0.1 configured as an operator profile). Also
 * who decides what: a client's operator-only keys are refused, unless the operator turns on the unsafe
 * setting, which the launcher then says loudly. And what a client streaming a run sees: each
 * executor's output as {@code output_delta} events, then {@code run_completed} with the result.
 */
class ShippedExecutorsIT {

    private static final String API_KEY = "sk-e2e-secret-0123456789abcdef";

    private static final PackagedLauncher LAUNCHER = new PackagedLauncher();
    private static FakeOpenAi openAi;
    private static ApiClient api;

    @BeforeAll
    static void serve() throws Exception {
        openAi = new FakeOpenAi();
        Path config = configWith("""
                meerkat.profile.openai.fake.baseUrl=%s
                meerkat.profile.openai.fake.apiKeyEnv=FAKE_OPENAI_KEY
                meerkat.profile.openai.fake.model=fake-model
                meerkat.profile.openai.fake.readTimeoutMs=20000
                """.formatted(openAi.baseUrl()));
        Served served = LAUNCHER.serve(Map.of("FAKE_OPENAI_KEY", API_KEY), "--config", config.toString());
        api = new ApiClient(served.uri());
    }

    @AfterAll
    static void stop() throws Exception {
        LAUNCHER.close();
        openAi.close();
    }

    @BeforeEach
    void forgetRequests() {
        openAi.forgetRequests();
    }

    @Test
    void echoTakesClientKeysAsJsonValuesAndRefusesUnknownOnes() {
        String session = create("{\"executor\":\"echo\",\"config\":{\"delayMs\":20,\"template\":\"re: {text}\"}}");
        assertEquals("re: hi", completion(session, submit(session, "hi")).json().path("result").path("text").asString());

        assertInvalidConfig("{\"executor\":\"echo\",\"config\":{\"stpes\":\"5\"}}", "unknown config key 'stpes'");
        assertInvalidConfig("{\"executor\":\"echo\",\"config\":{\"delayMs\":1e18}}", "delayMs");
        assertInvalidConfig("{\"executor\":\"echo\",\"config\":{\"delayMs\":\"999999999999\"}}", "between 0 and 3600000");
        assertInvalidConfig("{\"executor\":\"echo\",\"config\":{\"delayMs\":{\"a\":1}}}", "must be a string, a number or a boolean");
        assertInvalidConfig("{\"executor\":\"echo\",\"config\":{\"delayMs\":\"abc\"}}", "whole number");
    }

    @Test
    void processRunsTheShippedAgentProfile() {
        String session = create("{\"executor\":\"process\",\"profile\":\"echo-agent\"}");
        Answer completion = completion(session, submit(session, "over the pipe"));
        assertEquals("completed", completion.text("outcome"), completion.body());
        assertEquals("over the pipe", completion.json().path("result").path("text").asString());
        assertEquals("echo-agent.sh", completion.json().path("result").path("attributes").path("agent").asString());
    }

    @Test
    void aClientCannotChooseTheProgramTheProcessExecutorRuns() throws Exception {
        Path marker = Files.createTempDirectory("meerkat-e2e").resolve("pwned");
        String command = "{\"executor\":\"process\",\"config\":{\"command\":\"sh\",\"args\":\"[\\\"-c\\\",\\\"touch "
                + marker + "\\\"]\"}}";
        assertInvalidConfig(command, "config 'args' is set by the operator, in a profile");
        assertInvalidConfig("{\"executor\":\"process\",\"profile\":\"echo-agent\",\"config\":{\"env.LD_PRELOAD\":\"x\"}}",
                "set by the operator");
        assertInvalidConfig("{\"executor\":\"process\",\"profile\":\"nope\"}", "has no profile 'nope'");
        assertInvalidConfig("{\"executor\":\"process\"}", "runs only with a profile the operator declared");
        assertFalse(Files.exists(marker), "nothing ran");
    }

    @Test
    void openAiStreamsAnAnswerWithTheOperatorsEndpointAndKey() throws Exception {
        String session = create("{\"executor\":\"openai\",\"profile\":\"fake\",\"config\":{\"model\":\"chosen-model\"}}");
        Answer completion = completion(session, submit(session, "hello"));

        assertEquals("completed", completion.text("outcome"), completion.body());
        assertEquals("echo: hello", completion.json().path("result").path("text").asString());
        assertEquals("5", completion.json().path("result").path("attributes").path("totalTokens").asString());
        FakeOpenAi.Received request = openAi.nextRequest();
        assertEquals("Bearer " + API_KEY, request.authorization());
        assertEquals("chosen-model", request.body().path("model").asString());
        assertTrue(request.body().path("stream").asBoolean());
    }

    @Test
    void openAiStreamsEachChunkAsAnOutputDeltaAndRunCompletedCarriesTheResult() throws Exception {
        String session = create("{\"executor\":\"openai\",\"profile\":\"fake\"}");
        Streamed run = streamRun(session, "the quick brown fox");

        assertEquals(List.of("echo: ", "the ", "quick ", "brown ", "fox"), run.deltas(), "one delta per chunk, in order");
        assertEquals("completed", run.completed().path("outcome").asString(), run.completed().toString());
        assertEquals("echo: the quick brown fox", run.completed().path("result").path("text").asString());
        assertEquals("5", run.completed().path("result").path("attributes").path("totalTokens").asString());
    }

    @Test
    void openAiSendsAWholeAnswerAsOneDelta() throws Exception {
        String session = create("{\"executor\":\"openai\",\"profile\":\"fake\",\"config\":{\"stream\":false}}");
        Streamed run = streamRun(session, "in one piece");
        assertEquals(List.of("echo: in one piece"), run.deltas());
        assertEquals("echo: in one piece", run.completed().path("result").path("text").asString());
    }

    @Test
    void echoAndTheProcessAgentStreamTheirRepliesAsOutputDeltas() throws Exception {
        Streamed whole = streamRun(create("{\"executor\":\"echo\"}"), "one piece");
        assertEquals(List.of("one piece"), whole.deltas(), "by default the reply is one delta");
        assertEquals("one piece", whole.completed().path("result").path("text").asString());

        Streamed chunked = streamRun(create("{\"executor\":\"echo\",\"config\":{\"chunks\":4,\"delayMs\":40}}"),
                "abcdefgh");
        assertEquals(List.of("ab", "cd", "ef", "gh"), chunked.deltas());
        assertEquals("abcdefgh", chunked.completed().path("result").path("text").asString());

        Streamed agent = streamRun(create("{\"executor\":\"process\",\"profile\":\"echo-agent\"}"), "over the pipe");
        assertEquals(List.of("over the pipe"), agent.deltas(), "the agent's output line");
        assertEquals("over the pipe", agent.completed().path("result").path("text").asString());
    }

    @Test
    void openAiAsksForAWholeAnswerWhenTheClientSaysStreamFalse() throws Exception {
        String session = create("{\"executor\":\"openai\",\"profile\":\"fake\",\"config\":{\"stream\":false}}");
        Answer completion = completion(session, submit(session, "in one piece"));

        assertEquals("completed", completion.text("outcome"), completion.body());
        assertEquals("echo: in one piece", completion.json().path("result").path("text").asString());
        FakeOpenAi.Received request = openAi.nextRequest();
        assertEquals("fake-model", request.body().path("model").asString(), "the profile's model");
        assertFalse(request.body().path("stream").asBoolean(true));
    }

    @Test
    void anUpstreamErrorIsReportedCappedAndWithoutTheKey() throws Exception {
        String session = create("{\"executor\":\"openai\",\"profile\":\"fake\"}");
        Answer completion = completion(session, submit(session, "fail"));

        assertEquals("abandoned", completion.text("outcome"), completion.body());
        String reason = completion.text("reason");
        assertTrue(reason.contains("HTTP 500") && reason.contains("upstream exploded"), reason);
        assertTrue(reason.contains("[redacted]"), reason);
        assertFalse(reason.contains(API_KEY.substring(0, 12)), reason);
        assertTrue(reason.length() < 1_000, "capped: " + reason.length() + " characters");
        Answer health = api.get("/v1/health");
        assertEquals(200, health.status(), "the runtime stays healthy");
    }

    @Test
    void aCancelClosesTheSlowStreamAtOnce() throws Exception {
        String session = create("{\"executor\":\"openai\",\"profile\":\"fake\"}");
        String input = submit(session, "slow");
        assertTrue(openAi.slowStreamStarted.await(20, TimeUnit.SECONDS), "the stream started");

        Answer cancel = api.post("/v1/sessions/" + session + "/control", "{\"command\":\"cancel_current_run\"}");
        assertEquals(202, cancel.status(), cancel.body());

        Answer completion = completion(session, input);
        assertEquals("abandoned", completion.text("outcome"), completion.body());
        assertTrue(openAi.slowStreamClosedByClient.await(10, TimeUnit.SECONDS), "the connection was closed");
        assertEquals("completed", completion(session, submit(session, "after")).text("outcome"), "the session goes on");
    }

    @Test
    void openAiNeverFallsBackToItsBuiltInEndpointAndKeyVariable() {
        assertInvalidConfig("{\"executor\":\"openai\",\"config\":{\"model\":\"gpt-4o\"}}",
                "runs only with a profile the operator declared; pick one with \\\"profile\\\": [fake]");
    }

    @Test
    void aClientCannotChooseWhereCredentialsGo() {
        assertInvalidConfig("{\"executor\":\"openai\",\"profile\":\"fake\",\"config\":{\"baseUrl\":\"http://127.0.0.1:9/v1\"}}",
                "config 'baseUrl' is set by the operator");
        assertInvalidConfig("{\"executor\":\"openai\",\"profile\":\"fake\",\"config\":{\"apiKeyEnv\":\"MEERKAT_TOKEN\"}}",
                "config 'apiKeyEnv' is set by the operator");
    }

    @Test
    void theUnsafeSettingLetsClientsChooseProgramsAndSaysSoLoudly() throws Exception {
        try (PackagedLauncher unsafe = new PackagedLauncher()) {
            Served served = unsafe.serve(Map.of(), "--config",
                    configWith("meerkat.unsafe.client-operator-config=true\n").toString());
            ApiClient client = new ApiClient(served.uri());
            String agent = PackagedLauncher.DIST.resolve("examples/echo-agent.sh").toAbsolutePath().toString();
            Answer created = client.post("/v1/sessions", "{\"executor\":\"process\",\"config\":{\"command\":\"sh\","
                    + "\"args\":\"[\\\"" + agent + "\\\"]\"}}");
            assertEquals(201, created.status(), created.body());
            String session = created.text("id");
            String input = client.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"unsafe\"}").text("inputId");
            Answer completion = client.get("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=20000");
            assertEquals("unsafe", completion.json().path("result").path("text").asString(), completion.body());
            String err = Files.readString(served.stderr());
            assertTrue(err.contains("UNSAFE") && err.contains("meerkat.unsafe.client-operator-config"), err);
        }
    }

    /** A run as its session's event stream showed it: the texts of its output deltas, and its run_completed. */
    private record Streamed(List<String> deltas, JsonNode completed) {
    }

    /**
     * Submits {@code text} to {@code session} while reading its event stream, up to the run's end: checks
     * that every delta names the run, comes after its start and before its end, that no event was lost,
     * and that the run completed and consumed the input.
     */
    private static Streamed streamRun(String session, String text) throws Exception {
        ApiClient.EventLines events = api.events(session);
        try {
            events.awaitSubscribed(10);
            String input = submit(session, text);
            List<JsonNode> run = events.untilRunEnds(30);
            for (int i = 1; i < run.size(); i++) {
                assertEquals(run.get(i - 1).path("sequence").asLong() + 1, run.get(i).path("sequence").asLong(),
                        "no event lost: " + run);
            }
            List<String> types = run.stream().map(event -> event.path("type").asString()).toList();
            int started = types.indexOf("run_started");
            assertTrue(started >= 0, "the run started: " + types);
            String runId = run.get(started).path("runId").asString();
            List<String> deltas = new ArrayList<>();
            for (int i = 0; i < run.size(); i++) {
                if (types.get(i).equals("output_delta")) {
                    assertTrue(i > started, "a delta after the run's start: " + types);
                    assertEquals(runId, run.get(i).path("runId").asString(), "the delta names the run");
                    deltas.add(run.get(i).path("text").asString());
                }
            }
            JsonNode completed = run.get(run.size() - 1);
            assertEquals("run_completed", completed.path("type").asString(), completed.toString());
            assertEquals(runId, completed.path("runId").asString());
            assertEquals(1, completed.path("consumedInputIds").size(), completed.toString());
            assertEquals(input, completed.path("consumedInputIds").path(0).asString());
            assertEquals(String.join("", deltas), completed.path("result").path("text").asString(),
                    "the deltas add up to the result");
            return new Streamed(deltas, completed);
        } finally {
            events.close();
        }
    }

    /** The shipped configuration with {@code extra} lines appended, as a file for {@code --config}. */
    private static Path configWith(String extra) throws Exception {
        Path config = Files.createTempFile("meerkat-e2e", ".properties");
        String shipped = Files.readString(PackagedLauncher.DIST.resolve("conf/meerkat.properties"));
        String home = PackagedLauncher.DIST.toAbsolutePath().toString();
        Files.writeString(config, shipped + "\n" + extra, StandardCharsets.UTF_8);
        assertTrue(shipped.contains("${meerkat.home}"), "the shipped profile uses the home placeholder: " + home);
        return config;
    }

    private static String create(String body) {
        Answer created = api.post("/v1/sessions", body);
        assertEquals(201, created.status(), created.body());
        return created.text("id");
    }

    private static String submit(String session, String text) {
        Answer submitted = api.post("/v1/sessions/" + session + "/inputs", "{\"text\":\"" + text + "\"}");
        assertEquals(202, submitted.status(), submitted.body());
        return submitted.text("inputId");
    }

    private static Answer completion(String session, String input) {
        Answer completion = api.get("/v1/sessions/" + session + "/inputs/" + input + "/completion?timeoutMs=30000");
        assertEquals(200, completion.status(), completion.body());
        return completion;
    }

    private static void assertInvalidConfig(String body, String expected) {
        Answer refused = api.post("/v1/sessions", body);
        assertEquals(400, refused.status(), refused.body());
        assertEquals("invalid_config", refused.errorCode(), refused.body());
        assertTrue(refused.body().contains(expected), refused.body());
    }
}
