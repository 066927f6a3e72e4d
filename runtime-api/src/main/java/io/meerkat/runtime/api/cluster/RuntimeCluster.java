package io.meerkat.runtime.api.cluster;

import io.meerkat.runtime.api.SessionId;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * This runtime as one node of a cluster ({@link io.meerkat.runtime.api.MeerkatRuntime#cluster()}): its
 * name and address, who owns a session, the nodes the store knows, and the graceful hand-over of this
 * node's sessions before it stops.
 *
 * <p>{@link io.meerkat.runtime.api.MeerkatRuntime#session} answers only for the sessions this node runs;
 * {@link #owner} says where the others are. Thread safe.
 */
public interface RuntimeCluster {

    /** This node's name, unique in the cluster. */
    String nodeId();

    /** Where this node's HTTP API answers, as the other nodes reach it. */
    URI advertise();

    /** The lease a node holds on sessions: how long one lasts without renewal. */
    Duration leaseTtl();

    /**
     * Who owns the session, as the store says now; empty if the store has no such session.
     *
     * @throws io.meerkat.runtime.api.StoreUnavailableException if the store cannot be read
     */
    Optional<SessionOwner> owner(SessionId sessionId);

    /**
     * Every node the store knows, with how many sessions each holds.
     *
     * @throws io.meerkat.runtime.api.StoreUnavailableException if the store cannot be read
     */
    List<ClusterNode> nodes();

    /** Whether this node is draining: it takes no session and is handing over the ones it has. */
    boolean draining();

    /**
     * Hands this node's sessions over to the others: it takes no more sessions, starts no new run, lets
     * every run in flight finish (up to {@code deadline}, after which a run still going is cancelled and
     * runs again on the next owner), then lets go of every session so that other nodes claim them at once.
     * Inputs already accepted stay in the store and run on the next owner. Later calls return at once.
     */
    DrainReport drain(Duration deadline);
}
