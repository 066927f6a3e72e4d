package io.meerkat.runtime.api.spi;

import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;

/**
 * Hears every session's runs start and end, for metrics and tracing: what a subscriber to each
 * session's event stream would learn of its runs, without an event built or handed to another thread.
 *
 * <p>The runtime calls it synchronously, on the thread that makes the step, while it holds the session
 * (so calls about one session come one at a time and in the session's order; calls about different
 * sessions come concurrently). An implementation must therefore be thread safe, cheap and never block:
 * it delays the session's loop by as long as it takes. What it throws is logged and otherwise ignored;
 * it never changes what the session does. Registered once per runtime, when the runtime is built.
 *
 * <p>With several nodes, a session taken up again by this node while its previous loop here is still ending
 * has two incarnations for a moment: the old one's last calls (its {@link #sessionClosed} included) may come
 * after the new one's first. Tell runs apart by their ids.
 */
public interface RunObserver {

    /** Hears nothing. */
    RunObserver NONE = new RunObserver() {
    };

    /** How a run ended. */
    enum RunEnd {
        /** The executor finished the turn; its inputs are consumed. */
        COMPLETED,
        /** The executor failed; its inputs were requeued or abandoned. */
        FAILED,
        /** A caller cancelled it. */
        CANCELLED,
        /** It ran past its time limit and was cancelled. */
        TIMED_OUT
    }

    /** Run {@code runId} of session {@code sessionId} started. */
    default void runStarted(SessionId sessionId, RunId runId) {
    }

    /**
     * Run {@code runId} of session {@code sessionId} ended. A run cut short because its session stopped
     * does not end this way: its session's {@link #sessionClosed} comes instead.
     */
    default void runEnded(SessionId sessionId, RunId runId, RunEnd end) {
    }

    /** Session {@code sessionId}'s loop ended: no call about it follows (for an observer keeping state per session). */
    default void sessionClosed(SessionId sessionId) {
    }
}
