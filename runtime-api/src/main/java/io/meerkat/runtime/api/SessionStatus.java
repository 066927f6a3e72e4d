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
 */
public record SessionStatus(SessionId sessionId, String executorKind, RuntimeState state, int queueDepth,
                            int steerDepth, List<InputId> activeInputIds, RunId currentRun) {

    public SessionStatus {
        activeInputIds = List.copyOf(activeInputIds);
    }
}
