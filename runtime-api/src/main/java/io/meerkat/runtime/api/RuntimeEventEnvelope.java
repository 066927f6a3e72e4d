package io.meerkat.runtime.api;

import java.time.Instant;
import java.util.Objects;

/**
 * One event as subscribers receive it.
 *
 * @param sessionId the session it happened in
 * @param sequence  strictly increasing per session, from 1; gaps mean events were dropped for a
 *                  slow subscriber
 * @param timestamp when it happened
 * @param event     what happened
 */
public record RuntimeEventEnvelope(SessionId sessionId, long sequence, Instant timestamp, RuntimeEvent event) {

    public RuntimeEventEnvelope {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(event, "event");
    }
}
