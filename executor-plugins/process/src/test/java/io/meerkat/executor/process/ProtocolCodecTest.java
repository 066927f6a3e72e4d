package io.meerkat.executor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.ConversationAppend;
import io.meerkat.runtime.api.ExecutionKind;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunBoundary;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RunPrimitive;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.TurnMetadata;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The protocol lines: the request's shape, and what the program may and may not send. */
class ProtocolCodecTest {

    private final ProtocolCodec codec = new ProtocolCodec();

    private String request(String... texts) {
        List<ConversationAppend> appends = java.util.Arrays.stream(texts)
                .map(text -> new ConversationAppend(ConversationAppend.Role.USER, text)).toList();
        RunPrimitive primitive = new RunPrimitive.StagedInput(RunBoundary.RUN_START, appends, List.of(),
                List.of(InputId.random()), new TurnMetadata(ExecutionKind.CONTENT_TURN, List.of("c1"), Map.of("k", "v")));
        return codec.encode(ProtocolMessage.Request.of(SessionId.random(), RunId.random(), primitive));
    }

    @Test
    void aRequestIsOneLineWithTextLast() {
        String line = request("first\nline", "has \"text\": inside");
        assertFalse(line.contains("\n"), line);
        JsonNode node = codec.mapper().readTree(line);
        assertEquals("request", node.get("type").stringValue());
        assertEquals(1, node.get("protocol").asInt());
        assertEquals("staged_input", node.get("primitive").stringValue());
        assertEquals("content_turn", node.get("executionKind").stringValue());
        assertEquals("user", node.get("appends").get(0).get("role").stringValue());
        assertEquals("c1", node.get("correlationIds").get(0).stringValue());
        assertEquals("v", node.get("attributes").get("k").stringValue());
        assertEquals("first\nline\nhas \"text\": inside", node.get("text").stringValue());
        List<String> fields = node.propertyNames().stream().toList();
        assertEquals("text", fields.get(fields.size() - 1), "text is the last field: " + fields);
        // What the example agent relies on: the text's JSON literal follows the last '"text":'.
        String literal = line.substring(line.lastIndexOf("\"text\":") + "\"text\":".length(), line.length() - 1);
        assertEquals("first\nline\nhas \"text\": inside", codec.mapper().readTree(literal).stringValue());
    }

    @Test
    void aRequestCarriesOneAttemptKeyPerInputInOrder() {
        InputId first = InputId.random();
        InputId second = InputId.random();
        List<ConversationAppend> appends = List.of(new ConversationAppend(ConversationAppend.Role.USER, "a"),
                new ConversationAppend(ConversationAppend.Role.USER, "b"));
        TurnMetadata metadata = new TurnMetadata(ExecutionKind.CONTENT_TURN, List.of(), Map.of());
        RunPrimitive retried = new RunPrimitive.StagedInput(RunBoundary.RUN_START, appends, List.of(),
                List.of(first, second), metadata, List.of(2, 1));
        JsonNode node = codec.mapper().readTree(codec.encode(ProtocolMessage.Request.of(SessionId.random(), RunId.random(), retried)));
        assertEquals(List.of(first + ":2", second + ":1"),
                node.get("attemptKeys").valueStream().map(JsonNode::stringValue).toList());

        RunPrimitive withoutAttempts = new RunPrimitive.StagedInput(RunBoundary.RUN_START, appends, List.of(),
                List.of(first, second), metadata);
        JsonNode none = codec.mapper().readTree(codec.encode(ProtocolMessage.Request.of(SessionId.random(), RunId.random(), withoutAttempts)));
        assertTrue(none.get("attemptKeys").isArray() && none.get("attemptKeys").isEmpty(), none.toString());
        RunPrimitive immediate = new RunPrimitive.ImmediateAppend(new ConversationAppend(ConversationAppend.Role.USER, "c"));
        JsonNode append = codec.mapper().readTree(codec.encode(ProtocolMessage.Request.of(SessionId.random(), RunId.random(), immediate)));
        assertTrue(append.get("attemptKeys").isEmpty(), append.toString());
    }

    @Test
    void decodesTheProgramsMessages() throws ProtocolViolation {
        assertEquals(new ProtocolMessage.Progress("half way"), codec.decode("{\"type\":\"progress\",\"message\":\"half way\"}"));
        assertEquals(new ProtocolMessage.Result("done", Map.of("tokens", "12", "model", "m", "ok", "true")),
                codec.decode("{\"type\":\"result\",\"protocol\":1,\"text\":\"done\","
                        + "\"attributes\":{\"tokens\":12,\"model\":\"m\",\"ok\":true},\"extra\":\"ignored\"}"));
        assertEquals(new ProtocolMessage.AgentError("no"), codec.decode("{\"type\":\"error\",\"message\":\"no\"}"));
        assertEquals(new ProtocolMessage.Output("Hel"), codec.decode("{\"type\":\"output\",\"text\":\"Hel\"}"));
    }

    @Test
    void refusesGarbageSayingWhatIsWrong() {
        assertViolation("a line that is not JSON: 'hello'", "hello");
        assertViolation("a line that is not JSON: '{\"type\":\"progress\",\"message\":\"a\"} trailing'",
                "{\"type\":\"progress\",\"message\":\"a\"} trailing");
        assertViolation("a line that is not a JSON object: '[1,2]'", "[1,2]");
        assertViolation("a line without the string field 'type': '{\"message\":\"a\"}'", "{\"message\":\"a\"}");
        assertViolation("a line of unknown type 'request': '{\"type\":\"request\"}'", "{\"type\":\"request\"}");
        assertViolation("a line without the string field 'message': '{\"type\":\"error\",\"message\":3}'",
                "{\"type\":\"error\",\"message\":3}");
        assertViolation("a line without the string field 'text': '{\"type\":\"output\"}'", "{\"type\":\"output\"}");
        assertViolation("a line of protocol 2 (this executor speaks 1): '{\"type\":\"result\",\"protocol\":2,\"text\":\"x\"}'",
                "{\"type\":\"result\",\"protocol\":2,\"text\":\"x\"}");
        assertViolation("a result whose 'attributes' is not an object: '{\"type\":\"result\",\"text\":\"x\",\"attributes\":[]}'",
                "{\"type\":\"result\",\"text\":\"x\",\"attributes\":[]}");
    }

    @Test
    void quotesALongLineTruncated() {
        String line = "x".repeat(500);
        ProtocolViolation violation = assertThrows(ProtocolViolation.class, () -> codec.decode(line));
        assertEquals("a line that is not JSON: '" + "x".repeat(ProtocolViolation.SNIPPET_CHARS) + "...' (500 chars)",
                violation.getMessage());
    }

    private void assertViolation(String message, String line) {
        ProtocolViolation violation = assertThrows(ProtocolViolation.class, () -> codec.decode(line), line);
        assertEquals(message, violation.getMessage());
        assertTrue(violation.getMessage().length() < 300);
    }
}
