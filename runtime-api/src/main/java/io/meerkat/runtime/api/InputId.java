package io.meerkat.runtime.api;

import java.util.Objects;
import java.util.UUID;

/**
 * Identifies one input. Ids are time-ordered UUIDs, unique across sessions and restarts.
 *
 * @param value the UUID behind this id
 */
public record InputId(UUID value) implements Comparable<InputId> {

    public InputId {
        Objects.requireNonNull(value, "value");
    }

    /** Mints a fresh id. */
    public static InputId random() {
        return new InputId(TimeOrderedUuids.next());
    }

    /**
     * Parses the canonical UUID form produced by {@link #toString()}.
     *
     * @throws IllegalArgumentException if {@code text} is not a UUID
     */
    public static InputId parse(String text) {
        return new InputId(UUID.fromString(Objects.requireNonNull(text, "text")));
    }

    @Override
    public int compareTo(InputId other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value.toString();
    }
}
