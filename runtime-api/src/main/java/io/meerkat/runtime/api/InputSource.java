package io.meerkat.runtime.api;

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
    EXTERNAL
}
