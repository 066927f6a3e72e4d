package io.meerkat.distribution.store;

import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.testkit.ForwardingRuntimeStore;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store that refuses every commit while told to, as a full disk would; reads go to the real store.
 * Closing it leaves the real store open (its owner closes it).
 */
public final class FailingStore extends ForwardingRuntimeStore {

    private volatile boolean failing;
    private final AtomicInteger refused = new AtomicInteger();

    public FailingStore(RuntimeStore delegate) {
        super(delegate);
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

    /** Leaves the real store open: its owner closes it. */
    @Override
    public void close() {
    }
}
