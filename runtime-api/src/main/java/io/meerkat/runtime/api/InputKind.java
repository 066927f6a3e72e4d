package io.meerkat.runtime.api;

import java.util.Locale;

/** The kinds of {@link Input}, with the snake_case names used on the wire. */
public enum InputKind {
    PROMPT,
    PEER_MESSAGE,
    PEER_REQUEST,
    PEER_RESPONSE_PROGRESS,
    PEER_RESPONSE_TERMINAL,
    FLOW_STEP,
    EXTERNAL_EVENT,
    CONTINUATION,
    OPERATION;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    /** The wire name, e.g. {@code "peer_message"}. */
    public String wireName() {
        return wireName;
    }

    /**
     * Looks a kind up by its wire name.
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public static InputKind fromWireName(String wireName) {
        for (InputKind kind : values()) {
            if (kind.wireName().equals(wireName)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown input kind: " + wireName);
    }
}
