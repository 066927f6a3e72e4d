package io.meerkat.executor.openai;

import java.net.http.HttpRequest;
import java.util.List;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds the HTTP request of one chat completion: {@code POST <baseUrl>/chat/completions} with
 * {@code stream: true} and {@code stream_options.include_usage} (so the last chunk carries the
 * token usage), or {@code stream: false} when the settings say so; the API key as a bearer token when there is one, and the configured connect
 * timeout, which covers everything up to the response headers. The request is immutable, so a
 * retry sends it again as is.
 */
final class ChatRequest {

    private ChatRequest() {
    }

    static HttpRequest of(OpenAiSettings settings, List<ChatMessage> messages, ObjectMapper json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(settings.endpoint())
                .timeout(settings.connectTimeout())
                .header("Content-Type", "application/json")
                .header("Accept", settings.stream() ? "text/event-stream" : "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body(settings, messages, json))));
        settings.apiKey().ifPresent(key -> request.header("Authorization", key.bearer()));
        return request.build();
    }

    /** The JSON body. */
    static ObjectNode body(OpenAiSettings settings, List<ChatMessage> messages, ObjectMapper json) {
        ObjectNode body = json.createObjectNode();
        body.put("model", settings.model());
        body.put("stream", settings.stream());
        if (settings.stream()) {
            body.putObject("stream_options").put("include_usage", true);
        }
        ArrayNode array = body.putArray("messages");
        for (ChatMessage message : messages) {
            array.addObject().put("role", message.role()).put("content", message.content());
        }
        settings.temperature().ifPresent(temperature -> body.put("temperature", temperature));
        settings.maxTokens().ifPresent(maxTokens -> body.put("max_tokens", maxTokens));
        return body;
    }
}
