package io.meerkat.runtime.api;

/**
 * Why an input was abandoned.
 *
 * <p>Meerkat 0.5 abandoned the inputs of a stopped runtime with {@code Destroyed}; this runtime
 * uses the clearer {@link #STOPPED} and keeps {@link #DESTROYED} for {@code destroy}.
 */
public enum AbandonReason {
    /** The session was retired before a loop could drain the input. */
    RETIRED,
    /** The session was reset. */
    RESET,
    /** The session was stopped. */
    STOPPED,
    /** The session was destroyed. */
    DESTROYED,
    /** The run holding the input was cancelled. */
    CANCELLED,
    /** The input failed as many runs as the runtime's retry policy allows. */
    MAX_ATTEMPTS_EXHAUSTED,
    /**
     * The run holding the input failed with a failure its executor marked permanent
     * ({@link io.meerkat.runtime.api.spi.PermanentFailureException}): retrying would fail again.
     */
    FAILED_PERMANENTLY,
    /** The run holding the input ran past the session's {@code maxRunDuration} and was cancelled. */
    TIMED_OUT
}
