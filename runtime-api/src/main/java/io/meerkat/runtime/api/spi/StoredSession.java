package io.meerkat.runtime.api.spi;

import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionId;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A session as a store keeps it.
 *
 * @param id             the session
 * @param executorKind   the kind of its executor, {@code null} for a queue-only session
 * @param config         its executor configuration, secret values left out
 * @param state          its phase; ATTACHED is stored as IDLE (an executor is attached anew on recovery),
 *                       RUNNING as the phase the run began from
 * @param created        when it was created
 * @param maxRunDuration its run duration limit, {@code null} for the runtime's default
 */
public record StoredSession(SessionId id, String executorKind, Map<String, String> config, RuntimeState state,
                            Instant created, Duration maxRunDuration) {

    public StoredSession {
        Objects.requireNonNull(id, "id");
        config = Map.copyOf(config);
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(created, "created");
    }

    /** This session in another phase. */
    public StoredSession withState(RuntimeState newState) {
        return new StoredSession(id, executorKind, config, newState, created, maxRunDuration);
    }
}
