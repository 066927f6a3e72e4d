package io.meerkat.runtime.core.cluster;

import java.net.URI;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Who a runtime is in a cluster: its node id, unique among the runtimes sharing the store, and where its
 * HTTP API answers, read at every heartbeat (it may be {@code null} until the launcher has bound its port).
 */
public record NodeIdentity(String nodeId, Supplier<URI> advertise) {

    public NodeIdentity {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(advertise, "advertise");
        if (nodeId.isBlank()) {
            throw new IllegalArgumentException("a node id must not be blank");
        }
    }
}
