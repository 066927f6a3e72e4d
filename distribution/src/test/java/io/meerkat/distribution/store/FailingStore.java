package io.meerkat.distribution.store;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.RetentionPolicy;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreInfo;
import io.meerkat.runtime.api.spi.StoreVisitor;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store that refuses every commit while told to, as a full disk would; reads go to the real store.
 * Closing it leaves the real store open (its owner closes it).
 */
public final class FailingStore implements RuntimeStore {

    private final RuntimeStore delegate;
    private volatile boolean failing;
    private final AtomicInteger refused = new AtomicInteger();

    public FailingStore(RuntimeStore delegate) {
        this.delegate = delegate;
    }

    public void failing(boolean fail) {
        this.failing = fail;
    }

    /** How many commits were refused. */
    public int refused() {
        return refused.get();
    }

    @Override
    public void commit(List<StoreBatch> batches) {
        if (failing) {
            refused.incrementAndGet();
            throw new StoreUnavailableException("injected: disk full", null);
        }
        delegate.commit(batches);
    }

    @Override
    public void load(StoreVisitor visitor) {
        delegate.load(visitor);
    }

    @Override
    public Optional<CompletionOutcome> outcome(SessionId sessionId, InputId inputId) {
        return delegate.outcome(sessionId, inputId);
    }

    @Override
    public Optional<RunBoundaryReceipt> receipt(SessionId sessionId, RunId runId) {
        return delegate.receipt(sessionId, runId);
    }

    @Override
    public long prune(RetentionPolicy policy) {
        return delegate.prune(policy);
    }

    @Override
    public StoreInfo info() {
        return delegate.info();
    }

    @Override
    public void close() {
    }
}
