package io.meerkat.runtime.core.testing;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.api.spi.PendingCompletion;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * A registry that hands every call, the SPI's default methods included, to a delegate: the base of the
 * tests' registries that intercept one call (to park it, count it) and leave the rest alone.
 */
public abstract class ForwardingRegistry implements CompletionRegistry {

    protected final CompletionRegistry delegate;

    protected ForwardingRegistry(CompletionRegistry delegate) {
        this.delegate = delegate;
    }

    @Override
    public void register(SessionId sessionId, InputId inputId, CompletableFuture<CompletionOutcome> waiter) {
        delegate.register(sessionId, inputId, waiter);
    }

    @Override
    public int resolve(SessionId sessionId, InputId inputId, CompletionOutcome outcome) {
        return delegate.resolve(sessionId, inputId, outcome);
    }

    @Override
    public int resolveEach(SessionId sessionId, Collection<InputId> inputIds, CompletionOutcome outcome) {
        return delegate.resolveEach(sessionId, inputIds, outcome);
    }

    @Override
    public int resolveAllTerminated(SessionId sessionId, String reason) {
        return delegate.resolveAllTerminated(sessionId, reason);
    }

    @Override
    public int resolveAllTerminated(String reason) {
        return delegate.resolveAllTerminated(reason);
    }

    @Override
    public int resolveNotPending(SessionId sessionId, Predicate<InputId> stillPending, String reason) {
        return delegate.resolveNotPending(sessionId, stillPending, reason);
    }

    @Override
    public int pendingCount(SessionId sessionId) {
        return delegate.pendingCount(sessionId);
    }

    @Override
    public int pendingCount() {
        return delegate.pendingCount();
    }

    @Override
    public List<PendingCompletion> drainPending() {
        return delegate.drainPending();
    }

    @Override
    public Optional<CompletionOutcome> finishedOutcome(SessionId sessionId, InputId inputId) {
        return delegate.finishedOutcome(sessionId, inputId);
    }

    @Override
    public void forgetSession(SessionId sessionId) {
        delegate.forgetSession(sessionId);
    }

    @Override
    public long rememberedOutcomeBytes() {
        return delegate.rememberedOutcomeBytes();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
