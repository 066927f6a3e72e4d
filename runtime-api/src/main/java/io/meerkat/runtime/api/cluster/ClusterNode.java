package io.meerkat.runtime.api.cluster;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A node of the cluster, as the store last heard of it.
 *
 * @param nodeId         its name
 * @param advertise      where its HTTP API answers; {@code null} until the node has said (it binds its port last)
 * @param startedAt      when it joined (its first heartbeat), by the database's clock
 * @param sinceHeartbeat how long ago it last renewed its heartbeat, by the database's clock
 * @param alive          whether that heartbeat is younger than a lease
 * @param draining       whether it is handing its sessions over
 * @param sessions       how many sessions it holds a live lease on
 */
public record ClusterNode(String nodeId, URI advertise, Instant startedAt, Duration sinceHeartbeat, boolean alive,
                          boolean draining, long sessions) {

    public ClusterNode {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(sinceHeartbeat, "sinceHeartbeat");
    }
}
