package io.meerkat.runtime.core.testing;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import java.util.Collection;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A registry that parks the first {@link #resolveEach} whose outcome matches the gate until the test
 * {@link #release()}s it, so a test can act between a driver settling a run and its waiters being
 * resolved. Everything else goes straight to the delegate.
 */
public final class GatedRegistry extends ForwardingRegistry {

    private final Predicate<CompletionOutcome> gate;
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    public GatedRegistry(CompletionRegistry delegate, Predicate<CompletionOutcome> gate) {
        super(delegate);
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
}
