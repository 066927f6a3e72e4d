package io.meerkat.runtime.core.driver;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import java.util.List;

/**
 * Waiters to resolve after the driver lock is released: every listed input gets the same outcome.
 * Resolving outside the lock keeps caller callbacks (which run when a future completes) from ever
 * running under a session lock.
 *
 * @param inputIds the inputs whose waiters to resolve
 * @param outcome  what to resolve them with
 */
public record Settlement(List<InputId> inputIds, CompletionOutcome outcome) {

    /** Nothing to resolve. */
    public static final Settlement NONE = new Settlement(List.of(), new CompletionOutcome.CompletedWithoutResult());

    public boolean isEmpty() {
        return inputIds.isEmpty();
    }

    /**
     * Resolves the listed waiters in {@code registry}; call with no driver lock held.
     *
     * @return how many waiters were resolved
     */
    public int resolveIn(CompletionRegistry registry, SessionId sessionId) {
        return inputIds.isEmpty() ? 0 : registry.resolveEach(sessionId, inputIds, outcome);
    }
}
