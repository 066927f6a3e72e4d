package io.meerkat.completion;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcomes of the most recently finished inputs, bounded: at most {@code capacity} are kept and the
 * oldest recorded is forgotten first. Thread safe (one lock; recording is a map insert).
 */
public final class RecentOutcomes {

    private record Key(SessionId sessionId, InputId inputId) {
        Key {
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(inputId, "inputId");
        }
    }

    private final int capacity;
    private final LinkedHashMap<Key, CompletionOutcome> outcomes;

    /**
     * @throws IllegalArgumentException if {@code capacity} is not positive
     */
    public RecentOutcomes(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, was " + capacity);
        }
        this.capacity = capacity;
        this.outcomes = new LinkedHashMap<>(Math.min(capacity, 1024)) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, CompletionOutcome> eldest) {
                return size() > RecentOutcomes.this.capacity;
            }
        };
    }

    /** Remembers how an input ended, replacing what was remembered for it. */
    public synchronized void record(SessionId sessionId, InputId inputId, CompletionOutcome outcome) {
        outcomes.put(new Key(sessionId, inputId), Objects.requireNonNull(outcome, "outcome"));
    }

    /** How the input ended, if it is still remembered. */
    public synchronized Optional<CompletionOutcome> get(SessionId sessionId, InputId inputId) {
        return Optional.ofNullable(outcomes.get(new Key(sessionId, inputId)));
    }

    /** How many outcomes are remembered (at most the capacity). */
    public synchronized int size() {
        return outcomes.size();
    }

    public int capacity() {
        return capacity;
    }

    public synchronized void clear() {
        outcomes.clear();
    }
}
