package io.meerkat.runtime.testkit;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.RetentionPolicy;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreInfo;
import io.meerkat.runtime.api.spi.StoreVisitor;
import java.util.List;
import java.util.Optional;

/**
 * A store that hands every call to another: tests override what they intercept (a commit that fails,
 * waits or counts). Closing it closes the store it wraps.
 */
public abstract class ForwardingRuntimeStore implements RuntimeStore {

    protected final RuntimeStore delegate;

    protected ForwardingRuntimeStore(RuntimeStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public void commit(List<StoreBatch> batches) {
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
        delegate.close();
    }
}
