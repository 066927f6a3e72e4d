package io.meerkat.runtime.core.driver;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import java.util.List;

/**
 * Waiters to resolve after the driver lock is released: every listed input gets the same outcome, then
 * those of {@code next}, if any. Resolving outside the lock keeps caller callbacks (which run when a
 * future completes) from ever running under a session lock.
 *
 * @param inputIds the inputs whose waiters to resolve
 * @param outcome  what to resolve them with
 * @param next     further waiters with another outcome, or {@code null}
 */
public record Settlement(List<InputId> inputIds, CompletionOutcome outcome, Settlement next) {

    /** Nothing to resolve. */
    public static final Settlement NONE = new Settlement(List.of(), new CompletionOutcome.CompletedWithoutResult());

    public Settlement(List<InputId> inputIds, CompletionOutcome outcome) {
        this(inputIds, outcome, null);
    }

    public boolean isEmpty() {
        return inputIds.isEmpty() && (next == null || next.isEmpty());
    }

    /** This settlement, then {@code then}. */
    public Settlement and(Settlement then) {
        if (then.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return then;
        }
        return new Settlement(inputIds, outcome, next == null ? then : next.and(then));
    }

    /**
     * Resolves the listed waiters in {@code registry}; call with no driver lock held.
     *
     * @return how many waiters were resolved
     */
    public int resolveIn(CompletionRegistry registry, SessionId sessionId) {
        int resolved = inputIds.isEmpty() ? 0 : registry.resolveEach(sessionId, inputIds, outcome);
        return next == null ? resolved : resolved + next.resolveIn(registry, sessionId);
    }
}
