package io.meerkat.runtime.api;

import java.util.Locale;

/** Who produced an input. */
public enum InputSource {
    /** A human or platform operator. */
    OPERATOR,
    /** Another agent. */
    PEER,
    /** A flow engine driving the session. */
    FLOW,
    /** The runtime itself. */
    SYSTEM,
    /** Any other outside system (webhooks, schedulers, ...). */
    EXTERNAL;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    /** The wire name, e.g. {@code "operator"}. */
    public String wireName() {
        return wireName;
    }
}
