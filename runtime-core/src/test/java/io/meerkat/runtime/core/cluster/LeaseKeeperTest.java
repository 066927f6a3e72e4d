package io.meerkat.runtime.core.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.OwnershipLostException;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.cluster.ClusterNode;
import io.meerkat.runtime.api.cluster.SessionOwner;
import io.meerkat.runtime.api.spi.ClusterStore;
import io.meerkat.runtime.api.spi.Fence;
import io.meerkat.runtime.api.spi.Lease;
import io.meerkat.runtime.api.spi.StoreVisitor;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The lease keeper's decisions, against a scripted store: what it drops, what it takes up, what it lets go.
 * Renewals and claims are run by the test, one at a time, as the keeper's own thread would.
 */
class LeaseKeeperTest {

    private static final SessionId S = SessionId.random();

    /** A store whose answers the test sets, recording what the keeper asks. */
    private static final class ScriptedStore implements ClusterStore {
        volatile Duration ttl = Duration.ofSeconds(5);
        volatile List<Lease> adopted = List.of();
        volatile List<Lease> claimable = List.of();
        volatile List<Lease> renewed = List.of();
        volatile boolean failing;
        /** Runs while the renewal is under way, after the store has read which leases it renews. */
        volatile Runnable duringRenewal = () -> { };
        final List<Lease> released = new CopyOnWriteArrayList<>();

        @Override
        public Duration leaseTtl() {
            return ttl;
        }

        @Override
        public void heartbeat(String nodeId, URI advertise, boolean draining) {
            if (failing) {
                throw new StoreUnavailableException("down", null);
            }
        }

        @Override
        public List<Lease> renew(String nodeId) {
            if (failing) {
                throw new StoreUnavailableException("down", null);
            }
            List<Lease> now = renewed;
            duringRenewal.run();
            return now;
        }

        @Override
        public List<Lease> adopt(String nodeId) {
            return adopted;
        }

        @Override
        public List<Lease> claim(String nodeId, int max) {
            List<Lease> now = claimable;
            claimable = List.of();
            return now;
        }

        @Override
        public void release(Collection<Lease> leases) {
            released.addAll(leases);
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

    /** Records what the keeper has the runtime do. */
    private static final class RecordingHost implements LeaseKeeper.Host {
        final List<List<Lease>> takenUp = new CopyOnWriteArrayList<>();
        final List<List<SessionId>> dropped = new CopyOnWriteArrayList<>();

        @Override
        public void takeUp(List<Lease> claimed) {
            takenUp.add(List.copyOf(claimed));
        }

        @Override
        public void drop(Collection<SessionId> sessions, String reason) {
            assertEquals(OwnershipLostException.REASON, reason);
            dropped.add(List.copyOf(sessions));
        }

        @Override
        public void refuseNewRuns() {
        }

        @Override
        public int runsInFlight() {
            return 0;
        }
    }

    private final ScriptedStore store = new ScriptedStore();
    private final RecordingHost host = new RecordingHost();
    private final List<LeaseKeeper> keepers = new ArrayList<>();

    private LeaseKeeper keeper() {
        LeaseKeeper keeper = new LeaseKeeper(store, "node-a", () -> null, host);
        keepers.add(keeper);
        return keeper;
    }

    @AfterEach
    void stop() {
        keepers.forEach(LeaseKeeper::stop);
    }

    @Test
    void aLateRefusalOfAnOldInstancesWriteDoesNotDropTheSessionClaimedBackSince() throws Exception {
        store.adopted = List.of(new Lease(S, "node-a", 1));
        LeaseKeeper keeper = keeper();
        keeper.join();
        // Another node took S (epoch 2) and let it go; this node claims it back at epoch 3.
        store.claimable = List.of(new Lease(S, "node-a", 3));
        keeper.claim();
        assertEquals(List.of(List.of(S)), host.dropped, "the old instance goes first");
        assertEquals(List.of(List.of(new Lease(S, "node-a", 3))), host.takenUp);

        // The old instance's last write, under epoch 1, is refused now: the new instance is not the one lost.
        keeper.lost(Map.of(S, new Fence("node-a", 1)));
        keeper.sync();
        assertEquals(1, host.dropped.size());
        assertEquals(new Fence("node-a", 3), keeper.fenceOf(S));

        keeper.lost(Map.of(S, new Fence("node-a", 3)));
        keeper.sync();
        assertEquals(List.of(List.of(S), List.of(S)), host.dropped);
        assertNull(keeper.fenceOf(S));
    }

    @Test
    void aSessionTheRenewalNoLongerReturnsIsDropped() {
        store.adopted = List.of(new Lease(S, "node-a", 1));
        LeaseKeeper keeper = keeper();
        keeper.join();
        store.renewed = List.of(new Lease(S, "node-a", 1));
        keeper.renew();
        assertTrue(host.dropped.isEmpty());
        store.renewed = List.of();
        keeper.renew();
        assertEquals(List.of(List.of(S)), host.dropped);
    }

    @Test
    void aSessionCreatedWhileARenewalIsUnderWayIsNotTakenForLost() {
        LeaseKeeper keeper = keeper();
        keeper.join();
        // Its creation commits its lease after the renewal's query, and then registers it, before the renewal
        // looks at what this node holds (seen in ClusterSplitBrainIT: the creator dropped the session at once,
        // "ownership lost", and the session then ran with no fence).
        store.duringRenewal = () -> keeper.created(S);
        keeper.renew();
        assertTrue(host.dropped.isEmpty(), "dropped: " + host.dropped);
        assertEquals(new Fence("node-a", 1), keeper.fenceOf(S));
    }

    @Test
    void aLeaseHeldInTheStoreButRunNowhereIsLetGoAtTheSecondRenewalThatFindsIt() {
        LeaseKeeper keeper = keeper();
        keeper.join();
        Lease stray = new Lease(S, "node-a", 4);
        store.renewed = List.of(stray);
        keeper.renew();
        assertTrue(store.released.isEmpty(), "one renewal may find a session whose creation is just ending");
        keeper.renew();
        assertEquals(List.of(stray), store.released);
    }

    @Test
    void aNodeThatRenewedNothingForAWholeLeaseStopsItsSessions() {
        store.ttl = Duration.ZERO;
        store.adopted = List.of(new Lease(S, "node-a", 1));
        LeaseKeeper keeper = keeper();
        keeper.join();
        store.failing = true;
        keeper.renew();
        assertEquals(List.of(List.of(S)), host.dropped);
    }
}
