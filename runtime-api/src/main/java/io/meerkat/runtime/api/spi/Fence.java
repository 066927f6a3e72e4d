package io.meerkat.runtime.api.spi;

import java.util.Objects;

/**
 * The lease a {@link StoreBatch} is written under: the node that holds its session and the epoch of that
 * holding. A store writes a fenced batch only while the session's lease is still held by {@code nodeId} at
 * {@code epoch}; once another node has claimed the session (a higher epoch), the write changes nothing and
 * fails with {@link io.meerkat.runtime.api.OwnershipLostException}.
 */
public record Fence(String nodeId, long epoch) {

    public Fence {
        Objects.requireNonNull(nodeId, "nodeId");
        if (epoch < 1) {
            throw new IllegalArgumentException("a lease's epoch starts at 1, was " + epoch);
        }
    }
}
