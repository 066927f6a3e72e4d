package io.meerkat.runtime.api;

import java.util.Objects;

/**
 * One message added to the conversation by a run.
 *
 * @param role   who speaks
 * @param text   what is said
 */
public record ConversationAppend(Role role, String text) {

    /** Who speaks in a {@link ConversationAppend}. */
    public enum Role {
        USER,
        ASSISTANT,
        SYSTEM_NOTICE,
        TOOL
    }

    public ConversationAppend {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(text, "text");
    }
}
