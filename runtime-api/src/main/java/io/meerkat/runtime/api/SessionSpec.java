package io.meerkat.runtime.api;

import java.util.Map;
import java.util.Objects;

/**
 * What a new session is made of.
 *
 * @param sessionId    the id to use; {@code null} mints one
 * @param executorKind the executor kind that runs its turns; {@code null} for a session that only
 *                     queues input (no runtime loop)
 * @param config       the executor's configuration
 */
public record SessionSpec(SessionId sessionId, String executorKind, Map<String, String> config) {

    public SessionSpec {
        config = Map.copyOf(Objects.requireNonNull(config, "config"));
    }

    /** A session with a fresh id running executors of {@code kind} with an empty configuration. */
    public static SessionSpec of(String executorKind) {
        return new SessionSpec(null, Objects.requireNonNull(executorKind, "executorKind"), Map.of());
    }

    /** A session with a fresh id and no executor: input queues, nothing runs. */
    public static SessionSpec withoutExecutor() {
        return new SessionSpec(null, null, Map.of());
    }

    public SessionSpec withId(SessionId id) {
        return new SessionSpec(id, executorKind, config);
    }

    public SessionSpec withConfig(Map<String, String> newConfig) {
        return new SessionSpec(sessionId, executorKind, newConfig);
    }
}
