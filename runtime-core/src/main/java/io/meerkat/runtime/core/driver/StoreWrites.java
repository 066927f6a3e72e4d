package io.meerkat.runtime.core.driver;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.Fence;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange;
import io.meerkat.runtime.api.spi.StoredSession;
import io.meerkat.runtime.core.ingress.InputRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The store changes of one driver operation, gathered before the operation changes anything (from
 * {@link io.meerkat.runtime.core.ingress.Ingress#preview() previews}) and written as one batch. Only
 * durable inputs are written: an ephemeral one is skipped wherever it appears.
 */
final class StoreWrites {

    private final SessionId sessionId;
    /** The session's lease when the store is shared by several nodes, else {@code null}. */
    private final Fence fence;
    private final List<StoreChange> changes = new ArrayList<>();
    private StoredSession session;

    StoreWrites(SessionId sessionId, Fence fence) {
        this.sessionId = sessionId;
        this.fence = fence;
    }

    /** The session as it will be (written first: a store takes a session's rows after the session's). */
    StoreWrites session(StoredSession changed) {
        session = changed;
        return this;
    }

    /** The inputs as they will be. */
    StoreWrites inputs(Collection<InputRecord> records) {
        for (InputRecord record : records) {
            if (record.durable()) {
                changes.add(new StoreChange.PutInput(record.toStored(sessionId)));
            }
        }
        return this;
    }

    /** Inputs that will be finished, with the outcome their waiters will get (answered again after a restart). */
    StoreWrites finished(Collection<InputRecord> records, CompletionOutcome outcome) {
        for (InputRecord record : records) {
            if (record.durable()) {
                changes.add(new StoreChange.PutInput(record.toStored(sessionId)));
                changes.add(new StoreChange.PutOutcome(sessionId, record.id(), outcome));
            }
        }
        return this;
    }

    /** The receipt of a run boundary the executor applied. */
    StoreWrites receipt(RunBoundaryReceipt receipt) {
        changes.add(new StoreChange.PutReceipt(sessionId, receipt));
        return this;
    }

    /** The session as this batch writes it, or {@code null} if it does not. */
    StoredSession writtenSession() {
        return session;
    }

    boolean isEmpty() {
        return session == null && changes.isEmpty();
    }

    StoreBatch batch() {
        if (session == null) {
            return new StoreBatch(changes, fence);
        }
        List<StoreChange> all = new ArrayList<>(changes.size() + 1);
        all.add(new StoreChange.PutSession(session));
        all.addAll(changes);
        return new StoreBatch(all, fence);
    }
}
