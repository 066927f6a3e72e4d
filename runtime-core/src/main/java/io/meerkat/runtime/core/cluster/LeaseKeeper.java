package io.meerkat.runtime.core.cluster;

import io.meerkat.runtime.api.OwnershipLostException;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.cluster.ClusterNode;
import io.meerkat.runtime.api.cluster.DrainReport;
import io.meerkat.runtime.api.cluster.RuntimeCluster;
import io.meerkat.runtime.api.cluster.SessionOwner;
import io.meerkat.runtime.api.spi.ClusterStore;
import io.meerkat.runtime.api.spi.Fence;
import io.meerkat.runtime.api.spi.Lease;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One runtime's membership in a cluster of runtimes sharing a {@link ClusterStore}: it heartbeats, renews
 * the leases of the sessions this node runs (every third of the lease's time to live), claims sessions whose
 * lease lapsed or was let go (a dead or draining node's) and has the runtime take them up, and has the
 * runtime drop a session the moment it learns another node owns it: from a renewal that no longer returns
 * it, or from a commit refused with {@link OwnershipLostException}.
 *
 * <h2>Threads</h2>
 * Renewals, claims, take-ups and drops all run on one thread of its own ({@code meerkat-lease-keeper}), one
 * at a time, so a session is never taken up and dropped at once. {@link #held} is also written by the
 * threads creating and removing sessions (around their writes, marked in {@link #changing}) and read by any.
 *
 * <h2>Safety</h2>
 * Safety does not rest on timing: every write of a session is fenced by its lease's epoch, so a node that
 * lost a session (frozen past its lease, cut off from the store) writes nothing more of it, whatever it still
 * believes. The timers keep ownership moving: a node that has renewed nothing for a whole lease stops its
 * sessions itself, since others may already run them.
 */
public final class LeaseKeeper implements RuntimeCluster {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);

    /** The most sessions one claim takes: each round's take-up stays short, and the rest waits for the next. */
    static final int CLAIM_BATCH = 256;

    /** What the runtime does for the keeper. */
    public interface Host {

        /**
         * Reads the sessions of these leases from the store and takes them up (their writes fenced by the
         * leases, which are in {@link #held} already). A session that cannot be taken up is logged, not thrown.
         */
        void takeUp(List<Lease> claimed);

        /**
         * Stops these sessions here without writing anything (another node owns them now, or will) and forgets
         * them; their waiters here are told {@code reason}. Does not wait for their loops to end (an apply in
         * flight may take long, and renewals must go on meanwhile): whatever those loops still write is
         * refused by the fence.
         */
        void drop(Collection<SessionId> sessions, String reason);

        /** Starts no new run in any session from now on (runs in flight go on). */
        void refuseNewRuns();

        /** How many sessions have a run in flight. */
        int runsInFlight();
    }

    private final ClusterStore store;
    private final String nodeId;
    private final Supplier<URI> advertise;
    private final Duration ttl;
    private final Duration claimEvery;
    private final Host host;
    /** The leases of the sessions this node runs: its own fences. */
    private final ConcurrentHashMap<SessionId, Lease> held = new ConcurrentHashMap<>();
    /**
     * Sessions whose lease another thread is writing: a creation (the new lease) or a removal (the lease goes
     * with the session's rows). A renewal takes them neither for lost nor for leases nothing runs.
     */
    private final Set<SessionId> changing = ConcurrentHashMap.newKeySet();
    /**
     * Leases this process stopped running without the store hearing of it (sessions dropped while no renewal got
     * through, a release that failed, a creation that failed after its lease may have been written): let go of
     * by the next renewal that still finds them this node's at that epoch. Only those: a lease the renewal finds
     * at another epoch may be a later process's of the same node id (an adoption), not this one's to let go.
     */
    private final Set<Lease> unreleased = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService thread;
    private volatile boolean draining;
    private volatile DrainReport drained;
    /** When the last renewal succeeded ({@link System#nanoTime}); read and written on the keeper thread only. */
    private long renewedAt;
    /** Claims failed in a row; keeper thread only. Only the first is logged with its cause: the store is down. */
    private int claimFailures;

    public LeaseKeeper(ClusterStore store, String nodeId, Supplier<URI> advertise, Host host) {
        this.store = Objects.requireNonNull(store, "store");
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        this.advertise = Objects.requireNonNull(advertise, "advertise");
        this.host = Objects.requireNonNull(host, "host");
        this.ttl = store.leaseTtl();
        // A lapsed lease is claimed within a tenth of a lease (at most half a second): failover takes about a
        // lease's time to live, plus this, plus the take-up.
        this.claimEvery = Duration.ofMillis(Math.max(50, Math.min(ttl.toMillis() / 10, 500)));
        this.thread = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread keeper = new Thread(task, "meerkat-lease-keeper");
            keeper.setDaemon(true);
            return keeper;
        });
    }

    /**
     * Joins the cluster: heartbeats, takes over the leases an earlier process of this node held (a restart
     * under the same node id), and claims every session that has no live owner. The caller takes them up.
     *
     * @return the leases now held, in {@link #held}
     */
    public List<Lease> join() {
        store.heartbeat(nodeId, advertise.get(), false);
        List<Lease> leases = new ArrayList<>(store.adopt(nodeId));
        List<Lease> claimed;
        do {
            claimed = store.claim(nodeId, CLAIM_BATCH * 4);
            leases.addAll(claimed);
        } while (claimed.size() == CLAIM_BATCH * 4);
        leases.forEach(lease -> held.put(lease.sessionId(), lease));
        return leases;
    }

    /** Starts renewing, heartbeating and claiming in the background; after {@link #join} and its take-up. */
    public void start() {
        renewedAt = System.nanoTime();
        long renewMs = Math.max(1, ttl.toMillis() / 3);
        thread.scheduleWithFixedDelay(this::renew, renewMs, renewMs, TimeUnit.MILLISECONDS);
        thread.scheduleWithFixedDelay(this::claim, claimEvery.toMillis(), claimEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The fence of a session this node holds, {@code null} if it holds none. */
    public Fence fenceOf(SessionId sessionId) {
        Lease lease = held.get(sessionId);
        return lease == null ? null : lease.fence();
    }

    /** Hears that the creation of this session, with its new lease, is about to be written. */
    public void creating(SessionId sessionId) {
        changing.add(sessionId);
    }

    /** Records the lease of a session this node just created (epoch 1); it is renewed from now on. */
    public Fence created(SessionId sessionId) {
        Lease lease = new Lease(sessionId, nodeId, 1);
        // Into `held` before out of `changing`: the renewal, reading them the other way round, sees it in one.
        held.put(sessionId, lease);
        changing.remove(sessionId);
        return lease.fence();
    }

    /**
     * Forgets the lease of a session whose creation failed; one written all the same (a commit that went through
     * but was reported failed, a removal after a failed start that failed too) is let go by the next renewal.
     */
    public void creationFailed(SessionId sessionId) {
        unreleased.add(new Lease(sessionId, nodeId, 1));
        removed(sessionId);
    }

    /** Forgets the lease of a session removed from the store (it went with the session's rows). */
    public void removed(SessionId sessionId) {
        held.remove(sessionId);
        changing.remove(sessionId);
    }

    /** Hears that this session's removal from the store is about to be written. */
    public void removing(SessionId sessionId) {
        changing.add(sessionId);
    }

    /** Hears that this session's removal failed: nothing was written, it is held as before. */
    public void removalFailed(SessionId sessionId) {
        changing.remove(sessionId);
    }

    /**
     * Hears that a commit was refused because the sessions of these leases (the fences of the refused batches)
     * are another node's now: they are dropped on the keeper thread (never on the caller, the store's writer: a
     * drop waits for the sessions' loops, which may wait for commits). Only while still held by those leases: a
     * session this node claimed again since (a higher epoch) runs on, and the refused writes were its earlier
     * instance's.
     */
    public void lost(Collection<Lease> refused) {
        try {
            thread.execute(() -> drop(refused, "a write was refused"));
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            LOG.debug("sessions of leases {} lost while the node closes", refused, closing);
        }
    }

    /** Drops the sessions of these leases that are still held by them (not by a lease taken since). */
    private void drop(Collection<Lease> leases, String why) {
        List<SessionId> dropped = new ArrayList<>();
        for (Lease lease : leases) {
            if (held.remove(lease.sessionId(), lease)) {
                dropped.add(lease.sessionId());
            }
        }
        if (!dropped.isEmpty()) {
            LOG.warn("node {}: {} ({}): sessions {} are another node's now; stopped here",
                    nodeId, OwnershipLostException.REASON, why, dropped);
            host.drop(dropped, OwnershipLostException.REASON);
        }
    }

    /** On the keeper thread: heartbeat and renewal; drops what another node took. */
    private void renew() {
        try {
            store.heartbeat(nodeId, advertise.get(), draining);
            // Taken before the renewal: a session created from here on may have committed its lease after the
            // renewal's UPDATE read the table, so its absence from the answer says nothing. One in `before`
            // had committed its lease before it was put in `held`, hence before the renewal began.
            List<Lease> before = new ArrayList<>(held.values());
            List<Lease> unreleasedBefore = new ArrayList<>(unreleased);
            Set<Lease> renewedLeases = new HashSet<>(store.renew(nodeId));
            Map<SessionId, Long> renewed = new HashMap<>();
            renewedLeases.forEach(lease -> renewed.put(lease.sessionId(), lease.epoch()));
            // Those the store no longer has as this node's (let go of, removed, or another's): nothing to do.
            unreleasedBefore.stream().filter(lease -> !renewedLeases.contains(lease)).forEach(unreleased::remove);
            List<Lease> unrun = new ArrayList<>();
            for (Lease lease : renewedLeases) {
                // Renewed, a lease this process runs nothing of would keep its session from running anywhere.
                if (unreleased.contains(lease) && !changing.contains(lease.sessionId())
                        && !held.containsKey(lease.sessionId())) {
                    unrun.add(lease);
                }
            }
            if (!unrun.isEmpty()) {
                LOG.warn("node {}: letting go of {} leases it holds but runs nothing of, for any node to claim: {}",
                        nodeId, unrun.size(), unrun);
                if (releaseQuietly(unrun)) {
                    unrun.forEach(unreleased::remove);
                }
            }
            renewedAt = System.nanoTime();
            List<Lease> lost = new ArrayList<>();
            for (Lease lease : before) {
                if (changing.contains(lease.sessionId())) {
                    // Being removed: its lease may be gone with its rows already. Were it lost instead, the
                    // removal's write is refused, and the refusal drops it.
                    continue;
                }
                Long epoch = renewed.get(lease.sessionId());
                if (epoch == null || epoch != lease.epoch()) {
                    lost.add(lease);
                }
            }
            drop(lost, "its lease was claimed by another node");
        } catch (RuntimeException e) {
            long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - renewedAt);
            LOG.warn("node {}: renewing the leases failed ({} ms since the last renewal)", nodeId, silentMs, e);
            if (silentMs >= ttl.toMillis() && !held.isEmpty()) {
                // Every lease may have lapsed and been claimed: stop before running anything another node runs.
                // Those still this node's once the store answers are let go of then (`unreleased`).
                List<Lease> all = new ArrayList<>(held.values());
                unreleased.addAll(all);
                drop(all, "no lease renewed for " + silentMs + " ms");
            }
        }
    }

    /** On the keeper thread: claims sessions without a live owner and takes them up. */
    private void claim() {
        if (draining) {
            return;
        }
        List<Lease> claimed;
        try {
            claimed = store.claim(nodeId, CLAIM_BATCH);
        } catch (RuntimeException e) {
            if (claimFailures++ == 0) {
                LOG.warn("node {}: claiming sessions failed; trying again every {} ms", nodeId, claimEvery.toMillis(), e);
            } else {
                LOG.debug("node {}: claiming sessions failed again ({} in a row)", nodeId, claimFailures, e);
            }
            return;
        }
        if (claimFailures > 0) {
            LOG.info("node {}: claiming sessions works again after {} failures", nodeId, claimFailures);
            claimFailures = 0;
        }
        try {
            if (claimed.isEmpty()) {
                return;
            }
            List<SessionId> stale = new ArrayList<>();
            for (Lease lease : claimed) {
                if (held.containsKey(lease.sessionId())) {
                    // Still running here at an older epoch (another node took it and let it go meanwhile): that
                    // instance writes nothing any more; it goes before the session is taken up again.
                    stale.add(lease.sessionId());
                }
            }
            if (!stale.isEmpty()) {
                host.drop(stale, OwnershipLostException.REASON);
            }
            claimed.forEach(lease -> held.put(lease.sessionId(), lease));
            LOG.info("node {}: claimed {} sessions without a live owner", nodeId, claimed.size());
            host.takeUp(claimed);
        } catch (RuntimeException e) {
            // Held but not running (or some taken up and never resumed): they would run nowhere until this node
            // restarts. Stopped here and let go of, for another node (or the next claim) to try again.
            LOG.error("node {}: taking up claimed sessions failed; letting go of them", nodeId, e);
            List<SessionId> ids = claimed.stream().map(Lease::sessionId).toList();
            claimed.forEach(lease -> held.remove(lease.sessionId(), lease));
            host.drop(ids, "taking the session up failed");
            releaseQuietly(claimed);
        }
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public URI advertise() {
        return advertise.get();
    }

    @Override
    public Duration leaseTtl() {
        return ttl;
    }

    @Override
    public Optional<SessionOwner> owner(SessionId sessionId) {
        return store.owner(sessionId);
    }

    @Override
    public List<ClusterNode> nodes() {
        return store.nodes();
    }

    @Override
    public boolean draining() {
        return draining;
    }

    /** The number of sessions this node holds a lease on. */
    public int heldCount() {
        return held.size();
    }

    @Override
    public synchronized DrainReport drain(Duration deadline) {
        if (drained != null) {
            return drained;
        }
        long start = System.nanoTime();
        // Before the flag, so that whoever sees the node draining sees its sessions starting no run either.
        host.refuseNewRuns();
        draining = true;
        // Waits for a claim or take-up under way on the keeper thread: from here on it claims nothing.
        awaitKeeper();
        try {
            store.heartbeat(nodeId, advertise.get(), true);
        } catch (RuntimeException e) {
            LOG.warn("node {}: could not record that it drains; draining anyway", nodeId, e);
        }
        // Again, for the sessions created or taken up since the first call.
        host.refuseNewRuns();
        long end = start + deadline.toNanos();
        int inFlight;
        // A bounded poll: runs end in executors, which offer nothing to wait on across sessions.
        while ((inFlight = host.runsInFlight()) > 0 && System.nanoTime() < end) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<Lease> leases = new ArrayList<>(held.values());
        List<SessionId> sessions = leases.stream().map(Lease::sessionId).toList();
        held.keySet().removeAll(sessions);
        host.drop(sessions, OwnershipLostException.REASON);
        releaseQuietly(leases);
        drained = new DrainReport(leases.size(), inFlight, Duration.ofNanos(System.nanoTime() - start));
        LOG.info("node {}: drained: {} sessions let go for other nodes, {} runs cut short, in {} ms", nodeId,
                drained.released(), drained.cutShort(), drained.took().toMillis());
        return drained;
    }

    /** Lets go of every lease still held (the runtime closing, its loops ended): others claim them at once. */
    public void releaseAll() {
        List<Lease> leases = new ArrayList<>(held.values());
        held.clear();
        releaseQuietly(leases);
    }

    /** @return whether the store let them go; if not, the next renewal that finds them tries again */
    private boolean releaseQuietly(List<Lease> leases) {
        try {
            store.release(leases);
            return true;
        } catch (RuntimeException e) {
            unreleased.addAll(leases);
            LOG.warn("node {}: letting go of {} leases failed; trying again at a later renewal", nodeId, leases.size(), e);
            return false;
        }
    }

    private void awaitKeeper() {
        try {
            thread.submit(() -> { }).get(ttl.toMillis() * 10, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | java.util.concurrent.RejectedExecutionException e) {
            LOG.warn("node {}: the lease keeper did not answer", nodeId, e);
        }
    }

    /** Stops renewing and claiming; for a runtime closing, before it stops its sessions. */
    public void stop() {
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(ttl.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("node {}: the lease keeper did not stop within {} ms", nodeId, ttl.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Leaves the cluster, once the runtime's sessions have stopped and its writes are done: lets go of every
     * lease still held (others claim them at once, not after a lease's time) and removes the node's row.
     */
    public void leave() {
        releaseAll();
        try {
            store.leave(nodeId);
        } catch (RuntimeException e) {
            LOG.warn("node {}: could not remove its row from the cluster's nodes", nodeId, e);
        }
    }
}
