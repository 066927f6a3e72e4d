package io.meerkat.executor.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.ConversationAppend.Role;
import io.meerkat.runtime.api.ConversationAppend;
import io.meerkat.runtime.api.CoreApplyOutput;
import io.meerkat.runtime.api.ExecutionKind;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunBoundary;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.RunTerminal;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.TurnMetadata;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.PermanentFailureException;
import io.meerkat.runtime.api.spi.RunProgressListener;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The openai executor against a scripted local server: streaming, errors, timeouts, cancel, close. */
class OpenAiExecutorTest {

    private static final String KEY = "sk-test-secret-0123";

    private final ScriptedServer server = ScriptedServer.start();
    private final OpenAiExecutorFactory factory = new OpenAiExecutorFactory(
            name -> name.equals("TEST_OPENAI_KEY") ? KEY : null);
    private final List<String> progress = new CopyOnWriteArrayList<>();
    private final List<String> deltas = new CopyOnWriteArrayList<>();
    private final RunProgressListener listener = new RunProgressListener() {
        @Override
        public void onProgress(RunId runId, String message) {
            progress.add(message);
        }

        @Override
        public void onOutputDelta(RunId runId, String text) {
            deltas.add(text);
        }
    };

    @AfterEach
    void tearDown() {
        factory.close();
        server.close();
    }

    private CoreExecutor executor(String... settings) {
        Map<String, String> config = new HashMap<>(Map.of("baseUrl", server.url("/v1"), "model", Scripts.MODEL,
                "apiKeyEnv", "TEST_OPENAI_KEY"));
        for (int i = 0; i < settings.length; i += 2) {
            config.put(settings[i], settings[i + 1]);
        }
        return factory.create(new ExecutorContext(SessionId.random(), OpenAiExecutorFactory.KIND, config, Runnable::run,
                listener));
    }

    private static RunPrimitive.StagedInput staged(List<ConversationAppend> context, ConversationAppend... appends) {
        List<InputId> inputs = new ArrayList<>();
        for (int i = 0; i < appends.length; i++) {
            inputs.add(InputId.random());
        }
        return new RunPrimitive.StagedInput(RunBoundary.RUN_START, List.of(appends), context, inputs,
                new TurnMetadata(ExecutionKind.CONTENT_TURN, List.of(), Map.of()));
    }

    private static RunPrimitive.StagedInput prompt(String text) {
        return staged(List.of(), new ConversationAppend(Role.USER, text));
    }

    private static RunResult resultOf(CompletableFuture<CoreApplyOutput> run) throws Exception {
        CoreApplyOutput output = run.get(10, TimeUnit.SECONDS);
        return assertInstanceOf(RunTerminal.Result.class, output.terminal()).result();
    }

    private static Throwable failureOf(CompletableFuture<CoreApplyOutput> run) throws Exception {
        try {
            run.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("the run did not fail");
    }

    private static CompletableFuture<CoreApplyOutput> apply(CoreExecutor executor, RunPrimitive primitive) {
        return executor.apply(RunId.random(), primitive).toCompletableFuture();
    }

    private static JsonNode json(String body) {
        return JsonMapper.shared().readTree(body);
    }

    private static List<String> roles(JsonNode request) {
        List<String> roles = new ArrayList<>();
        request.path("messages").forEach(message -> roles.add(message.path("role").stringValue()
                + ":" + message.path("content").stringValue()));
        return roles;
    }

    @Test
    void theResultCarriesTheStreamedTextAndTheTokenUsage() throws Exception {
        server.next(Scripts.reply("Hel", "lo", ", world"));
        RunResult result = resultOf(apply(executor(), prompt("hi")));
        assertEquals("Hello, world", result.text());
        assertEquals(Map.of("executor", "openai", "model", Scripts.MODEL, "finishReason", "stop", "promptTokens", "11",
                "completionTokens", "7", "totalTokens", "18", "attempts", "1"), result.attributes());
    }

    @Test
    void theRequestStreamsTheMappedMessagesWithTheKey() throws Exception {
        server.next(Scripts.reply("ok"));
        CoreExecutor executor = executor("systemPrompt", "be brief", "temperature", "0.5", "maxTokens", "64");
        resultOf(apply(executor, staged(List.of(new ConversationAppend(Role.SYSTEM_NOTICE, "user is in a hurry")),
                new ConversationAppend(Role.USER, "first"), new ConversationAppend(Role.ASSISTANT, "noted"),
                new ConversationAppend(Role.SYSTEM_NOTICE, "notice"), new ConversationAppend(Role.TOOL, "tool output"))));

        ScriptedServer.Received request = server.takeRequest();
        assertEquals("POST", request.method());
        assertEquals("/v1/chat/completions", request.path());
        assertEquals("Bearer " + KEY, request.headers().get("authorization"));
        assertEquals("text/event-stream", request.headers().get("accept"));
        JsonNode body = json(request.body());
        assertEquals(Scripts.MODEL, body.path("model").stringValue());
        assertTrue(body.path("stream").booleanValue());
        assertTrue(body.path("stream_options").path("include_usage").booleanValue());
        assertEquals(0.5, body.path("temperature").doubleValue());
        assertEquals(64, body.path("max_tokens").intValue());
        assertEquals(List.of("system:be brief", "system:user is in a hurry", "user:first", "assistant:noted",
                "system:notice", "user:tool output"), roles(body));
    }

    @Test
    void laterRunsSendTheEarlierTurnsAlongUpToTheConfiguredNumber() throws Exception {
        server.next(Scripts.reply("one")).next(Scripts.reply("two")).next(Scripts.reply("three"));
        CoreExecutor executor = executor("maxHistoryMessages", "3");
        resultOf(apply(executor, prompt("a")));
        resultOf(apply(executor, prompt("b")));
        resultOf(apply(executor, prompt("c")));
        assertEquals(List.of("user:a"), roles(json(server.takeRequest().body())));
        assertEquals(List.of("user:a", "assistant:one", "user:b"), roles(json(server.takeRequest().body())));
        assertEquals(List.of("assistant:one", "user:b", "assistant:two", "user:c"),
                roles(json(server.takeRequest().body())), "the oldest message was dropped");
    }

    @Test
    void anImmediateAppendJoinsTheHistoryWithoutARequest() throws Exception {
        server.next(Scripts.reply("fine"));
        CoreExecutor executor = executor();
        CoreApplyOutput immediate = apply(executor, new RunPrimitive.ImmediateAppend(
                new ConversationAppend(Role.USER, "remember 42"))).get(10, TimeUnit.SECONDS);
        assertNull(immediate.terminal(), "no turn ends");
        assertEquals(0, server.pendingRequests());
        resultOf(apply(executor, prompt("what number?")));
        assertEquals(List.of("user:remember 42", "user:what number?"), roles(json(server.takeRequest().body())));
    }

    @Test
    void aRateLimitFailsTheRunNamingTheStatusRetryAfterAndTheErrorBody() throws Exception {
        server.next(Scripts.status(429, Map.of("Retry-After", "7"),
                "{\"error\":{\"message\":\"Rate limit reached for requests\",\"type\":\"requests\"}}"));
        Throwable failure = failureOf(apply(executor(), prompt("hi")));
        assertInstanceOf(OpenAiCallException.class, failure);
        assertEquals("executor 'openai': rate limited (HTTP 429, Retry-After: 7): "
                + "{\"error\":{\"message\":\"Rate limit reached for requests\",\"type\":\"requests\"}}", failure.getMessage());
    }

    @Test
    void aServerErrorFailsTheRunWithTheStatusAndASnippetButNeverTheKey() throws Exception {
        server.next(Scripts.status(500, Map.of(), "upstream exploded " + "x".repeat(1000)));
        String message = failureOf(apply(executor(), prompt("hi"))).getMessage();
        assertTrue(message.startsWith("executor 'openai': the server answered HTTP 500 (server error): upstream exploded xxx"),
                message);
        assertTrue(message.length() < 400, "the body is cut: " + message.length());
        assertFalse(message.contains(KEY));
    }

    @Test
    void anErrorBodyThatEchoesTheRequestHeadersNeverCarriesTheKey() throws Exception {
        server.next(Scripts.status(400, Map.of(), "{\"error\":\"bad request\",\"headers\":{\"Authorization\":\"Bearer "
                + KEY + "\"}}"));
        String message = failureOf(apply(executor(), prompt("hi"))).getMessage();
        assertTrue(message.contains("Bearer [redacted]"), message);
        assertFalse(message.contains(KEY), message);
    }

    @Test
    void aMalformedChunkQuotingTheKeyIsRedactedToo() throws Exception {
        server.next(Scripts.events("{\"echo\":\"" + KEY + "\",\"choices\":\"not an array\"}"));
        String message = failureOf(apply(executor(), prompt("hi"))).getMessage();
        assertTrue(message.contains("malformed stream chunk") && message.contains("[redacted]"), message);
        assertFalse(message.contains(KEY), message);
    }

    @Test
    void aKeyQuotedRightAtTheSnippetsCutIsRedactedToo() throws Exception {
        server.next(Scripts.events("x".repeat(285) + " " + KEY));
        String message = failureOf(apply(executor(), prompt("hi"))).getMessage();
        assertTrue(message.contains("malformed stream chunk"), message);
        assertFalse(message.contains(KEY.substring(0, 8)), message);
    }

    @Test
    void withStreamFalseTheWholeAnswerComesInOneBody() throws Exception {
        server.next(Scripts.status(200, Map.of("Content-Type", "application/json"), "{\"object\":\"chat.completion\","
                + "\"model\":\"" + Scripts.MODEL + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"all at once\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":4,"
                + "\"completion_tokens\":3,\"total_tokens\":7}}"));
        RunResult result = resultOf(apply(executor("stream", "false"), prompt("hi")));
        assertEquals("all at once", result.text());
        assertEquals(List.of("all at once"), deltas, "the whole answer is one output delta");
        assertEquals("7", result.attributes().get("totalTokens"));
        JsonNode request = json(server.takeRequest().body());
        assertFalse(request.path("stream").asBoolean(true));
        assertTrue(request.path("stream_options").isMissingNode(), request.toString());
    }

    @Test
    void aRetryableAnswerIsRetriedWhenAllowedBeforeAnythingStreamed() throws Exception {
        server.next(Scripts.status(429, Map.of("Retry-After", "0"), "{}")).next(Scripts.status(503, Map.of(), "busy"))
                .next(Scripts.reply("third time lucky"));
        RunResult result = resultOf(apply(executor("maxRetries", "2", "retryDelayMs", "0"), prompt("hi")));
        assertEquals("third time lucky", result.text());
        assertEquals("3", result.attributes().get("attempts"));
    }

    @Test
    void whenRetriesRunOutTheLastFailureSaysHowManyAttemptsWereMade() throws Exception {
        server.next(Scripts.status(502, Map.of(), "bad gateway")).next(Scripts.status(502, Map.of(), "bad gateway"));
        Throwable failure = failureOf(apply(executor("maxRetries", "1", "retryDelayMs", "0"), prompt("hi")));
        assertEquals("executor 'openai': the server answered HTTP 502 (server error): bad gateway (gave up after 2 attempts)",
                failure.getMessage());
        assertTrue(PermanentFailureException.isPermanent(failure), "retried here already: the runtime must not retry it too");
    }

    @Test
    void aServerErrorNotRetriedHereIsLeftToTheRuntimesRetries() throws Exception {
        server.next(Scripts.status(503, Map.of(), "overloaded"));
        Throwable failure = failureOf(apply(executor(), prompt("hi")));
        assertFalse(PermanentFailureException.isPermanent(failure), failure.toString());
    }

    @Test
    void aClientErrorIsNeverRetried() throws Exception {
        server.next(Scripts.status(401, Map.of(), "{\"error\":{\"message\":\"Incorrect API key\"}}"));
        Throwable failure = failureOf(apply(executor("maxRetries", "3", "retryDelayMs", "0"), prompt("hi")));
        String message = failure.getMessage();
        assertTrue(message.startsWith("executor 'openai': the server answered HTTP 401 (request refused): "), message);
        assertInstanceOf(PermanentFailureException.class, failure, "the runtime must not retry it either");
        server.takeRequest();
        assertEquals(0, server.pendingRequests(), "one request only");
    }

    @Test
    void aMalformedChunkFailsTheRunAndClosesTheConnection() throws Exception {
        Scripts.Stall stall = Scripts.Stall.afterDeltas("fine so far");
        server.next(exchange -> {
            exchange.startStream();
            exchange.event(Scripts.delta("fine so far"));
            exchange.event("{\"choices\": [ {\"delta\": ");
            exchange.stall(stall.reached, stall.clientGone);
        });
        String message = failureOf(apply(executor(), prompt("hi"))).getMessage();
        assertTrue(message.startsWith("executor 'openai': malformed stream chunk ("), message);
        assertTrue(message.endsWith("): {\"choices\": [ {\"delta\":"), message);
        stall.clientGone.get(10, TimeUnit.SECONDS);
    }

    @Test
    void anErrorEventInTheStreamFailsTheRun() throws Exception {
        server.next(Scripts.events(Scripts.delta("par"), "{\"error\":{\"message\":\"The server is overloaded\"}}"));
        assertEquals("executor 'openai': the server reported an error in the stream: The server is overloaded",
                failureOf(apply(executor(), prompt("hi"))).getMessage());
    }

    @Test
    void aStreamThatEndsWithoutDoneOrFinishReasonFails() throws Exception {
        server.next(Scripts.events(Scripts.delta("cut sh")));
        assertTrue(failureOf(apply(executor(), prompt("hi"))).getMessage()
                .endsWith("/v1/chat/completions ended before [DONE] after 1 chunk(s)"));
    }

    @Test
    void aStreamThatEndsAfterAFinishReasonButWithoutDoneCompletes() throws Exception {
        server.next(Scripts.events(Scripts.delta("whole"), Scripts.finish("length")));
        RunResult result = resultOf(apply(executor(), prompt("hi")));
        assertEquals("whole", result.text());
        assertEquals("length", result.attributes().get("finishReason"));
        assertFalse(result.attributes().containsKey("totalTokens"), "no usage was sent");
    }

    @Test
    void aCutConnectionFailsTheRun() throws Exception {
        server.next(exchange -> {
            exchange.startStream();
            exchange.event(Scripts.delta("and then"));
            exchange.cut();
        });
        String message = failureOf(apply(executor(), prompt("hi"))).getMessage();
        assertTrue(message.startsWith("executor 'openai': the connection to " + server.url("/v1/chat/completions")
                + " failed after 1 chunk(s): "), message);
    }

    @Test
    void aStallLongerThanTheReadTimeoutFailsTheRunAndClosesTheConnection() throws Exception {
        Scripts.Stall stall = Scripts.Stall.afterDeltas("thinking");
        server.next(stall);
        String message = failureOf(apply(executor("readTimeoutMs", "200"), prompt("hi"))).getMessage();
        assertTrue(message.startsWith("executor 'openai': no data from " + server.url("/v1/chat/completions") + " for "),
                message);
        assertTrue(message.endsWith(" ms (readTimeoutMs is 200)"), message);
        stall.clientGone.get(10, TimeUnit.SECONDS);
    }

    @Test
    void noResponseHeadersWithinTheConnectTimeoutFailsTheRun() throws Exception {
        Scripts.Stall stall = Scripts.Stall.beforeHeaders();
        server.next(stall);
        assertEquals("executor 'openai': no response from " + server.url("/v1/chat/completions")
                + " within 200 ms (connectTimeoutMs)", failureOf(apply(executor("connectTimeoutMs", "200"), prompt("hi")))
                .getMessage());
        stall.clientGone.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aRefusedConnectionFailsTheRun() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            closedPort = probe.getLocalPort();
        }
        CoreExecutor executor = executor("baseUrl", "http://127.0.0.1:" + closedPort + "/v1");
        assertTrue(failureOf(apply(executor, prompt("hi"))).getMessage()
                .startsWith("executor 'openai': cannot connect to http://127.0.0.1:" + closedPort + "/v1/chat/completions: "));
    }

    @Test
    void aCancelEndsTheRunAtOnceAndAbortsTheRequest() throws Exception {
        Scripts.Stall stall = Scripts.Stall.afterDeltas("a long", " answer");
        server.next(stall);
        CoreExecutor executor = executor();
        CompletableFuture<CoreApplyOutput> run = apply(executor, prompt("hi"));
        stall.reached.get(10, TimeUnit.SECONDS);
        executor.control(new RunControlCommand.CancelCurrentRun("user changed their mind"));
        assertTrue(run.isDone(), "completed by the control call itself");
        Throwable failure = run.handle((output, error) -> error).join();
        assertInstanceOf(CancellationException.class, failure);
        assertEquals("user changed their mind", failure.getMessage());
        stall.clientGone.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aCancelledRunLeavesNoTraceInTheHistory() throws Exception {
        Scripts.Stall stall = Scripts.Stall.afterDeltas("half");
        server.next(stall).next(Scripts.reply("fresh"));
        CoreExecutor executor = executor();
        CompletableFuture<CoreApplyOutput> run = apply(executor, prompt("first"));
        stall.reached.get(10, TimeUnit.SECONDS);
        executor.control(new RunControlCommand.CancelCurrentRun("stop"));
        assertTrue(run.isCompletedExceptionally());
        resultOf(apply(executor, prompt("second")));
        server.takeRequest();
        assertEquals(List.of("user:second"), roles(json(server.takeRequest().body())));
    }

    @Test
    void progressIsReportedWhileStreamingAndNotAfterTheRun() throws Exception {
        Scripts.Stall stall = Scripts.Stall.afterDeltas("one", "two", "three");
        server.next(stall);
        CoreExecutor executor = executor("progressIntervalMs", "0");
        CompletableFuture<CoreApplyOutput> run = apply(executor, prompt("hi"));
        stall.reached.get(10, TimeUnit.SECONDS);
        executor.control(new RunControlCommand.CancelCurrentRun("enough"));
        stall.clientGone.get(10, TimeUnit.SECONDS);
        assertTrue(run.isCompletedExceptionally());
        // Reports are made under ChatRun's lock and only while the run is undecided: once the cancel
        // returned, the count is final.
        int reports = progress.size();
        assertTrue(reports <= 3, "at most one report per chunk: " + progress);
        executor.close();
        assertEquals(reports, progress.size(), "nothing after the run ended");
    }

    @Test
    void eachStreamedChunksTextIsAnOutputDeltaInOrder() throws Exception {
        server.next(Scripts.reply("Hel", "lo", ", world"));
        RunResult result = resultOf(apply(executor(), prompt("hi")));
        assertEquals(List.of("Hel", "lo", ", world"), deltas, "one per chunk with text; none for finish and usage");
        assertEquals(result.text(), String.join("", deltas));
    }

    @Test
    void noOutputDeltaFollowsACancel() throws Exception {
        Scripts.Stall stall = Scripts.Stall.afterDeltas("one", "two", "three");
        server.next(stall);
        CoreExecutor executor = executor();
        CompletableFuture<CoreApplyOutput> run = apply(executor, prompt("hi"));
        stall.reached.get(10, TimeUnit.SECONDS);
        executor.control(new RunControlCommand.CancelCurrentRun("enough"));
        stall.clientGone.get(10, TimeUnit.SECONDS);
        assertTrue(run.isCompletedExceptionally());
        // Deltas are reported under ChatRun's lock while the run is undecided: once the cancel returned,
        // the list is final.
        List<String> reported = List.copyOf(deltas);
        assertEquals(List.of("one", "two", "three").subList(0, reported.size()), reported, "a prefix, in order");
        executor.close();
        assertEquals(reported, deltas, "nothing after the run ended");
    }

    @Test
    void progressReportsCountChunksAndCharacters() throws Exception {
        server.next(Scripts.reply("ab", "cde"));
        resultOf(apply(executor("progressIntervalMs", "0"), prompt("hi")));
        assertEquals(List.of("streaming: 1 chunk(s), 2 character(s)", "streaming: 2 chunk(s), 5 character(s)",
                "streaming: 3 chunk(s), 5 character(s)", "streaming: 4 chunk(s), 5 character(s)"), progress,
                "two deltas, the finish chunk, the usage chunk");
    }

    @Test
    void closingTheFactoryAbortsRunsInFlightAndRefusesNewOnes() throws Exception {
        Scripts.Stall stall = Scripts.Stall.afterDeltas("never");
        server.next(stall);
        CoreExecutor executor = executor();
        CompletableFuture<CoreApplyOutput> run = apply(executor, prompt("hi"));
        stall.reached.get(10, TimeUnit.SECONDS);
        factory.close();
        assertEquals("executor 'openai': the plugin is stopped", failureOf(run).getMessage());
        stall.clientGone.get(10, TimeUnit.SECONDS);
        assertEquals("executor 'openai': the plugin is stopped", failureOf(apply(executor, prompt("again"))).getMessage());
    }

    @Test
    void withoutARequiredKeyTheSessionIsRefusedAndWithoutAnOptionalOneNoKeyIsSent() throws Exception {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> executor("apiKeyEnv", "UNSET_VARIABLE"));
        assertEquals("executor 'openai': environment variable 'UNSET_VARIABLE' (config 'apiKeyEnv') holds no API key;"
                + " set it, or set 'apiKeyRequired' to false for a server that needs none", refused.getMessage());

        server.next(Scripts.reply("local"));
        assertEquals("local", resultOf(apply(executor("apiKeyEnv", "UNSET_VARIABLE", "apiKeyRequired", "false"),
                prompt("hi"))).text());
        assertNull(server.takeRequest().headers().get("authorization"));
    }
}
