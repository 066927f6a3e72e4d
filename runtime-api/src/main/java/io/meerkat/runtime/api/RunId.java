package io.meerkat.runtime.api;

import java.util.Objects;
import java.util.UUID;

/**
 * Identifies one run. Ids are time-ordered UUIDs, unique across sessions and restarts.
 *
 * @param value the UUID behind this id
 */
public record RunId(UUID value) implements Comparable<RunId> {

    public RunId {
        Objects.requireNonNull(value, "value");
    }

    /** Mints a fresh id. */
    public static RunId random() {
        return new RunId(TimeOrderedUuids.next());
    }

    /**
     * Parses the canonical UUID form produced by {@link #toString()}.
     *
     * @throws IllegalArgumentException if {@code text} is not a UUID
     */
    public static RunId parse(String text) {
        return new RunId(UUID.fromString(Objects.requireNonNull(text, "text")));
    }

    @Override
    public int compareTo(RunId other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value.toString();
    }
}
