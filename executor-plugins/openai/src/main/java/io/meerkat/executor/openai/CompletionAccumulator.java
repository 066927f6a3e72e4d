package io.meerkat.executor.openai;

import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Builds a {@link ChatCompletion} from the events of a streamed chat completion: each event is a
 * {@code chat.completion.chunk} JSON object whose first choice's {@code delta.content} extends the
 * text (a whole, unstreamed {@code chat.completion} is read the same way, from {@code message.content}); {@code finish_reason}, {@code model} and {@code usage} are kept as they arrive; the event
 * {@code [DONE]} ends the stream. An event that is not such an object, or that carries an
 * {@code error}, fails with an {@link OpenAiCallException} quoting it. Not thread safe: fed by one
 * subscriber.
 */
final class CompletionAccumulator {

    static final String DONE = "[DONE]";

    private final ObjectMapper json;
    private final StringBuilder text = new StringBuilder();
    private String model;
    private String finishReason;
    private TokenUsage usage;
    private int chunks;
    private boolean done;
    /** The text the last chunk added. */
    private String lastContent = "";

    /** @param requestedModel reported as the model when the server names none */
    CompletionAccumulator(ObjectMapper json, String requestedModel) {
        this.json = json;
        this.model = requestedModel;
    }

    /**
     * Takes the data of one event.
     *
     * @return whether the stream is complete ({@code [DONE]} arrived)
     * @throws OpenAiCallException if the event is malformed or reports an error
     */
    boolean accept(String data) {
        if (data.strip().equals(DONE)) {
            done = true;
            return true;
        }
        JsonNode chunk;
        try {
            chunk = json.readTree(data);
        } catch (JacksonException e) {
            throw OpenAiCallException.of("malformed stream chunk (" + e.getOriginalMessage() + "): "
                    + OpenAiCallException.snippet(data), e);
        }
        if (chunk == null || !chunk.isObject()) {
            throw OpenAiCallException.of("malformed stream chunk (not a JSON object): " + OpenAiCallException.snippet(data));
        }
        JsonNode error = chunk.path("error");
        if (!error.isMissingNode() && !error.isNull()) {
            String message = error.isObject() ? error.path("message").asString(error.toString()) : error.toString();
            throw OpenAiCallException.of("the server reported an error in the stream: "
                    + OpenAiCallException.snippet(message));
        }
        chunks++;
        lastContent = "";
        JsonNode model = chunk.path("model");
        if (model.isString() && !model.stringValue().isBlank()) {
            this.model = model.stringValue();
        }
        JsonNode choices = chunk.path("choices");
        if (!choices.isMissingNode() && !choices.isNull() && !choices.isArray()) {
            throw malformed("'choices' is not an array", data);
        }
        if (choices.isArray() && choices.size() > 0) {
            JsonNode choice = choices.get(0);
            String field = choice.has("message") ? "message" : "delta";
            JsonNode content = choice.path(field).path("content");
            if (content.isString()) {
                lastContent = content.stringValue();
                text.append(lastContent);
            } else if (!content.isMissingNode() && !content.isNull()) {
                throw malformed("'" + field + ".content' is not a string", data);
            }
            JsonNode finish = choice.path("finish_reason");
            if (finish.isString()) {
                finishReason = finish.stringValue();
            }
        }
        JsonNode usageNode = chunk.path("usage");
        if (usageNode.isObject()) {
            usage = new TokenUsage(usageNode.path("prompt_tokens").asLong(0),
                    usageNode.path("completion_tokens").asLong(0), usageNode.path("total_tokens").asLong(0));
        }
        return false;
    }

    private static OpenAiCallException malformed(String what, String data) {
        return OpenAiCallException.of("malformed stream chunk (" + what + "): " + OpenAiCallException.snippet(data));
    }

    /** Whether {@code [DONE]} arrived. */
    boolean done() {
        return done;
    }

    /** Whether a choice reported why it finished (a complete answer even if {@code [DONE]} never comes). */
    boolean finished() {
        return finishReason != null;
    }

    /** Chunks taken so far, {@code [DONE]} not counted. */
    int chunks() {
        return chunks;
    }

    /** The text the last chunk taken added to the answer; empty if it added none. */
    String lastContent() {
        return lastContent;
    }

    /** Characters of text so far. */
    int characters() {
        return text.length();
    }

    /** The completion as streamed so far. */
    ChatCompletion completion() {
        return new ChatCompletion(text.toString(), model, Optional.ofNullable(finishReason), Optional.ofNullable(usage));
    }
}
