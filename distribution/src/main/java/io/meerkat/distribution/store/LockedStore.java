package io.meerkat.distribution.store;

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

/** A store that holds its data folder's {@link DataFolderLock} until it is closed. */
final class LockedStore implements RuntimeStore {

    private final RuntimeStore delegate;
    private final DataFolderLock lock;

    LockedStore(RuntimeStore delegate, DataFolderLock lock) {
        this.delegate = delegate;
        this.lock = lock;
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

    /** Closes the store, then lets another launcher have the folder. */
    @Override
    public void close() {
        try {
            delegate.close();
        } finally {
            lock.close();
        }
    }
}
