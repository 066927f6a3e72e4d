package io.meerkat.runtime.api.spi;

import io.meerkat.runtime.api.RunId;

/**
 * Where an executor reports how a run is going: coarse progress (a subprocess's progress line, a
 * streamed token count) and the run's output as it is produced (streamed text).
 *
 * <p>The runtime publishes each call as an event of the session, in order with the run's other
 * events: {@link #onProgress} as {@link io.meerkat.runtime.api.RunEvent.RunProgress},
 * {@link #onOutputDelta} as {@link io.meerkat.runtime.api.RunEvent.OutputDelta}. Calls about a run
 * that has ended (or is not the session's current run) are dropped. Thread safe; callable from any
 * thread; never blocks; cheap when nobody listens to the session's events. Calls made one after the
 * other (by one thread, or ordered by the executor's own lock) are published in that order.
 */
@FunctionalInterface
public interface RunProgressListener {

    /** Ignores every report. */
    RunProgressListener NONE = (runId, message) -> { };

    /** Reports how run {@code runId} is going, in free text. */
    void onProgress(RunId runId, String message);

    /**
     * Reports the next piece of run {@code runId}'s output: {@code text} follows the pieces reported
     * before it. Emit the pieces in order, from one thread at a time (or under a lock), before the
     * run's stage completes: a piece that arrives after the run has ended is dropped. An empty
     * {@code text} is ignored. Ignores every piece unless overridden (the runtime's listener publishes it).
     */
    default void onOutputDelta(RunId runId, String text) {
    }
}
