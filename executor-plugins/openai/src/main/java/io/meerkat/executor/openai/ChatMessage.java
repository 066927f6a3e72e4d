package io.meerkat.executor.openai;

import io.meerkat.runtime.api.ConversationAppend;
import java.util.Objects;

/**
 * One entry of a chat-completions {@code messages} array.
 *
 * @param role    {@code system}, {@code user} or {@code assistant}
 * @param content the message text
 */
record ChatMessage(String role, String content) {

    static final String SYSTEM = "system";
    static final String USER = "user";
    static final String ASSISTANT = "assistant";

    ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    /**
     * The message for a conversation append. A tool append becomes a user message: the API's
     * {@code tool} role needs the id of a tool call, which an append does not carry.
     */
    static ChatMessage of(ConversationAppend append) {
        return switch (append.role()) {
            case USER, TOOL -> new ChatMessage(USER, append.text());
            case ASSISTANT -> new ChatMessage(ASSISTANT, append.text());
            case SYSTEM_NOTICE -> new ChatMessage(SYSTEM, append.text());
        };
    }

    /** A context append: instructions for the model, sent as a system message. */
    static ChatMessage context(ConversationAppend append) {
        return new ChatMessage(SYSTEM, append.text());
    }
}
