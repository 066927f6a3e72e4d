package io.meerkat.runtime.api.spi;

import io.meerkat.runtime.api.SessionId;
import java.util.Objects;

/** A node's hold on one session, as a {@link ClusterStore} granted or renewed it. */
public record Lease(SessionId sessionId, String nodeId, long epoch) {

    public Lease {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(nodeId, "nodeId");
    }

    /** What this node's writes for the session carry. */
    public Fence fence() {
        return new Fence(nodeId, epoch);
    }
}
