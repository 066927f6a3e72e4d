package io.meerkat.benchmarks;

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
import java.util.Map;
import java.util.Optional;

/**
 * A store that commits at once and keeps nothing: behind the runtime's group commit it shows what a durable
 * admission costs the runtime itself (reservation, batches, the committer's hand-offs), without a disk or a
 * database's writer to bound it. For benchmarks only: nothing survives.
 */
final class DiscardingStore implements RuntimeStore {

    @Override
    public void commit(List<StoreBatch> batches) {
    }

    @Override
    public void load(StoreVisitor visitor) {
    }

    @Override
    public Optional<CompletionOutcome> outcome(SessionId sessionId, InputId inputId) {
        return Optional.empty();
    }

    @Override
    public Optional<RunBoundaryReceipt> receipt(SessionId sessionId, RunId runId) {
        return Optional.empty();
    }

    @Override
    public long prune(RetentionPolicy policy) {
        return 0;
    }

    @Override
    public StoreInfo info() {
        return new StoreInfo("discarding", "nowhere", 0, 0, Map.of(), -1);
    }

    @Override
    public void close() {
    }
}
