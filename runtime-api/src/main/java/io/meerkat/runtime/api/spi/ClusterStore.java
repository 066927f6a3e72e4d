package io.meerkat.runtime.api.spi;

import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.cluster.ClusterNode;
import io.meerkat.runtime.api.cluster.SessionOwner;
import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The part of a {@link RuntimeStore} that several runtimes (nodes) sharing it use to split its sessions
 * between them ({@link RuntimeStore#cluster()}): a lease per session, held by one node at a time and
 * renewed by it; claimed by another once it lapses.
 *
 * <h2>Guarantees an implementation gives</h2>
 * <ul>
 *   <li>Time is the store's own clock: a lease lapses {@link #leaseTtl()} after its last renewal as the
 *       store measures it; no two nodes' clocks are ever compared.</li>
 *   <li>Each claim raises the session's epoch; at any moment at most one node holds a session at its
 *       current epoch. A commit of a batch {@link StoreBatch#fence() fenced} by an older epoch, or by a node
 *       that no longer holds the session, writes nothing of the commit and throws
 *       {@link io.meerkat.runtime.api.OwnershipLostException} naming the sessions lost. A claim and a
 *       fenced commit of the same session are serialised: the commit sees the claim, or the claim waits
 *       for (or skips the session during) the commit.</li>
 *   <li>A lapsed lease not yet claimed by another is still its holder's: renewing it extends it.</li>
 * </ul>
 */
public interface ClusterStore {

    /** How long a lease lasts without renewal. */
    Duration leaseTtl();

    /**
     * Records that the node is alive: creates its row on first call, then renews its heartbeat and keeps
     * its address and draining flag current.
     */
    void heartbeat(String nodeId, URI advertise, boolean draining);

    /**
     * Extends every lease the node holds, lapsed ones included unless another node claimed them meanwhile.
     *
     * @return the leases the node holds now; a session it ran that is missing here was lost to another node
     */
    List<Lease> renew(String nodeId);

    /**
     * Takes over leases held under this node's name by an earlier process of it (a restart with the same
     * node id), raising their epochs, so that the earlier process, should it still run, writes no more.
     */
    List<Lease> adopt(String nodeId);

    /**
     * Claims up to {@code max} sessions whose lease was let go or lapsed, raising each one's epoch. Sessions
     * another node is writing at this moment are skipped, not waited for.
     */
    List<Lease> claim(String nodeId, int max);

    /**
     * Lets go of these sessions' leases (kept epochs, no holder), so that any node may claim them at once.
     * Only leases the node holds at the given epochs are let go.
     */
    void release(Collection<Lease> leases);

    /** Forgets the node's row (it left the cluster); its leases, if any are left, lapse as usual. */
    void leave(String nodeId);

    /** Who owns the session now; empty if the store has no such session. */
    Optional<SessionOwner> owner(SessionId sessionId);

    /** Every node the store has a row for, with the number of live leases each holds. */
    List<ClusterNode> nodes();

    /**
     * Like {@link RuntimeStore#load}, for these sessions only (those the store does not have are skipped):
     * what a node reads of the sessions it just claimed.
     */
    void load(Collection<SessionId> sessions, StoreVisitor visitor);
}
