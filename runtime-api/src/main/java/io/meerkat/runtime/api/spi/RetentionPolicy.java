package io.meerkat.runtime.api.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * Which finished inputs a store forgets when {@link RuntimeStore#prune pruned}: those beyond the newest
 * {@code keepPerSession} of their session, and those that finished before {@code finishedBefore}.
 */
public record RetentionPolicy(int keepPerSession, Instant finishedBefore) {

    public RetentionPolicy {
        if (keepPerSession < 0) {
            throw new IllegalArgumentException("keepPerSession must not be negative, was " + keepPerSession);
        }
        Objects.requireNonNull(finishedBefore, "finishedBefore");
    }
}
