package io.meerkat.runtime.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.DuplicateSessionException;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.LifecycleReport;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.OwnershipLostException;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionMovedException;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.cluster.DrainReport;
import io.meerkat.runtime.api.cluster.RuntimeCluster;
import io.meerkat.runtime.api.cluster.SessionOwner;
import io.meerkat.runtime.api.spi.ClusterStore;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.testkit.RuntimeStoreConformanceTest;
import io.meerkat.runtime.api.spi.Lease;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreChange;
import io.meerkat.runtime.api.spi.StoreVisitor;
import io.meerkat.runtime.api.cluster.ClusterNode;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.core.policy.RetryPolicy;
import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.store.testpg.TestPostgres;
import io.meerkat.runtime.testkit.ForwardingRuntimeStore;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two runtimes (nodes) on one PostgreSQL (DESIGN §10, issue 13): each session runs on the node holding its
 * lease, a node that stops renewing loses its sessions to the other (which takes them up by the recovery
 * rules and runs what was queued), its stale writes are refused and it stops those sessions itself, and a
 * drain or a close hands sessions over at once.
 */
class ClusterRuntimeTest {

    private static final int TTL_MS = 600;

    private final List<AutoCloseable> opened = new ArrayList<>();
    private final String url = TestPostgres.shared().newDatabase();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
    }

    private TestNode node(String id, int ttlMs) {
        TestNode node = new TestNode(url, id, ttlMs, 1);
        opened.add(node);
        return node;
    }

    /** Polls a condition that only time and another node's background work make true (bounded). */
    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "never: " + what);
            Thread.sleep(10);
        }
    }

    @Test
    void eachSessionRunsOnItsCreatorAndTheOtherNodeKnowsWhere() throws Exception {
        TestNode a = node("node-a", 60_000);
        TestNode b = node("node-b", 60_000);
        SessionHandle session = a.runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
        CompletionOutcome outcome = session.submit(Input.prompt("hello")).completion().get(10, TimeUnit.SECONDS);
        assertInstanceOf(CompletionOutcome.Completed.class, outcome);

        assertTrue(b.runtime.session(session.id()).isEmpty(), "only the owner runs it");
        SessionOwner owner = b.cluster().owner(session.id()).orElseThrow();
        assertEquals("node-a", owner.nodeId());
        assertEquals(Optional.of(URI.create("http://127.0.0.1/node-a")), owner.liveAddress());
        assertEquals(List.of("node-a", "node-b"), b.cluster().nodes().stream().map(ClusterNode::nodeId).toList());
        assertThrows(DuplicateSessionException.class,
                () -> b.runtime.createSession(new SessionSpec(session.id(), LedgerExecutorFactory.KIND, Map.of(), null)));
        assertEquals(1, a.executors.ledger.size());
        assertTrue(b.executors.ledger.isEmpty());
    }

    @Test
    void twoNodesCreatingOneIdAtOnceGiveTheLoserADuplicateNotAStoreFailure() throws Exception {
        TestNode a = node("node-a", 60_000);
        TestNode b = node("node-b", 60_000);
        SessionId id = SessionId.random();
        a.runtime.createSession(new SessionSpec(id, LedgerExecutorFactory.KIND, Map.of(), null));
        // Node b looked before node a's creation committed: the store had no such session yet.
        b.store.ownerLookupsToHide.set(1);
        assertThrows(DuplicateSessionException.class,
                () -> b.runtime.createSession(new SessionSpec(id, LedgerExecutorFactory.KIND, Map.of(), null)));
        assertEquals("node-a", b.cluster().owner(id).orElseThrow().nodeId());
        assertTrue(b.runtime.session(id).isEmpty());
        assertInstanceOf(CompletionOutcome.Completed.class,
                a.runtime.session(id).orElseThrow().submit(Input.prompt("still a's")).completion().get(10, TimeUnit.SECONDS));
    }

    @Test
    void aNodeThatStopsRenewingLosesItsSessionsToTheOtherWhichRunsTheirQueueAndTheStaleRunWritesNothing() throws Exception {
        TestNode a = node("node-a", TTL_MS);
        TestNode b = node("node-b", TTL_MS);
        SessionHandle session = a.runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
        SessionId id = session.id();
        a.executors.hold();
        Submission inFlight = session.submit(Input.prompt("in flight"));
        LedgerExecutorFactory.Held held = a.executors.nextHeld();
        Submission queued = session.submit(Input.prompt("queued"));

        b.executors.hold();
        a.store.frozen = true;
        // Node a proves nothing for a whole lease: it stops the session itself (its waiter hears why)...
        CompletionOutcome onA = inFlight.completion().get(15, TimeUnit.SECONDS);
        assertEquals(new CompletionOutcome.RuntimeTerminated(OwnershipLostException.REASON), onA);
        assertTrue(a.runtime.session(id).isEmpty());
        // ...and node b claims it, takes it up and runs the run that was cut short again.
        LedgerExecutorFactory.Held onB = b.executors.nextHeld();

        // The run node a had in flight finishes now: its end is refused by the fence, nothing of it is kept.
        held.complete();
        b.executors.release();
        onB.complete();
        SessionHandle moved = b.runtime.session(id).orElseThrow();
        assertInstanceOf(CompletionOutcome.Completed.class,
                moved.completion(inFlight.inputId()).orElseThrow().get(10, TimeUnit.SECONDS));
        assertInstanceOf(CompletionOutcome.Completed.class,
                moved.completion(queued.inputId()).orElseThrow().get(10, TimeUnit.SECONDS));
        assertEquals(List.of("in flight", "queued"),
                b.executors.ledger.stream().map(LedgerExecutorFactory.Applied::text).toList());
        assertEquals(InputLifecycleState.CONSUMED, moved.inputStatus(inFlight.inputId()).orElseThrow().state());
        assertEquals(2, b.cluster().owner(id).orElseThrow().epoch());
    }

    @Test
    void aDrainLetsTheRunInFlightFinishThenHandsTheSessionOverAtOnce() throws Exception {
        // A lease far longer than the test: the other node gets the session by the release, not by a lapse.
        TestNode a = node("node-a", 60_000);
        TestNode b = node("node-b", 60_000);
        SessionHandle session = a.runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
        a.executors.hold();
        Submission inFlight = session.submit(Input.prompt("in flight"));
        LedgerExecutorFactory.Held held = a.executors.nextHeld();
        Submission queued = session.submit(Input.prompt("queued"));

        b.executors.hold();
        CompletableFuture<DrainReport> drain = CompletableFuture.supplyAsync(() -> a.cluster().drain(Duration.ofSeconds(20)));
        // The run in flight ends only once the drain refuses new runs (else the queued input would start on a).
        await("node a drains", () -> a.cluster().draining());
        assertThrows(SessionMovedException.class, () -> a.runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND)));
        held.complete();
        DrainReport report = drain.get(20, TimeUnit.SECONDS);
        assertEquals(1, report.released());
        assertEquals(0, report.cutShort());
        assertInstanceOf(CompletionOutcome.Completed.class, inFlight.completion().get(10, TimeUnit.SECONDS));

        // Node b claims the released session at once and runs its queue.
        b.executors.nextHeld().complete();
        b.executors.release();
        assertInstanceOf(CompletionOutcome.Completed.class,
                b.runtime.session(session.id()).orElseThrow().completion(queued.inputId()).orElseThrow().get(10, TimeUnit.SECONDS));
        assertEquals(List.of("in flight"), a.executors.ledger.stream().map(LedgerExecutorFactory.Applied::text).toList());
        assertEquals(List.of("queued"), b.executors.ledger.stream().map(LedgerExecutorFactory.Applied::text).toList());
    }

    @Test
    void aClosingNodeLetsGoOfItsLeasesSoTheOtherTakesThemUpAtOnce() throws Exception {
        TestNode a = node("node-a", 60_000);
        TestNode b = node("node-b", 60_000);
        SessionHandle session = a.runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
        a.executors.hold();
        Submission queued = session.submit(Input.prompt("queued"));
        a.executors.nextHeld();
        b.executors.hold();
        a.runtime.close();

        // Node b claims the released session at once and runs the input cut short by the close again.
        b.executors.nextHeld().complete();
        b.executors.release();
        assertInstanceOf(CompletionOutcome.Completed.class,
                b.runtime.session(session.id()).orElseThrow().completion(queued.inputId()).orElseThrow().get(10, TimeUnit.SECONDS));
        assertEquals(List.of("node-b"), b.cluster().nodes().stream().map(ClusterNode::nodeId).toList());
    }

    @Test
    void aNodeCutOffForALeaseThatNobodyTookOverRunsItsSessionsAgainOnceBack() throws Exception {
        TestNode a = node("node-a", TTL_MS);
        SessionHandle session = a.runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
        SessionId id = session.id();

        a.store.frozen = true;
        await("node a stops the session it can no longer prove it holds", () -> a.runtime.session(id).isEmpty());
        a.store.frozen = false;
        // No other node claimed it: its lease is still node a's, and node a must run it again, not just renew it.
        await("node a runs the session again", () -> a.runtime.session(id).isPresent());
        Submission after = a.runtime.session(id).orElseThrow().submit(Input.prompt("after"));
        assertInstanceOf(CompletionOutcome.Completed.class, after.completion().get(10, TimeUnit.SECONDS));
        assertEquals(List.of("after"), a.executors.ledger.stream().map(LedgerExecutorFactory.Applied::text).toList());
    }

    @Test
    void aCreationThatFailsAfterItsSessionMovedDoesNotRemoveTheSessionFromItsNewOwner() throws Exception {
        CountDownLatch inCreate = new CountDownLatch(1);
        CountDownLatch failCreate = new CountDownLatch(1);
        // Node a's executors take long to start, then fail: its creation of a session fails after it was written.
        ExecutorFactory failing = new ExecutorFactory() {
            @Override
            public String kind() {
                return LedgerExecutorFactory.KIND;
            }

            @Override
            public CoreExecutor create(ExecutorContext context) {
                inCreate.countDown();
                try {
                    assertTrue(failCreate.await(20, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalStateException("the executor did not start");
            }
        };
        TestNode a = new TestNode(url, "node-a", TTL_MS, 1, failing);
        opened.add(a);
        TestNode b = node("node-b", TTL_MS);
        SessionId id = SessionId.random();
        CompletableFuture<SessionHandle> creation = CompletableFuture.supplyAsync(() ->
                a.runtime.createSession(new SessionSpec(id, LedgerExecutorFactory.KIND, Map.of(), null)));
        assertTrue(inCreate.await(10, TimeUnit.SECONDS));

        // Meanwhile node a stops renewing: node b takes the session over and accepts an input for it.
        a.store.frozen = true;
        await("node b runs the session", () -> b.runtime.session(id).isPresent());
        Submission onB = b.runtime.session(id).orElseThrow().submit(Input.prompt("on b"));
        assertInstanceOf(CompletionOutcome.Completed.class, onB.completion().get(10, TimeUnit.SECONDS));

        failCreate.countDown();
        ExecutionException failed = assertThrows(ExecutionException.class, () -> creation.get(10, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, failed.getCause());
        // The failed creation takes out only what node a still holds: node b's session and its input stay.
        assertEquals("node-b", b.cluster().owner(id).orElseThrow().nodeId());
        assertEquals(1, RuntimeStoreConformanceTest.loadAll(b.store).values().iterator().next().size());
    }

    @Test
    void aSessionRemovedWhileARenewalRunsIsRemovedNotDroppedAsLost() throws Exception {
        TestNode a = node("node-a", TTL_MS);
        SessionId id = a.runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND)).id();
        CountDownLatch removalCommitted = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        // The removal's commit (its lease deleted with the session's rows) is through; the runtime hears of it
        // only once the test lets it.
        a.store.afterCommit = batches -> {
            if (batches.stream().anyMatch(batch -> batch.changes().stream()
                    .anyMatch(change -> change instanceof StoreChange.RemoveSession))) {
                removalCommitted.countDown();
                try {
                    assertTrue(goOn.await(10, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        CompletableFuture<LifecycleReport> removal = CompletableFuture.supplyAsync(() -> a.runtime.removeSession(id));
        assertTrue(removalCommitted.await(10, TimeUnit.SECONDS));
        int renewals = a.store.renewals.get();
        // A whole renewal after the removal's commit (the lease missing from its answer), or the session dropped.
        await("a renewal after the removal", () -> a.store.renewals.get() >= renewals + 2 || a.runtime.session(id).isEmpty());
        goOn.countDown();

        assertEquals(RuntimeState.DESTROYED, removal.get(10, TimeUnit.SECONDS).state(),
                "the removal went through, and says so");
        assertTrue(a.runtime.session(id).isEmpty());
        assertTrue(a.cluster().owner(id).isEmpty());
    }
}
