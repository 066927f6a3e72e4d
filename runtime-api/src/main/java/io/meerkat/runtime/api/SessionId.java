package io.meerkat.runtime.api;

import java.util.Objects;
import java.util.UUID;

/**
 * Identifies one session. Ids are time-ordered UUIDs, unique across sessions and restarts.
 *
 * @param value the UUID behind this id
 */
public record SessionId(UUID value) implements Comparable<SessionId> {

    public SessionId {
        Objects.requireNonNull(value, "value");
    }

    /** Mints a fresh id. */
    public static SessionId random() {
        return new SessionId(TimeOrderedUuids.next());
    }

    /**
     * Parses the canonical UUID form produced by {@link #toString()}.
     *
     * @throws IllegalArgumentException if {@code text} is not a UUID
     */
    public static SessionId parse(String text) {
        return new SessionId(UUID.fromString(Objects.requireNonNull(text, "text")));
    }

    @Override
    public int compareTo(SessionId other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value.toString();
    }
}
