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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A registry that parks the first {@link #resolveEach} whose outcome matches the gate until the test
 * {@link #release()}s it, so a test can act between a driver settling a run and its waiters being
 * resolved. Everything else goes straight to the delegate.
 */
public final class GatedRegistry implements CompletionRegistry {

    private final CompletionRegistry delegate;
    private final Predicate<CompletionOutcome> gate;
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    public GatedRegistry(CompletionRegistry delegate, Predicate<CompletionOutcome> gate) {
        this.delegate = delegate;
        this.gate = gate;
    }

    /** Waits until a matching resolveEach is parked. */
    public void awaitParked() throws InterruptedException {
        if (!entered.await(10, TimeUnit.SECONDS)) {
            throw new AssertionError("no matching resolveEach within 10 s");
        }
    }

    /** Lets the parked resolveEach (and every later one) through. */
    public void release() {
        released.countDown();
    }

    @Override
    public int resolveEach(SessionId sessionId, Collection<InputId> inputIds, CompletionOutcome outcome) {
        if (gate.test(outcome) && entered.getCount() > 0) {
            entered.countDown();
            try {
                if (!released.await(10, TimeUnit.SECONDS)) {
                    throw new AssertionError("gate not released within 10 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return delegate.resolveEach(sessionId, inputIds, outcome);
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
    public void close() {
        delegate.close();
    }
}
