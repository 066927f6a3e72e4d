package io.meerkat.runtime.store;

import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.session;
import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.stored;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.OwnershipLostException;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.cluster.ClusterNode;
import io.meerkat.runtime.api.cluster.SessionOwner;
import io.meerkat.runtime.api.spi.ClusterStore;
import io.meerkat.runtime.api.spi.Fence;
import io.meerkat.runtime.api.spi.Lease;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange;
import io.meerkat.runtime.api.spi.StoreVisitor;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.api.spi.StoredSession;
import io.meerkat.runtime.store.testpg.TestPostgres;
import io.meerkat.runtime.testkit.RuntimeStoreConformanceTest;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leases of the postgres store (DESIGN §10, issue 13) on a real PostgreSQL: claims, renewals, releases
 * and the fence every write of a session passes. Two stores on one database stand for two nodes.
 */
class PostgresLeasesTest {

    /** Short, so that a writer's idle transaction is ended within the test ({@link #shortLeases}: 1 s). */
    private static final int TTL_MS = 300;
    /** Longer than any test: a lease that must stay live does, however loaded the machine. */
    private static final int LONG_TTL_MS = 120_000;

    private String url;
    private RuntimeStore a;
    private RuntimeStore b;

    @BeforeEach
    void open() {
        url = TestPostgres.shared().newDatabase();
        a = open(url, LONG_TTL_MS);
        b = open(url, LONG_TTL_MS);
    }

    /** Reopens both nodes' stores with leases that lapse within the test. */
    private void shortLeases() {
        a.close();
        b.close();
        a = open(url, TTL_MS);
        b = open(url, TTL_MS);
    }

    private static RuntimeStore open(String url, int ttlMs) {
        return new PostgresStoreProvider().open(Map.of("url", url, "leaseTtlMs", String.valueOf(ttlMs)));
    }

    @AfterEach
    void close() {
        a.close();
        b.close();
    }

    private static ClusterStore cluster(RuntimeStore store) {
        return store.cluster().orElseThrow();
    }

    /** Creates a session on {@code store} held by {@code node} at epoch 1. */
    private static SessionId create(RuntimeStore store, String node) {
        SessionId id = SessionId.random();
        store.commit(List.of(StoreBatch.of(new StoreChange.PutSession(session(id)), new StoreChange.NewLease(id, node))));
        return id;
    }

    private static StoreBatch fencedInput(SessionId id, Fence fence, long sequence, String text) {
        return new StoreBatch(List.of(new StoreChange.PutInput(stored(id, sequence, Input.prompt(text),
                InputLifecycleState.QUEUED, null))), fence);
    }

    /**
     * Makes the sessions' leases lapse now, as their holder's silence for a whole lease would: their expiry is
     * moved into the past on the database's clock (an {@code UPDATE} of the expiry, which waits for no commit's
     * fence lock, as a renewal does not).
     */
    private void expire(SessionId... ids) throws java.sql.SQLException {
        try (java.sql.Connection connection = java.sql.DriverManager.getConnection(url);
             java.sql.PreparedStatement expire = connection.prepareStatement(
                     "UPDATE session_leases SET expires_at = now() - interval '1 second' WHERE session_id = ?")) {
            for (SessionId id : ids) {
                expire.setObject(1, id.value());
                assertEquals(1, expire.executeUpdate());
            }
        }
        for (SessionId id : ids) {
            assertFalse(cluster(b).owner(id).orElseThrow().live());
        }
    }

    /** Returns once no transaction holds a lock on the session's lease: it waits in the server's lock queue. */
    private void awaitLeaseUnlocked(SessionId id) throws java.sql.SQLException {
        try (java.sql.Connection connection = java.sql.DriverManager.getConnection(url)) {
            connection.setAutoCommit(false);
            try (java.sql.Statement limit = connection.createStatement()) {
                limit.execute("SET LOCAL lock_timeout = '20s'");
            }
            try (java.sql.PreparedStatement lock = connection.prepareStatement(
                    "SELECT 1 FROM session_leases WHERE session_id = ? FOR UPDATE")) {
                lock.setObject(1, id.value());
                lock.executeQuery().close();
            }
            connection.rollback();
        }
    }

    @Test
    void aNewSessionIsHeldByItsCreatorAtEpochOneAndItsFencedWritesGoThrough() {
        SessionId id = create(a, "node-a");
        a.commit(List.of(fencedInput(id, new Fence("node-a", 1), 1, "one")));

        SessionOwner owner = cluster(b).owner(id).orElseThrow();
        assertEquals("node-a", owner.nodeId());
        assertEquals(1, owner.epoch());
        assertTrue(owner.live());
        assertEquals(1, RuntimeStoreConformanceTest.loadAll(b).values().iterator().next().size());
        assertTrue(cluster(b).claim("node-b", 10).isEmpty(), "a live lease is nobody else's to claim");
        assertTrue(cluster(a).owner(SessionId.random()).isEmpty());
    }

    @Test
    void aLapsedLeaseIsClaimedAtTheNextEpochAndTheOldHoldersWritesAreRefusedWhole() throws Exception {
        SessionId id = create(a, "node-a");
        SessionId other = create(a, "node-a");
        expire(id, other);

        List<Lease> claimed = cluster(b).claim("node-b", 1);
        assertEquals(1, claimed.size());
        SessionId taken = claimed.get(0).sessionId();
        SessionId kept = taken.equals(id) ? other : id;
        assertEquals(new Lease(taken, "node-b", 2), claimed.get(0));

        // A group commit of node a: the batch of the taken session and one of the session it still holds.
        OwnershipLostException lost = assertThrows(OwnershipLostException.class, () -> a.commit(List.of(
                fencedInput(kept, new Fence("node-a", 1), 1, "kept"),
                fencedInput(taken, new Fence("node-a", 1), 1, "stale"))));
        assertEquals(java.util.Set.of(taken), lost.sessions());
        assertEquals("ownership_lost", lost.code());
        assertTrue(RuntimeStoreConformanceTest.loadAll(b).values().stream().allMatch(List::isEmpty),
                "nothing of the refused commit was written");

        // The holder renews what it still has: the taken session is missing from the answer.
        assertEquals(List.of(new Lease(kept, "node-a", 1)), cluster(a).renew("node-a"));
        a.commit(List.of(fencedInput(kept, new Fence("node-a", 1), 1, "kept")));
        b.commit(List.of(fencedInput(taken, new Fence("node-b", 2), 1, "new owner")));
        assertEquals("node-b", cluster(a).owner(taken).orElseThrow().nodeId());
    }

    @Test
    void aLapsedLeaseNobodyClaimedIsStillItsHoldersAndARenewalRevivesIt() throws Exception {
        SessionId id = create(a, "node-a");
        expire(id);
        a.commit(List.of(fencedInput(id, new Fence("node-a", 1), 1, "late but unchallenged")));
        assertEquals(List.of(new Lease(id, "node-a", 1)), cluster(a).renew("node-a"));
        assertTrue(cluster(a).owner(id).orElseThrow().live(), "the renewal revived it");
        assertTrue(cluster(a).claim("node-a", 10).isEmpty(), "a node never claims its own lease");
    }

    @Test
    void aClaimSkipsASessionWhoseCommitIsUnderWayAndTakesItOnceTheCommitEnded() throws Exception {
        SessionId id = create(a, "node-a");
        expire(id);
        CountDownLatch inCommit = new CountDownLatch(1);
        CountDownLatch claimed = new CountDownLatch(1);
        ((JdbcRuntimeStore) a).beforeCommit(() -> {
            inCommit.countDown();
            try {
                assertTrue(claimed.await(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        CompletableFuture<Void> commit = CompletableFuture.runAsync(() ->
                a.commit(List.of(fencedInput(id, new Fence("node-a", 1), 1, "in flight"))));
        assertTrue(inCommit.await(10, TimeUnit.SECONDS));
        // The commit holds the lease (FOR KEY SHARE): the claim skips it rather than wait or slip in between.
        assertTrue(cluster(b).claim("node-b", 10).isEmpty());
        claimed.countDown();
        commit.get(10, TimeUnit.SECONDS);
        ((JdbcRuntimeStore) a).beforeCommit(() -> { });

        assertEquals(List.of(new Lease(id, "node-b", 2)), cluster(b).claim("node-b", 10));
        assertEquals(1, RuntimeStoreConformanceTest.loadAll(b).get(RuntimeStoreConformanceTest.loadAll(b).keySet()
                .iterator().next()).size(), "the commit that held the lease was written");
    }

    @Test
    void aNodeFrozenInTheMiddleOfACommitKeepsItsSessionsOnlyUntilTheServerEndsItsIdleTransaction() throws Exception {
        shortLeases();
        SessionId id = create(a, "node-a");
        CountDownLatch inCommit = new CountDownLatch(1);
        CountDownLatch claimed = new CountDownLatch(1);
        ((JdbcRuntimeStore) a).beforeCommit(() -> {
            // Frozen after the fence check locked the lease: no statement runs, the transaction stays open.
            inCommit.countDown();
            try {
                assertTrue(claimed.await(30, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        CompletableFuture<Void> commit = CompletableFuture.runAsync(() ->
                a.commit(List.of(fencedInput(id, new Fence("node-a", 1), 1, "frozen"))));
        assertTrue(inCommit.await(10, TimeUnit.SECONDS));
        expire(id);
        // A claim skips the lease while the frozen commit holds it (aClaimSkips…), until the server ends the
        // idle transaction (its limit: 1 s here); a lock request waits in the server's queue for that.
        awaitLeaseUnlocked(id);
        assertEquals(List.of(new Lease(id, "node-b", 2)), cluster(b).claim("node-b", 10));
        claimed.countDown();
        java.util.concurrent.ExecutionException failed = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> commit.get(10, TimeUnit.SECONDS));
        assertTrue(failed.getCause() instanceof StoreUnavailableException, failed.toString());
        ((JdbcRuntimeStore) a).beforeCommit(() -> { });
        assertTrue(RuntimeStoreConformanceTest.loadAll(b).values().stream().allMatch(List::isEmpty),
                "nothing of the frozen commit was written");
        assertThrows(OwnershipLostException.class, () -> a.commit(List.of(fencedInput(id, new Fence("node-a", 1), 1, "thawed"))));
    }

    @Test
    void aReleasedLeaseIsClaimedAtOnceAndAnAdoptionFencesOutTheEarlierProcessOfTheSameNode() {
        SessionId id = create(a, "node-a");
        cluster(a).release(List.of(new Lease(id, "node-a", 1)));
        SessionOwner free = cluster(b).owner(id).orElseThrow();
        assertNull(free.nodeId());
        assertFalse(free.live());
        assertEquals(List.of(new Lease(id, "node-b", 2)), cluster(b).claim("node-b", 10));

        // node-b restarts under the same id: the new process adopts its leases at a higher epoch.
        assertEquals(List.of(new Lease(id, "node-b", 3)), cluster(a).adopt("node-b"));
        assertThrows(OwnershipLostException.class, () -> b.commit(List.of(fencedInput(id, new Fence("node-b", 2), 1, "old"))));
        a.commit(List.of(fencedInput(id, new Fence("node-b", 3), 1, "new")));
    }

    @Test
    void anAdoptionWaitsForTheEarlierProcessesCommitInFlightSoItReadsWhatThatCommitWrote() throws Exception {
        SessionId id = create(a, "node-a");
        CountDownLatch inCommit = new CountDownLatch(1);
        CountDownLatch adopterRead = new CountDownLatch(1);
        // The earlier process of node-a has checked its fence and written; it commits once the new process read
        // the session, or after 2 s (an adoption that waits for it, as it must, never reads before).
        ((JdbcRuntimeStore) a).beforeCommit(() -> {
            inCommit.countDown();
            try {
                adopterRead.await(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        CompletableFuture<Void> commit = CompletableFuture.runAsync(() ->
                a.commit(List.of(fencedInput(id, new Fence("node-a", 1), 1, "earlier process"))));
        assertTrue(inCommit.await(10, TimeUnit.SECONDS));

        // The new process of node-a adopts the session, then reads it to take it up.
        CompletableFuture<Integer> inputsRead = CompletableFuture.supplyAsync(() -> {
            assertEquals(List.of(new Lease(id, "node-a", 2)), cluster(b).adopt("node-a"));
            int read = RuntimeStoreConformanceTest.loadAll(b).values().iterator().next().size();
            adopterRead.countDown();
            return read;
        });
        commit.get(10, TimeUnit.SECONDS);
        assertEquals(1, inputsRead.get(10, TimeUnit.SECONDS),
                "the earlier process's commit went through, so the new owner must have read what it wrote");
        assertThrows(OwnershipLostException.class, () -> a.commit(List.of(fencedInput(id, new Fence("node-a", 1), 2, "late"))));
    }

    @Test
    void aFenceCheckThatWaitsForAClaimSeesTheClaimOnceCommittedAndIsRefused() throws Exception {
        SessionId id = create(a, "node-a");
        try (java.sql.Connection claimer = java.sql.DriverManager.getConnection(url)) {
            claimer.setAutoCommit(false);
            // A claim of node-b in flight: its row lock taken and the lease moved, not yet committed.
            try (java.sql.Statement claim = claimer.createStatement()) {
                claim.execute("SELECT session_id FROM session_leases WHERE session_id = '" + id.value() + "' FOR UPDATE");
                claim.execute("UPDATE session_leases SET owner_node = 'node-b', epoch = epoch + 1 WHERE session_id = '"
                        + id.value() + "'");
            }
            CompletableFuture<Void> commit = CompletableFuture.runAsync(() ->
                    a.commit(List.of(fencedInput(id, new Fence("node-a", 1), 1, "waits for the claim"))));
            // The fence check waits for the claim's lock (FOR KEY SHARE against FOR UPDATE); to know it is waiting,
            // the test looks for it in the server's lock table.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!waitingForALock(claimer)) {
                assertTrue(System.nanoTime() < deadline, "the commit never waited for the claim");
                Thread.sleep(10);
            }
            claimer.commit();
            java.util.concurrent.ExecutionException refused = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> commit.get(10, TimeUnit.SECONDS));
            assertTrue(refused.getCause() instanceof OwnershipLostException, refused.toString());
        }
        assertTrue(RuntimeStoreConformanceTest.loadAll(b).values().stream().allMatch(List::isEmpty),
                "nothing of the refused commit was written");
    }

    private static boolean waitingForALock(java.sql.Connection connection) throws java.sql.SQLException {
        try (java.sql.Statement query = connection.createStatement();
             java.sql.ResultSet row = query.executeQuery("SELECT count(*) FROM pg_locks WHERE NOT granted")) {
            row.next();
            return row.getLong(1) > 0;
        }
    }

    @Test
    void aSecondLeaseForOneSessionIsRefusedAndWritesNothing() {
        SessionId id = create(a, "node-a");
        StoredSession replacement = session(id);
        StoreUnavailableException refused = assertThrows(StoreUnavailableException.class, () -> b.commit(List.of(
                StoreBatch.of(new StoreChange.PutSession(replacement), new StoreChange.NewLease(id, "node-b")))));
        assertTrue(refused.getMessage().contains("already has a lease"), refused.getMessage());
        assertEquals("node-a", cluster(b).owner(id).orElseThrow().nodeId());
    }

    @Test
    void nodesAreListedWithTheirHeartbeatsAndLiveLeases() {
        cluster(a).heartbeat("node-a", URI.create("http://127.0.0.1:1111"), false);
        cluster(b).heartbeat("node-b", null, true);
        create(a, "node-a");
        create(a, "node-a");
        List<ClusterNode> nodes = cluster(b).nodes();
        assertEquals(List.of("node-a", "node-b"), nodes.stream().map(ClusterNode::nodeId).toList());
        assertEquals(URI.create("http://127.0.0.1:1111"), nodes.get(0).advertise());
        assertEquals(2, nodes.get(0).sessions());
        assertTrue(nodes.get(0).alive());
        assertFalse(nodes.get(0).draining());
        assertNull(nodes.get(1).advertise());
        assertTrue(nodes.get(1).draining());
        assertEquals(0, nodes.get(1).sessions());

        cluster(b).leave("node-b");
        assertEquals(List.of("node-a"), cluster(a).nodes().stream().map(ClusterNode::nodeId).toList());
    }

    @Test
    void loadOfSomeSessionsReadsThoseOnly() {
        SessionId one = create(a, "node-a");
        SessionId two = create(a, "node-a");
        a.commit(List.of(fencedInput(two, new Fence("node-a", 1), 1, "two's")));
        List<SessionId> sessions = new java.util.ArrayList<>();
        List<StoredInput> inputs = new java.util.ArrayList<>();
        cluster(b).load(List.of(two, SessionId.random()), new StoreVisitor() {
            @Override
            public void session(StoredSession session) {
                sessions.add(session.id());
            }

            @Override
            public void input(StoredInput input) {
                inputs.add(input);
            }
        });
        assertEquals(List.of(two), sessions);
        assertEquals(1, inputs.size());
        assertFalse(sessions.contains(one));
    }

    @Test
    void aStoreNoNodeSharesRefusesFencedBatchesAndLeases(@TempDir Path folder) {
        try (RuntimeStore sqlite = new SqliteStoreProvider().open(Map.of("path", folder.resolve("s.db").toString()));
             RuntimeStore memory = new MemoryStoreProvider().open(Map.of())) {
            for (RuntimeStore single : List.of(sqlite, memory)) {
                assertTrue(single.cluster().isEmpty());
                SessionId id = SessionId.random();
                single.commit(List.of(StoreBatch.of(new StoreChange.PutSession(session(id)))));
                StoreUnavailableException fenced = assertThrows(StoreUnavailableException.class,
                        () -> single.commit(List.of(fencedInput(id, new Fence("node-a", 1), 1, "x"))));
                assertTrue(fenced.getMessage().contains("one runtime"), fenced.getMessage());
                StoreUnavailableException lease = assertThrows(StoreUnavailableException.class, () -> single.commit(
                        List.of(StoreBatch.of(new StoreChange.NewLease(id, "node-a")))));
                assertTrue(lease.getMessage().contains("one runtime"), lease.getMessage());
            }
        }
    }
}
