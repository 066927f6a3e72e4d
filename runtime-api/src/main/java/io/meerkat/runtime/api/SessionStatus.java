package io.meerkat.runtime.api;

import java.util.List;

/**
 * A consistent snapshot of one session.
 *
 * @param sessionId      the session
 * @param executorKind   the executor kind, or {@code null} for a queue-only session
 * @param state          its phase
 * @param queueDepth     inputs waiting on the queue lane
 * @param steerDepth     inputs waiting on the steer lane
 * @param activeInputIds every non-terminal input, oldest first
 * @param currentRun     the run in flight, or {@code null}
 * @param executorUnavailable why the session runs no executor although it names a kind (a session recovered
 *                       from a store while its executor's plugin is missing: its inputs are kept, and run once
 *                       a runtime with the plugin opens the store), or {@code null}
 */
public record SessionStatus(SessionId sessionId, String executorKind, RuntimeState state, int queueDepth,
                            int steerDepth, List<InputId> activeInputIds, RunId currentRun,
                            String executorUnavailable) {

    public SessionStatus {
        activeInputIds = List.copyOf(activeInputIds);
    }

    /** The status of a session whose executor, if it names one, is running. */
    public SessionStatus(SessionId sessionId, String executorKind, RuntimeState state, int queueDepth,
                         int steerDepth, List<InputId> activeInputIds, RunId currentRun) {
        this(sessionId, executorKind, state, queueDepth, steerDepth, activeInputIds, currentRun, null);
    }
}
