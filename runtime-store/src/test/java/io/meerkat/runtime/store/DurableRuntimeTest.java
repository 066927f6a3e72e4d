package io.meerkat.runtime.store;

import static io.meerkat.runtime.store.StoredRows.storedInput;
import static io.meerkat.runtime.store.StoredRows.storedSession;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AcceptOutcome;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Durability;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunControlCommand;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.core.policy.RetryPolicy;
import io.meerkat.runtime.store.testpg.TestPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A runtime built with a store ({@link MeerkatRuntimeBuilder#store}), on the in-memory store, SQLite and PostgreSQL:
 * persist before ack, the run boundary, lifecycle commands, recovery by a second runtime opening the same
 * store, a store that refuses writes. A "restart" here is a runtime closed (which never writes its sessions
 * as stopped) and another built on the same store; the crash of a whole process is the launcher's kill -9
 * test.
 */
class DurableRuntimeTest {

    @TempDir
    static Path dir;

    private static int databases;

    /** The stores each test runs on: a fresh one per test, named for the report. */
    static Stream<Named> stores() {
        return Stream.of(
                new Named("memory", MemoryRuntimeStore::new),
                new Named("sqlite", () -> new SqliteStoreProvider().open(
                        Map.of("path", dir.resolve("runtime-" + (++databases) + ".db").toString()))),
                new Named("postgres", () -> new PostgresStoreProvider().open(
                        Map.of("url", TestPostgres.shared().newDatabase()))));
    }

    record Named(String name, Supplier<RuntimeStore> open) {
        @Override
        public String toString() {
            return name;
        }
    }

    private final LedgerExecutorFactory executors = new LedgerExecutorFactory();

    private MeerkatRuntime runtimeOn(RuntimeStore store) {
        return MeerkatRuntimeBuilder.newBuilder()
                .executorFactory(executors)
                .completionRegistry(new InMemoryCompletionRegistry())
                .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(20)))
                .store(store)
                .build();
    }

    private static CompletionOutcome await(CompletableFuture<CompletionOutcome> completion) throws Exception {
        return completion.get(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void anAcceptedInputIsStoredBeforeTheSubmitReturns(Named kind) throws Exception {
        try (RuntimeStore store = kind.open().get(); MeerkatRuntime runtime = runtimeOn(store)) {
            executors.hold();
            SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
            assertEquals(RuntimeState.IDLE, storedSession(store, session.id()).state());

            Input first = Input.prompt("first");
            session.submit(first);
            LedgerExecutorFactory.Held held = executors.nextHeld();
            Input second = Input.prompt("second");
            session.submit(second);
            // Nothing has finished: both were written when they were accepted, and the first's start before it ran.
            assertEquals(InputLifecycleState.STAGED, storedInput(store, session.id(), first.id()).status().state());
            assertEquals(InputLifecycleState.QUEUED, storedInput(store, session.id(), second.id()).status().state());
            held.complete();
            executors.nextHeld().complete();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aRunBoundaryWritesTheConsumedInputsTheirOutcomeAndTheReceipt(Named kind) throws Exception {
        try (RuntimeStore store = kind.open().get(); MeerkatRuntime runtime = runtimeOn(store)) {
            SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
            Input input = Input.prompt("hello");
            CompletionOutcome outcome = await(session.submit(input).completion());

            assertInstanceOf(CompletionOutcome.Completed.class, outcome);
            StoredInput stored = storedInput(store, session.id(), input.id());
            assertEquals(InputLifecycleState.CONSUMED, stored.status().state());
            assertEquals(outcome, store.outcome(session.id(), input.id()).orElseThrow());
            assertTrue(store.receipt(session.id(), stored.stagedRun()).isPresent(), "no receipt of the run");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aSecondRuntimeOnTheStoreRunsWhatTheFirstLeftQueuedAndAnswersWhatItFinished(Named kind) throws Exception {
        try (RuntimeStore store = kind.open().get()) {
            SessionId sessionId;
            Input done = Input.prompt("done").withHeader(Input.prompt("x").header().withIdempotencyKey("key-done"));
            Input inFlight = Input.prompt("in flight");
            Input queued = Input.prompt("queued");
            Input ephemeral = Input.prompt("ephemeral").withHeader(
                    Input.prompt("x").header().withDurability(Durability.EPHEMERAL));
            CompletionOutcome doneOutcome;
            try (MeerkatRuntime first = runtimeOn(store)) {
                SessionHandle session = first.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                sessionId = session.id();
                doneOutcome = await(session.submit(done).completion());
                executors.hold();
                session.submit(inFlight);
                executors.nextHeld();
                session.submit(queued);
                session.submit(ephemeral);
                // Closing the runtime ends its loops, not its sessions: nothing of this is written as stopped.
            }
            assertEquals(RuntimeState.IDLE, storedSession(store, sessionId).state());

            LedgerExecutorFactory again = new LedgerExecutorFactory();
            try (MeerkatRuntime second = MeerkatRuntimeBuilder.newBuilder().executorFactory(again)
                    .completionRegistry(new InMemoryCompletionRegistry()).store(store).build()) {
                SessionHandle session = second.session(sessionId).orElseThrow();
                // The input in flight at the restart runs again, first, with the same attempt key; then the queued one.
                CompletionOutcome queuedOutcome = await(session.submit(
                        Input.prompt("after")).completion());
                assertInstanceOf(CompletionOutcome.Completed.class, queuedOutcome);
                List<String> texts = again.ledger.stream().map(LedgerExecutorFactory.Applied::text).toList();
                assertEquals(List.of("in flight", "queued", "after"), texts, "the ephemeral input is dropped");
                String crashedKey = executors.ledger.stream().filter(a -> a.text().equals("in flight"))
                        .findFirst().orElseThrow().attemptKeys().get(0);
                assertEquals(crashedKey, again.ledger.get(0).attemptKeys().get(0),
                        "the attempt a restart interrupted is done again under the same key");
                assertEquals(inFlight.id() + ":1", crashedKey);
                assertTrue(session.inputStatus(ephemeral.id()).isEmpty(), "an ephemeral input survived");

                // A resubmit of the finished input deduplicates, and its waiter gets the outcome it had.
                Input resubmit = Input.prompt("done").withHeader(Input.prompt("x").header().withIdempotencyKey("key-done"));
                var submission = session.submit(resubmit);
                assertInstanceOf(AcceptOutcome.Deduplicated.class, submission.outcome());
                assertEquals(doneOutcome, await(submission.completion()));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void afterARestartACallerAwaitsAnInputItSubmittedBefore(Named kind) throws Exception {
        try (RuntimeStore store = kind.open().get()) {
            SessionId sessionId;
            Input finished = Input.prompt("finished before");
            Input queued = Input.prompt("queued before");
            try (MeerkatRuntime first = runtimeOn(store)) {
                SessionHandle session = first.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                sessionId = session.id();
                await(session.submit(finished).completion());
                executors.hold();
                session.submit(Input.prompt("running"));
                executors.nextHeld();
                session.submit(queued);
            }
            LedgerExecutorFactory again = new LedgerExecutorFactory();
            again.hold();
            try (MeerkatRuntime second = MeerkatRuntimeBuilder.newBuilder().executorFactory(again)
                    .completionRegistry(new InMemoryCompletionRegistry()).store(store).build()) {
                SessionHandle session = second.session(sessionId).orElseThrow();
                CompletableFuture<CompletionOutcome> later = session.completion(queued.id()).orElseThrow();
                assertFalse(later.isDone(), "an unfinished input's completion is already done");
                CompletionOutcome before = await(session.completion(finished.id()).orElseThrow());
                assertEquals("finished before", ((CompletionOutcome.Completed) before).result().text(),
                        "the outcome of an input finished before the restart is not the stored one");
                assertTrue(session.completion(io.meerkat.runtime.api.InputId.random()).isEmpty());

                again.nextHeld().complete();
                again.nextHeld().complete();
                assertEquals("queued before", ((CompletionOutcome.Completed) await(later)).result().text());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aStopCommandIsKeptAndARemovedSessionIsGone(Named kind) throws Exception {
        try (RuntimeStore store = kind.open().get()) {
            SessionId stopped;
            SessionId removed;
            SessionId destroyed;
            try (MeerkatRuntime first = runtimeOn(store)) {
                SessionHandle a = first.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                stopped = a.id();
                executors.hold();
                a.submit(Input.prompt("one"));
                executors.nextHeld();
                Input waiting = Input.prompt("two");
                CompletableFuture<CompletionOutcome> abandoned = a.submit(waiting).completion();
                a.control(new RunControlCommand.StopRuntimeExecutor("enough"));
                // Resolved once the stop was written and made.
                assertInstanceOf(CompletionOutcome.RuntimeTerminated.class, await(abandoned));
                removed = first.createSession(SessionSpec.of(LedgerExecutorFactory.KIND)).id();
                first.removeSession(removed);
                SessionHandle c = first.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                destroyed = c.id();
                c.destroy();
                assertEquals(InputLifecycleState.ABANDONED, storedInput(store, stopped, waiting.id()).status().state());
            }
            try (MeerkatRuntime second = runtimeOn(store)) {
                assertEquals(RuntimeState.STOPPED, second.session(stopped).orElseThrow().state());
                assertTrue(second.session(removed).isEmpty(), "a removed session came back");
                assertEquals(RuntimeState.DESTROYED, second.session(destroyed).orElseThrow().state());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aSecretConfigValueIsNeverStoredAndAMissingKindKeepsTheSessionAndItsInputs(Named kind) throws Exception {
        try (RuntimeStore store = kind.open().get()) {
            SessionId sessionId;
            Input queued = Input.prompt("kept");
            try (MeerkatRuntime first = runtimeOn(store)) {
                executors.hold();
                SessionHandle session = first.createSession(new SessionSpec(null, LedgerExecutorFactory.KIND,
                        Map.of("note", "visible", "apiKey", "sk-secret")));
                sessionId = session.id();
                session.submit(Input.prompt("running"));
                executors.nextHeld();
                session.submit(queued);
            }
            assertEquals(Map.of("note", "visible"), storedSession(store, sessionId).config());

            try (MeerkatRuntime withoutTheKind = MeerkatRuntimeBuilder.newBuilder()
                    .completionRegistry(new InMemoryCompletionRegistry()).store(store).build()) {
                SessionHandle session = withoutTheKind.session(sessionId).orElseThrow();
                String why = session.status().executorUnavailable();
                assertNotNull(why, "the session does not say why it runs nothing");
                assertTrue(why.startsWith("executor_unavailable"), why);
                assertEquals(2, session.activeInputIds().size(), "its inputs were not kept");
            }
            try (MeerkatRuntime withTheKind = runtimeOn(store)) {
                assertFalse(withTheKind.session(sessionId).orElseThrow().activeInputIds().isEmpty());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aRefusedWriteFailsTheSubmitChangesNothingAndTheNextOneSucceeds(Named kind) throws Exception {
        try (RuntimeStore real = kind.open().get()) {
            FailingStore store = new FailingStore(real);
            try (MeerkatRuntime runtime = runtimeOn(store)) {
                SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                store.failNext(1);
                Input refused = Input.prompt("refused");
                StoreUnavailableException failure = assertThrows(StoreUnavailableException.class,
                        () -> session.submit(refused));
                assertEquals("store_unavailable", failure.code());
                assertTrue(session.inputStatus(refused.id()).isEmpty(), "a refused input is in the session");
                assertTrue(session.activeInputIds().isEmpty());
                assertEquals(null, storedInput(real, session.id(), refused.id()));

                // The same input again, once the store takes writes: accepted and run.
                assertInstanceOf(CompletionOutcome.Completed.class, await(session.submit(refused).completion()));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aRefusedRunBoundaryIsWrittenOnceTheStoreTakesWritesAgain(Named kind) throws Exception {
        try (RuntimeStore real = kind.open().get()) {
            FailingStore store = new FailingStore(real);
            try (MeerkatRuntime runtime = runtimeOn(store)) {
                SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                executors.hold();
                Input input = Input.prompt("boundary");
                CompletableFuture<CompletionOutcome> completion = session.submit(input).completion();
                LedgerExecutorFactory.Held held = executors.nextHeld();
                store.failNext(3);
                held.complete();

                CompletionOutcome outcome = await(completion);
                assertInstanceOf(CompletionOutcome.Completed.class, outcome);
                assertTrue(store.failures() >= 3, "the boundary was not refused");
                assertEquals(1, executors.ledger.size(), "the run was done again instead of written again");
                assertEquals(InputLifecycleState.CONSUMED, storedInput(real, session.id(), input.id()).status().state());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void finishedInputsArePrunedOnceTheyAreOlderThanTheRetention(Named kind) throws Exception {
        java.util.concurrent.Semaphore pruned = new java.util.concurrent.Semaphore(0);
        // No prune runs before the test has seen the finished input stored: with a retention of zero, one
        // that ran between the completion and that check would already have removed it.
        java.util.concurrent.CountDownLatch seenStored = new java.util.concurrent.CountDownLatch(1);
        try (RuntimeStore real = kind.open().get()) {
            FailingStore store = new FailingStore(real) {
                @Override
                public long prune(io.meerkat.runtime.api.spi.RetentionPolicy policy) {
                    try {
                        if (!seenStored.await(30, TimeUnit.SECONDS)) {
                            throw new IllegalStateException("the test never saw the input stored");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                    long forgotten = super.prune(policy);
                    pruned.release();
                    return forgotten;
                }
            };
            try (MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder().executorFactory(executors)
                    .completionRegistry(new InMemoryCompletionRegistry()).store(store)
                    .storeRetention(Duration.ZERO, Duration.ofMillis(20)).build()) {
                SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                Input input = Input.prompt("short-lived");
                await(session.submit(input).completion());
                assertEquals(InputLifecycleState.CONSUMED, storedInput(real, session.id(), input.id()).status().state());
                seenStored.countDown();
                pruned.drainPermits();
                seenStored.countDown();
                // The second prune from now began after the input finished.
                assertTrue(pruned.tryAcquire(2, 10, TimeUnit.SECONDS), "the store was not pruned");
                assertEquals(null, storedInput(real, session.id(), input.id()), "a finished input outlived its retention");
                assertTrue(real.outcome(session.id(), input.id()).isEmpty());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aStopWhileTheRunBoundaryIsBeingWrittenCommitsTheRunOnceAndKeepsTheStop(Named kind) throws Exception {
        java.util.concurrent.CountDownLatch boundaryWriting = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (RuntimeStore real = kind.open().get()) {
            FailingStore store = new FailingStore(real) {
                @Override
                public void commit(List<StoreBatch> batches) {
                    boolean boundary = batches.stream().flatMap(batch -> batch.changes().stream())
                            .anyMatch(change -> change instanceof io.meerkat.runtime.api.spi.StoreChange.PutReceipt);
                    if (boundary && boundaryWriting.getCount() > 0) {
                        boundaryWriting.countDown();
                        try {
                            release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    super.commit(batches);
                }
            };
            try (MeerkatRuntime runtime = runtimeOn(store)) {
                SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                Input input = Input.prompt("ends as the session stops");
                CompletableFuture<CompletionOutcome> completion = session.submit(input).completion();
                assertTrue(boundaryWriting.await(10, TimeUnit.SECONDS), "the boundary was never written");
                // The loop waits for the store without the driver lock: a stop from another thread goes ahead,
                // commits the applied run itself, and writes the stop (after the boundary, in order).
                CompletableFuture<Void> stop = CompletableFuture.runAsync(() -> session.runtimeControl(
                        new io.meerkat.runtime.api.RuntimeControlCommand.Stop()));
                release.countDown();
                stop.get(10, TimeUnit.SECONDS);

                assertInstanceOf(CompletionOutcome.Completed.class, await(completion));
                assertEquals(RuntimeState.STOPPED, session.state());
                assertEquals(RuntimeState.STOPPED, storedSession(real, session.id()).state(),
                        "the run's boundary overwrote the stop");
                assertEquals(InputLifecycleState.CONSUMED, storedInput(real, session.id(), input.id()).status().state());
                assertEquals(1, executors.ledger.size());
            }
        }
    }

    /** A store that refuses the next {@code n} commits, as a full disk would. */
    static class FailingStore extends io.meerkat.runtime.testkit.ForwardingRuntimeStore {
        private final java.util.concurrent.atomic.AtomicInteger toFail = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();

        FailingStore(RuntimeStore delegate) {
            super(delegate);
        }

        void failNext(int n) {
            toFail.set(n);
        }

        int failures() {
            return failed.get();
        }

        @Override
        public void commit(List<StoreBatch> batches) {
            if (toFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                failed.incrementAndGet();
                throw new StoreUnavailableException("injected: disk full", null);
            }
            delegate.commit(batches);
        }

        /** Leaves the wrapped store open: the test that opened it closes it. */
        @Override
        public void close() {
        }
    }
}
