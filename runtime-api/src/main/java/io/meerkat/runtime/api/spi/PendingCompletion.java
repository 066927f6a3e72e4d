package io.meerkat.runtime.api.spi;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * One waiter held by a {@link CompletionRegistry}, as handed from one registry to the next.
 *
 * @param sessionId the session of the input
 * @param inputId   the input waited for
 * @param waiter    the future the submitter holds
 */
public record PendingCompletion(SessionId sessionId, InputId inputId, CompletableFuture<CompletionOutcome> waiter) {

    public PendingCompletion {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(inputId, "inputId");
        Objects.requireNonNull(waiter, "waiter");
    }
}
