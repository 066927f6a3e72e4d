package io.meerkat.runtime.api.spi;

import io.meerkat.runtime.api.SessionId;
import java.util.List;

/**
 * Changes that belong together, written all or nothing: an admitted input; a run boundary (its receipt,
 * the consumed inputs, their outcomes, the session's state); a lifecycle command and the inputs it
 * abandoned.
 *
 * @param fence the lease the changes are written under, when the store is shared by several nodes
 *              ({@link ClusterStore}); {@code null} for a runtime that has its store to itself. A fenced
 *              batch changes one session only.
 */
public record StoreBatch(List<StoreChange> changes, Fence fence) {

    public StoreBatch {
        changes = List.copyOf(changes);
        if (fence != null && changes.stream().map(StoreChange::sessionId).distinct().count() > 1) {
            throw new IllegalArgumentException("a fenced batch changes one session only");
        }
    }

    /** An unfenced batch. */
    public StoreBatch(List<StoreChange> changes) {
        this(changes, null);
    }

    public static StoreBatch of(StoreChange... changes) {
        return new StoreBatch(List.of(changes));
    }

    /** The session a fenced batch changes; {@code null} for an empty batch. */
    public SessionId fencedSession() {
        return changes.isEmpty() ? null : changes.get(0).sessionId();
    }
}
