package io.meerkat.executor.process;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.JsonRecyclerPools;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Turns {@link ProtocolMessage}s into protocol lines and back, with Jackson. Encoded lines never
 * contain a line break (JSON escapes them inside strings) and a request's {@code "text"} is always its
 * last field. Decoding accepts only the program's messages and refuses anything else with a
 * {@link ProtocolViolation} naming the problem. Thread safe.
 */
final class ProtocolCodec {

    private final JsonMapper mapper;

    ProtocolCodec() {
        // Buffers recycled through a pool this codec owns, not Jackson's thread-local default: a thread-local
        // value on the runtime's long-lived threads would keep this plugin's class loader alive after unloading.
        JsonFactory factory = JsonFactory.builder().recyclerPool(JsonRecyclerPools.newConcurrentDequePool()).build();
        mapper = JsonMapper.builder(factory)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
    }

    /** The mapper, for reading configuration values written as JSON. */
    JsonMapper mapper() {
        return mapper;
    }

    /** The request as one line, without the line break. */
    String encode(ProtocolMessage.Request request) {
        ObjectNode line = mapper.createObjectNode();
        line.put("type", "request");
        line.put("protocol", ProtocolMessage.VERSION);
        line.put("runId", request.runId());
        line.put("sessionId", request.sessionId());
        line.put("primitive", request.primitive());
        if (request.executionKind() != null) {
            line.put("executionKind", request.executionKind());
        }
        appends(line.putArray("appends"), request.appends());
        appends(line.putArray("contextAppends"), request.contextAppends());
        strings(line.putArray("inputIds"), request.inputIds());
        strings(line.putArray("attemptKeys"), request.attemptKeys());
        strings(line.putArray("correlationIds"), request.correlationIds());
        ObjectNode attributes = line.putObject("attributes");
        request.attributes().forEach(attributes::put);
        // Last, so that a program without a JSON parser finds it after the last '"text":' (see PROTOCOL.md).
        line.put("text", request.text());
        return mapper.writeValueAsString(line);
    }

    private static void appends(ArrayNode array, List<ProtocolMessage.Append> appends) {
        for (ProtocolMessage.Append append : appends) {
            array.addObject().put("role", append.role()).put("text", append.text());
        }
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }

    /**
     * Reads one line the program wrote.
     *
     * @throws ProtocolViolation if the line is not a well-formed progress, output, result or error message
     */
    ProtocolMessage decode(String line) throws ProtocolViolation {
        JsonNode node;
        try {
            node = mapper.readTree(line);
        } catch (JacksonException e) {
            throw new ProtocolViolation("a line that is not JSON", line);
        }
        if (node == null || !node.isObject()) {
            throw new ProtocolViolation("a line that is not a JSON object", line);
        }
        JsonNode protocol = node.get("protocol");
        if (protocol != null && !(protocol.isIntegralNumber() && protocol.asInt() == ProtocolMessage.VERSION)) {
            throw new ProtocolViolation("a line of protocol " + protocol + " (this executor speaks "
                    + ProtocolMessage.VERSION + ")", line);
        }
        String type = string(node, "type", line);
        switch (type) {
            case "progress":
                return new ProtocolMessage.Progress(string(node, "message", line));
            case "output":
                return new ProtocolMessage.Output(string(node, "text", line));
            case "result":
                return new ProtocolMessage.Result(string(node, "text", line), attributes(node, line));
            case "error":
                return new ProtocolMessage.AgentError(string(node, "message", line));
            default:
                throw new ProtocolViolation("a line of unknown type '" + type + "'", line);
        }
    }

    private static String string(JsonNode node, String field, String line) throws ProtocolViolation {
        JsonNode value = node.get(field);
        if (value == null || !value.isString()) {
            throw new ProtocolViolation("a line without the string field '" + field + "'", line);
        }
        return value.stringValue();
    }

    private static Map<String, String> attributes(JsonNode node, String line) throws ProtocolViolation {
        JsonNode value = node.get("attributes");
        if (value == null || value.isNull()) {
            return Map.of();
        }
        if (!value.isObject()) {
            throw new ProtocolViolation("a result whose 'attributes' is not an object", line);
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : value.properties()) {
            JsonNode attribute = entry.getValue();
            attributes.put(entry.getKey(), attribute.isString() ? attribute.stringValue() : attribute.toString());
        }
        return attributes;
    }
}
