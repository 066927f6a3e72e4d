package io.meerkat.runtime.core.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.OwnershipLostException;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.cluster.ClusterNode;
import io.meerkat.runtime.api.cluster.SessionOwner;
import io.meerkat.runtime.api.spi.ClusterStore;
import io.meerkat.runtime.api.spi.Fence;
import io.meerkat.runtime.api.spi.Lease;
import io.meerkat.runtime.api.spi.RetentionPolicy;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange;
import io.meerkat.runtime.api.spi.StoreInfo;
import io.meerkat.runtime.api.spi.StoreVisitor;
import io.meerkat.runtime.core.store.GroupCommitter;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The lease keeper's bookkeeping against races with the threads that create sessions and commit their
 * writes, on a store of leases in memory whose renewals and claims the test holds at will.
 */
class LeaseKeeperTest {

    private static final String NODE = "node-a";

    private final RecordingHost host = new RecordingHost();
    private Leases leases;
    private LeaseKeeper keeper;

    /** A keeper renewing every third of {@code ttl}, claiming every tenth (at most every 500 ms). */
    private void keeper(Duration ttl) {
        leases = new Leases(ttl);
        keeper = new LeaseKeeper(leases, NODE, () -> null, host);
    }

    @AfterEach
    void stop() {
        keeper.stop();
    }

    @Test
    void aSessionCreatedWhileARenewalIsUnderWayIsNotTakenForLost() throws Exception {
        keeper(Duration.ofMillis(900));
        leases.holdNextRenewal();
        keeper.start();
        // The renewal's UPDATE has run: it extended what the store held then, before the session below existed.
        assertTrue(leases.renewalHeld.await(10, TimeUnit.SECONDS));
        SessionId created = SessionId.random();
        leases.put(created, NODE, 1);
        keeper.created(created);
        leases.releaseRenewal.countDown();
        // The keeper calls the next renewal only once it is done with the first one.
        assertTrue(leases.renewals.tryAcquire(2, 10, TimeUnit.SECONDS));

        assertEquals(List.of(), host.dropped, "a session this node holds was dropped");
        assertEquals(new Fence(NODE, 1), keeper.fenceOf(created));
    }

    @Test
    void aRefusedWriteOfAnEarlierHoldingDoesNotDropTheSessionClaimedAgainSince() throws Exception {
        // No renewal within the test (the first comes after 20 s): only the claim and the refusals act.
        keeper(Duration.ofSeconds(60));
        SessionId id = SessionId.random();
        leases.put(id, NODE, 1);
        Fence old = keeper.created(id);
        // Meanwhile another node claimed the session (epoch 2) and let it go; this node claims it back.
        leases.put(id, null, 2);
        leases.holdNextClaim();
        keeper.start();
        assertTrue(leases.claimHeld.await(10, TimeUnit.SECONDS));
        try (GroupCommitter committer = new GroupCommitter(new FencedStore(leases), 8, Thread::new)) {
            committer.onOwnershipLost(keeper::lost);
            // A write of the instance that ran at epoch 1, refused: it is heard of while the claim is under way.
            ExecutionException refused = assertThrows(ExecutionException.class, () -> committer.submit(
                    new StoreBatch(List.of(new StoreChange.RemoveSession(id)), old)).get(10, TimeUnit.SECONDS));
            assertInstanceOf(OwnershipLostException.class, refused.getCause());
            // A marker refused behind it, so heard of after it on the keeper thread.
            SessionId marker = SessionId.random();
            leases.put(marker, NODE, 1);
            Fence markerFence = keeper.created(marker);
            leases.put(marker, "node-b", 2);
            assertThrows(ExecutionException.class, () -> committer.submit(
                    new StoreBatch(List.of(new StoreChange.RemoveSession(marker)), markerFence)).get(10, TimeUnit.SECONDS));
            leases.releaseClaim.countDown();
            assertEquals(List.of(new Lease(id, NODE, 3)), host.takenUp.poll(10, TimeUnit.SECONDS));
            List<SessionId> drop;
            do {
                drop = host.drops.poll(10, TimeUnit.SECONDS);
                assertTrue(drop != null, "the marker was never dropped");
            } while (!drop.contains(marker));
        }

        assertEquals(new Fence(NODE, 3), keeper.fenceOf(id), "the session claimed at epoch 3 is held and run here");
    }

    @Test
    void anEarlierProcessOfTheNodeLeavesTheLeasesItsSuccessorAdoptedAlone() throws Exception {
        keeper(Duration.ofMillis(900));
        SessionId id = SessionId.random();
        leases.put(id, NODE, 1);
        keeper.created(id);
        // A new process under the same node id adopted the session (epoch 2) while this one was frozen.
        leases.put(id, NODE, 2);
        keeper.start();
        // The first renewal finds the session at another epoch and drops it; later ones find it again.
        assertTrue(leases.renewals.tryAcquire(3, 10, TimeUnit.SECONDS));
        assertTrue(leases.renewals.tryAcquire(1, 10, TimeUnit.SECONDS), "the third renewal was handled");

        assertEquals(List.of(id), host.dropped);
        assertTrue(leases.holds(new Fence(NODE, 2), id), "the successor's lease was let go by the earlier process");
    }

    /** Lease rows as the store keeps them, by session; renewals and claims the test can hold at their start. */
    private static final class Leases implements ClusterStore {
        private final Duration ttl;
        /** A lease row: its holder ({@code null} once let go) and epoch. */
        private record Row(String owner, long epoch) {
        }

        private final Map<SessionId, Row> rows = new ConcurrentHashMap<>();
        final Semaphore renewals = new Semaphore(0);
        volatile CountDownLatch renewalHeld;
        volatile CountDownLatch releaseRenewal;
        volatile CountDownLatch claimHeld;
        volatile CountDownLatch releaseClaim;

        Leases(Duration ttl) {
            this.ttl = ttl;
        }

        void put(SessionId sessionId, String owner, long epoch) {
            rows.put(sessionId, new Row(owner, epoch));
        }

        boolean holds(Fence fence, SessionId sessionId) {
            Row row = rows.get(sessionId);
            return row != null && fence.nodeId().equals(row.owner()) && fence.epoch() == row.epoch();
        }

        void holdNextRenewal() {
            releaseRenewal = new CountDownLatch(1);
            renewalHeld = new CountDownLatch(1);
        }

        void holdNextClaim() {
            releaseClaim = new CountDownLatch(1);
            claimHeld = new CountDownLatch(1);
        }

        private static void hold(CountDownLatch held, CountDownLatch release) {
            held.countDown();
            try {
                assertTrue(release.await(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public Duration leaseTtl() {
            return ttl;
        }

        @Override
        public void heartbeat(String nodeId, URI advertise, boolean draining) {
        }

        @Override
        public List<Lease> renew(String nodeId) {
            List<Lease> renewed = rows.entrySet().stream().filter(row -> nodeId.equals(row.getValue().owner()))
                    .map(row -> new Lease(row.getKey(), nodeId, row.getValue().epoch())).toList();
            CountDownLatch held = renewalHeld;
            if (held != null && held.getCount() > 0) {
                hold(held, releaseRenewal);
            }
            renewals.release();
            return renewed;
        }

        @Override
        public List<Lease> adopt(String nodeId) {
            return List.of();
        }

        @Override
        public List<Lease> claim(String nodeId, int max) {
            CountDownLatch held = claimHeld;
            if (held == null || held.getCount() == 0) {
                return List.of();
            }
            hold(held, releaseClaim);
            List<Lease> claimed = new ArrayList<>();
            rows.forEach((sessionId, row) -> {
                if (row.owner() == null) {
                    rows.put(sessionId, new Row(nodeId, row.epoch() + 1));
                    claimed.add(new Lease(sessionId, nodeId, row.epoch() + 1));
                }
            });
            return claimed;
        }

        @Override
        public void release(Collection<Lease> leases) {
            leases.forEach(lease -> rows.computeIfPresent(lease.sessionId(), (id, row) ->
                    lease.nodeId().equals(row.owner()) && lease.epoch() == row.epoch() ? new Row(null, row.epoch()) : row));
        }

        @Override
        public void leave(String nodeId) {
        }

        @Override
        public Optional<SessionOwner> owner(SessionId sessionId) {
            return Optional.empty();
        }

        @Override
        public List<ClusterNode> nodes() {
            return List.of();
        }

        @Override
        public void load(Collection<SessionId> sessions, StoreVisitor visitor) {
        }
    }

    /** A store that writes nothing and refuses every fenced batch whose lease is no longer the store's. */
    private record FencedStore(Leases leases) implements RuntimeStore {
        @Override
        public void commit(List<StoreBatch> batches) {
            for (StoreBatch batch : batches) {
                Fence fence = batch.fence();
                if (fence != null && !leases.holds(fence, batch.fencedSession())) {
                    throw new OwnershipLostException(Set.of(batch.fencedSession()));
                }
            }
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
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }
    }

    private static final class RecordingHost implements LeaseKeeper.Host {
        final List<SessionId> dropped = new CopyOnWriteArrayList<>();
        final LinkedBlockingQueue<List<SessionId>> drops = new LinkedBlockingQueue<>();
        final LinkedBlockingQueue<List<Lease>> takenUp = new LinkedBlockingQueue<>();

        @Override
        public void takeUp(List<Lease> claimed) {
            takenUp.add(List.copyOf(claimed));
        }

        @Override
        public void drop(Collection<SessionId> sessions, String reason) {
            dropped.addAll(sessions);
            drops.add(List.copyOf(sessions));
        }

        @Override
        public void refuseNewRuns() {
        }

        @Override
        public int runsInFlight() {
            return 0;
        }
    }
}
