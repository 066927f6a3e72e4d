package io.meerkat.runtime.store;

import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.loadAll;
import static io.meerkat.runtime.store.StoredRows.storedInput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RuntimeControlCommand;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.SessionStatus;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.RetentionPolicy;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreInfo;
import io.meerkat.runtime.api.spi.StoreVisitor;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.core.policy.RetryPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Defects an independent review found in the first durable runtime (issue 12), one test each, every one of
 * which failed before its fix: a waiter stranded by a refused stop, a retired session's inputs abandoned on a
 * recovery without its kind, a refused run boundary rewritten in a hot loop, a second consumed-on-accept
 * input refused by the store (sequence 0 twice), a DERIVED input lost by a restart, and a session whose
 * creation failed (runtime closed) recovered all the same.
 */
class DurabilityRegressionTest {

    private final LedgerExecutorFactory executors = new LedgerExecutorFactory();

    private MeerkatRuntime runtimeOn(RuntimeStore store, RetryPolicy retry) {
        return MeerkatRuntimeBuilder.newBuilder()
                .executorFactory(executors)
                .completionRegistry(new InMemoryCompletionRegistry())
                .retryPolicy(retry)
                .store(store)
                .build();
    }

    /**
     * Defect 1 (review). A durable stop (or destroy) of a session whose run's apply completed, but whose boundary
     * the store refused, used to write the run's boundary and the stop in two commits: when the second was
     * refused, the run was committed but its waiter never resolved. Now both are one commit: a refused stop
     * leaves the session as it was (the run applied, not committed), and the loop's next write of the boundary
     * resolves the waiter.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"stop", "destroy"})
    void aRefusedLifecycleCommandLeavesTheAppliedRunToItsLoopWhichResolvesItsWaiter(String command)
            throws Exception {
        try (ScriptedStore store = new ScriptedStore(new MemoryRuntimeStore());
             MeerkatRuntime runtime = runtimeOn(store,
                     RetryPolicy.defaults().withBackoff(Duration.ofMillis(300), Duration.ofMillis(300)))) {
            SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
            executors.hold();
            Input first = Input.prompt("first");
            CompletableFuture<CompletionOutcome> completion = session.submit(first).completion();
            LedgerExecutorFactory.Held held = executors.nextHeld();
            Input second = Input.prompt("second");
            session.submit(second);

            // The loop's write of the run boundary is refused: the run stays active, applied, in backoff.
            store.script(0, 1);
            held.complete();
            store.awaitFailures(1);

            // The command's one write (the applied run's boundary, the abandonment, the phase) is refused.
            store.script(0, 1);
            assertThrows(StoreUnavailableException.class, () -> {
                if (command.equals("stop")) {
                    session.runtimeControl(new RuntimeControlCommand.Stop());
                } else {
                    session.destroy();
                }
            });
            assertEquals(InputLifecycleState.STAGED, session.inputStatus(first.id()).orElseThrow().state(),
                    "a refused " + command + " changed the applied run");
            assertEquals(InputLifecycleState.QUEUED, session.inputStatus(second.id()).orElseThrow().state());
            // As its start was written: the run is not committed.
            assertEquals(InputLifecycleState.STAGED, storedInput(store, session.id(), first.id()).status().state());

            // The store takes writes again: the loop writes the boundary, and the waiter learns the run completed.
            store.script(0, 0);
            assertInstanceOf(CompletionOutcome.Completed.class, completion.get(10, TimeUnit.SECONDS));
            assertEquals(InputLifecycleState.CONSUMED, storedInput(store, session.id(), first.id()).status().state());
        }
    }

    /**
     * Defect 2. Issue 12: "a missing plugin leaves the session listed with a clear executor_unavailable
     * reason and its inputs kept". A session kept RETIRED whose kind is missing at recovery is re-retired
     * without a loop ({@code LocalSession.resumeAfterRecovery} calls {@code retire()}, which abandons every
     * input of a loop-less session and writes that): its queued inputs are abandoned in the store for good,
     * and the runtime that has the kind again finds nothing to run.
     */
    @Test
    void aRetiredSessionWhoseKindIsMissingAtRecoveryKeepsItsInputs() throws Exception {
        try (RuntimeStore store = new MemoryRuntimeStore()) {
            SessionId sessionId;
            Input running = Input.prompt("running");
            Input queued = Input.prompt("queued");
            try (MeerkatRuntime first = runtimeOn(store, RetryPolicy.defaults())) {
                executors.hold();
                SessionHandle session = first.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                sessionId = session.id();
                session.submit(running);
                executors.nextHeld();
                session.submit(queued);
                session.retire();
                // Closing is not a command: the session is kept RETIRED with both inputs unfinished.
            }
            assertEquals(InputLifecycleState.QUEUED, storedInput(store, sessionId, queued.id()).status().state());

            try (MeerkatRuntime withoutTheKind = MeerkatRuntimeBuilder.newBuilder()
                    .completionRegistry(new InMemoryCompletionRegistry()).store(store).build()) {
                SessionStatus status = withoutTheKind.session(sessionId).orElseThrow().status();
                assertNotNull(status.executorUnavailable());
                assertEquals(InputLifecycleState.QUEUED, storedInput(store, sessionId, queued.id()).status().state(),
                        "a recovery without the kind abandoned the inputs of a retired session in the store");
                assertEquals(2, status.activeInputIds().size(), "its inputs were not kept");
            }
        }
    }

    /**
     * Defect 3. A run boundary the store refuses is retried after {@code retryPolicy().backoffAfter(n)}; with
     * a policy whose backoff is zero ({@link RetryPolicy#never()}, public and accepted by the builder),
     * {@code startBackoff} arms nothing, {@code hasPendingSignal} is true at once, and the loop re-writes the
     * boundary in a hot loop (thousands of store commits a second on one scheduler thread).
     */
    @Test
    void aRefusedRunBoundaryIsNotRewrittenInAHotLoopWhenTheRetryPolicyHasNoBackoff() throws Exception {
        try (ScriptedStore store = new ScriptedStore(new MemoryRuntimeStore());
             MeerkatRuntime runtime = runtimeOn(store, RetryPolicy.never())) {
            SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
            executors.hold();
            session.submit(Input.prompt("boundary"));
            LedgerExecutorFactory.Held held = executors.nextHeld();
            store.script(0, Integer.MAX_VALUE);
            long start = System.nanoTime();
            held.complete();
            store.awaitFailures(1);
            // One second of a store that refuses everything: a bounded retry makes a handful of attempts.
            boolean hot = store.awaitFailuresWithin(200, Duration.ofSeconds(1));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            int attempts = store.failures();
            store.script(0, 0);
            assertFalse(hot, attempts + " writes of one refused run boundary in " + millis + " ms");
        }
    }

    /**
     * Defect 5. An input its policy consumes on acceptance (an {@link Input.Operation}: IGNORE + ON_ACCEPT) is
     * never put on a lane, so {@code Ingress.prepare} never numbers it: it is written with sequence 0. The
     * store keeps one input per (session, sequence) ({@code UNIQUE (session_id, seq)} in SQLite, the same
     * rule in the memory store), so the second operation a session is sent is refused with
     * {@code store_unavailable} (HTTP 503), for ever, on a healthy store.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"memory", "sqlite"})
    void aSessionTakesMoreThanOneOperation(String kind, @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        try (RuntimeStore store = kind.equals("memory") ? new MemoryRuntimeStore()
                : new SqliteStoreProvider().open(java.util.Map.of("path", dir.resolve("ops.db").toString()));
             MeerkatRuntime runtime = runtimeOn(store, RetryPolicy.defaults())) {
            SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
            for (int i = 0; i < 2; i++) {
                Input operation = new Input.Operation(
                        io.meerkat.runtime.api.InputHeader.from(io.meerkat.runtime.api.InputSource.SYSTEM), "compact", "");
                var outcome = session.accept(operation);
                assertInstanceOf(io.meerkat.runtime.api.AcceptOutcome.Accepted.class, outcome);
                assertEquals(InputLifecycleState.CONSUMED,
                        storedInput(store, session.id(), operation.id()).status().state());
            }
        }
    }

    /**
     * Defect 6 (recovery rules). Meerkat 0.5's recovery drops only EPHEMERAL inputs ("Inputs with Ephemeral
     * durability are dropped"); here {@code InputRecord.durable} is {@code durability == DURABLE}, so a
     * DERIVED input (one the runtime's own side submits: a System continuation, say) is acknowledged as
     * accepted and never written, and a restart loses it. Nothing recomputes it (the enum's Javadoc says
     * "recomputed from other state"; no code does).
     */
    @Test
    void anAcceptedDerivedInputSurvivesARestart() throws Exception {
        try (RuntimeStore store = new MemoryRuntimeStore()) {
            SessionId sessionId;
            Input derived = new Input.Continuation(new io.meerkat.runtime.api.InputHeader(InputId.random(),
                    java.time.Instant.now(), io.meerkat.runtime.api.InputSource.SYSTEM,
                    io.meerkat.runtime.api.Durability.DERIVED, null, null, null, null), "resume the tool call");
            try (MeerkatRuntime first = runtimeOn(store, RetryPolicy.defaults())) {
                executors.hold();
                SessionHandle session = first.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                sessionId = session.id();
                session.submit(Input.prompt("running"));
                executors.nextHeld();
                assertInstanceOf(io.meerkat.runtime.api.AcceptOutcome.Accepted.class, session.submit(derived).outcome());
            }
            try (MeerkatRuntime second = MeerkatRuntimeBuilder.newBuilder()
                    .completionRegistry(new InMemoryCompletionRegistry()).store(store).build()) {
                assertTrue(second.session(sessionId).orElseThrow().inputStatus(derived.id()).isPresent(),
                        "an accepted DERIVED input was lost by a restart");
            }
        }
    }

    /**
     * Defect 7 (createSession racing close()). {@code create} writes the session, then builds it; if
     * {@code close()} ran meanwhile, {@code start} throws {@link io.meerkat.runtime.api.RuntimeClosedException}
     * and {@code forgetStored} tries to take the session out of the store again, through the group committer
     * that close() has already closed: the removal fails (only logged), and the next runtime on the store
     * recovers a session whose creation the caller was told failed.
     */
    @Test
    void aSessionWhoseCreationFailedBecauseTheRuntimeClosedIsNotRecovered() throws Exception {
        CountDownLatch creating = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        io.meerkat.runtime.api.spi.ExecutorFactory slow = new io.meerkat.runtime.api.spi.ExecutorFactory() {
            @Override
            public String kind() {
                return "slow";
            }

            @Override
            public io.meerkat.runtime.api.spi.CoreExecutor create(io.meerkat.runtime.api.spi.ExecutorContext context) {
                creating.countDown();
                try {
                    assertTrue(proceed.await(10, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return executors.create(context);
            }
        };
        try (RuntimeStore store = new MemoryRuntimeStore()) {
            MeerkatRuntime first = MeerkatRuntimeBuilder.newBuilder().executorFactory(slow)
                    .completionRegistry(new InMemoryCompletionRegistry()).store(store).build();
            SessionId sessionId = SessionId.random();
            CompletableFuture<SessionHandle> create = CompletableFuture.supplyAsync(
                    () -> first.createSession(new SessionSpec(sessionId, "slow", java.util.Map.of())));
            assertTrue(creating.await(10, TimeUnit.SECONDS), "the creation did not reach the factory");
            first.close();
            proceed.countDown();
            java.util.concurrent.ExecutionException failed = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> create.get(10, TimeUnit.SECONDS));
            assertInstanceOf(io.meerkat.runtime.api.RuntimeClosedException.class, failed.getCause());

            try (MeerkatRuntime second = MeerkatRuntimeBuilder.newBuilder().executorFactory(slow)
                    .completionRegistry(new InMemoryCompletionRegistry()).store(store).build()) {
                assertTrue(second.session(sessionId).isEmpty(),
                        "a session whose creation was refused (runtime closed) came back after a restart");
            }
        }
    }

    /**
     * Review: one session the recovery rules cannot take up (a QUEUED input stored without its content) kept
     * the whole runtime from starting, after its executor was created and never closed. It is left in the
     * store, unlisted, and the other sessions come back.
     */
    @Test
    void aSessionTheRecoveryRulesCannotTakeUpDoesNotKeepTheOthersDown() throws Exception {
        try (RuntimeStore store = new MemoryRuntimeStore()) {
            SessionId broken = SessionId.random();
            SessionId fine;
            try (MeerkatRuntime first = runtimeOn(store, RetryPolicy.defaults())) {
                fine = first.createSession(SessionSpec.of(LedgerExecutorFactory.KIND)).id();
            }
            io.meerkat.runtime.api.spi.StoredSession session = new io.meerkat.runtime.api.spi.StoredSession(broken,
                    LedgerExecutorFactory.KIND, java.util.Map.of(), io.meerkat.runtime.api.RuntimeState.IDLE,
                    java.time.Instant.now(), null);
            Input prompt = Input.prompt("its content was lost");
            StoredInput contentless = new StoredInput(broken, 1, null, null,
                    io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.status(prompt.id(), prompt.kind(),
                            InputLifecycleState.QUEUED, io.meerkat.runtime.api.Lane.QUEUE, 0), null);
            store.commit(List.of(StoreBatch.of(new io.meerkat.runtime.api.spi.StoreChange.PutSession(session),
                    new io.meerkat.runtime.api.spi.StoreChange.PutInput(contentless))));

            try (MeerkatRuntime second = runtimeOn(store, RetryPolicy.defaults())) {
                assertTrue(second.session(fine).isPresent(), "a good session was not recovered");
                assertTrue(second.session(broken).isEmpty(), "a session that breaks the recovery rules is listed");
            }
            assertTrue(loadAll(store).keySet().stream().anyMatch(kept -> kept.id().equals(broken)),
                    "the broken session was taken out of the store");
        }
    }

    /** Review: a caller's retire of a session recovered without its executor abandoned the inputs it keeps. */
    @Test
    void retiringASessionWhoseExecutorIsUnavailableKeepsItsInputs() throws Exception {
        try (RuntimeStore store = new MemoryRuntimeStore()) {
            SessionId sessionId;
            Input queued = Input.prompt("queued");
            try (MeerkatRuntime first = runtimeOn(store, RetryPolicy.defaults())) {
                executors.hold();
                SessionHandle session = first.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                sessionId = session.id();
                session.submit(Input.prompt("running"));
                executors.nextHeld();
                session.submit(queued);
            }
            try (MeerkatRuntime withoutTheKind = MeerkatRuntimeBuilder.newBuilder()
                    .completionRegistry(new InMemoryCompletionRegistry()).store(store).build()) {
                SessionHandle session = withoutTheKind.session(sessionId).orElseThrow();
                session.retire();
                assertEquals(InputLifecycleState.QUEUED, session.inputStatus(queued.id()).orElseThrow().state());
                assertEquals(InputLifecycleState.QUEUED, storedInput(store, sessionId, queued.id()).status().state());
            }
        }
    }

    /**
     * A store that takes the next {@code pass} commits, then refuses the next {@code fail} ones; or blocks
     * the next commit until released.
     */
    static final class ScriptedStore extends io.meerkat.runtime.testkit.ForwardingRuntimeStore {
        private final Object lock = new Object();
        private int pass;
        private int toFail;
        private final AtomicInteger failed = new AtomicInteger();
        private volatile CountDownLatch gate;
        private final CountDownLatch blocked = new CountDownLatch(1);

        ScriptedStore(RuntimeStore delegate) {
            super(delegate);
        }

        void script(int pass, int fail) {
            synchronized (lock) {
                this.pass = pass;
                this.toFail = fail;
                failed.set(0);
                lock.notifyAll();
            }
        }

        CountDownLatch blockNext() {
            CountDownLatch release = new CountDownLatch(1);
            gate = release;
            return release;
        }

        void awaitBlocked() throws InterruptedException {
            assertTrue(blocked.await(10, TimeUnit.SECONDS), "no commit reached the store");
        }

        int failures() {
            return failed.get();
        }

        void awaitFailures(int n) throws InterruptedException {
            assertTrue(awaitFailuresWithin(n, Duration.ofSeconds(10)), "the store refused fewer than " + n + " writes");
        }

        boolean awaitFailuresWithin(int n, Duration within) throws InterruptedException {
            long deadline = System.nanoTime() + within.toNanos();
            synchronized (lock) {
                while (failed.get() < n) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                }
                return true;
            }
        }

        @Override
        public void commit(List<StoreBatch> batches) {
            CountDownLatch release = gate;
            if (release != null) {
                gate = null;
                blocked.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            synchronized (lock) {
                if (pass > 0) {
                    pass--;
                } else if (toFail > 0) {
                    toFail--;
                    failed.incrementAndGet();
                    lock.notifyAll();
                    throw new StoreUnavailableException("injected: disk full", null);
                }
            }
            delegate.commit(batches);
        }

    }
}
