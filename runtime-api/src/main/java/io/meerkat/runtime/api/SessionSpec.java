package io.meerkat.runtime.api;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What a new session is made of.
 *
 * @param sessionId      the id to use; {@code null} mints one
 * @param executorKind   the executor kind that runs its turns; {@code null} for a session that only
 *                       queues input (no runtime loop)
 * @param config         the executor's configuration
 * @param maxRunDuration how long one run may go on before the runtime cancels it, its inputs abandoned
 *                       {@link AbandonReason#TIMED_OUT}; {@code null} for the runtime's default
 */
public record SessionSpec(SessionId sessionId, String executorKind, Map<String, String> config,
                          Duration maxRunDuration) {

    public SessionSpec {
        config = Map.copyOf(Objects.requireNonNull(config, "config"));
        if (maxRunDuration != null && (maxRunDuration.isZero() || maxRunDuration.isNegative())) {
            throw new IllegalArgumentException("maxRunDuration must be positive, was " + maxRunDuration);
        }
    }

    /** A session with the runtime's default run duration limit. */
    public SessionSpec(SessionId sessionId, String executorKind, Map<String, String> config) {
        this(sessionId, executorKind, config, null);
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
        return new SessionSpec(id, executorKind, config, maxRunDuration);
    }

    public SessionSpec withConfig(Map<String, String> newConfig) {
        return new SessionSpec(sessionId, executorKind, newConfig, maxRunDuration);
    }

    /** This spec with a limit on each run's duration ({@code null}: the runtime's default). */
    public SessionSpec withMaxRunDuration(Duration limit) {
        return new SessionSpec(sessionId, executorKind, config, limit);
    }
}
