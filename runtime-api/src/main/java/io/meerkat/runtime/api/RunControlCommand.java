package io.meerkat.runtime.api;

import java.util.Objects;

/**
 * An out-of-band command for a session's executor. It travels on the session's control channel,
 * never through the input queue, and is delivered before any unit of ordinary work that has not
 * started yet, and at once to a run that is in flight.
 */
public sealed interface RunControlCommand {

    /** Why the command was sent; never {@code null}, may be empty. */
    String reason();

    /**
     * End the current run. Its inputs are abandoned ({@link AbandonReason#CANCELLED}); the session
     * goes on with the next queued unit.
     *
     * @param reason why the run is cancelled
     */
    record CancelCurrentRun(String reason) implements RunControlCommand {
        public CancelCurrentRun {
            reason = Objects.requireNonNullElse(reason, "");
        }
    }

    /**
     * Stop the executor: no further run starts, the session becomes {@link RuntimeState#STOPPED}
     * and every pending completion is resolved {@link CompletionOutcome.RuntimeTerminated}.
     *
     * @param reason why the executor is stopped
     */
    record StopRuntimeExecutor(String reason) implements RunControlCommand {
        public StopRuntimeExecutor {
            reason = Objects.requireNonNullElse(reason, "");
        }
    }
}
