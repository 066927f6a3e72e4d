package io.meerkat.runtime.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunBoundaryReceipt;
import io.meerkat.runtime.api.RunId;
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
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.core.policy.RetryPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * A store that refuses or stalls, found by the durability review (each failed before its fix): a session's
 * reads wait for none of its admissions' commits; a stop command the store refused is not made (and its
 * waiters not told) until it is written; a run cancelled before its apply whose end was refused is written
 * again. See also {@link DurabilityRegressionTest}; that a store which is down fails the rest of a group after
 * two of its batches fail alone, not one store call per batch, is checked by runtime-core's GroupCommitterTest.
 */
class StoreFailureRegressionTest {

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
     * Defect 4. Issue 12: "the runtime keeps serving reads". The driver lock is held while a write waits for
     * its group commit, and every read of the session ({@code status()}, {@code inputStatus()},
     * {@code activeInputIds()}, {@code state()}) takes that lock: while a commit is slow (SQLite waiting its
     * busyTimeoutMs, 5 s by default, on a lock; a prune of a large backlog, which holds the store's write
     * lock; an fsync on a stalled disk), the session's reads wait with it.
     */
    @Test
    void aSessionsReadsAreServedWhileOneOfItsWritesWaitsForTheStore() throws Exception {
        try (DurabilityRegressionTest.ScriptedStore store = new DurabilityRegressionTest.ScriptedStore(new MemoryRuntimeStore());
             MeerkatRuntime runtime = runtimeOn(store, RetryPolicy.defaults())) {
            SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
            executors.hold();
            CountDownLatch release = store.blockNext();
            CompletableFuture<?> submit = CompletableFuture.runAsync(() -> session.submit(Input.prompt("slow")));
            try {
                store.awaitBlocked();
                CompletableFuture<SessionStatus> read = CompletableFuture.supplyAsync(session::status);
                try {
                    assertNotNull(read.get(2, TimeUnit.SECONDS));
                } catch (TimeoutException blocked) {
                    fail("status() waited for another caller's store commit");
                }
            } finally {
                release.countDown();
                submit.get(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Defect 8. A stop sent on the control channel ({@code control(StopRuntimeExecutor)}, HTTP
     * {@code stop_runtime_executor}, answered before the loop applies it) whose write the store refuses is
     * made anyway: {@code RuntimeLoop.markRuntimeStopped(reason, true)} logs the refusal, then
     * {@code leaveLoop} stops the session in memory only ({@code durable=false}). The queued input's waiter
     * is told {@code RuntimeTerminated}, the session reads STOPPED, yet the store keeps it IDLE with the input
     * QUEUED: after a restart the session is live and the input runs, contradicting both.
     */
    @Test
    void aStopCommandTheStoreRefusedIsNotReportedAsMade() throws Exception {
        try (DurabilityRegressionTest.ScriptedStore store = new DurabilityRegressionTest.ScriptedStore(new MemoryRuntimeStore())) {
            SessionId sessionId;
            Input queued = Input.prompt("queued");
            CompletionOutcome told;
            try (MeerkatRuntime first = runtimeOn(store, RetryPolicy.defaults())) {
                executors.hold();
                SessionHandle session = first.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                sessionId = session.id();
                session.submit(Input.prompt("running"));
                executors.nextHeld();
                CompletableFuture<CompletionOutcome> completion = session.submit(queued).completion();
                store.script(0, 1);
                session.control(new io.meerkat.runtime.api.RunControlCommand.StopRuntimeExecutor("enough"));
                told = completion.get(10, TimeUnit.SECONDS);
                assertEquals(1, store.failures(), "the stop's write was not refused");
            }
            try (MeerkatRuntime second = MeerkatRuntimeBuilder.newBuilder()
                    .completionRegistry(new InMemoryCompletionRegistry()).store(store).build()) {
                SessionHandle session = second.session(sessionId).orElseThrow();
                io.meerkat.runtime.api.InputStatus status = session.inputStatus(queued.id()).orElseThrow();
                assertTrue(status.state().isTerminal(), "its waiter was told " + told + ", yet after a restart it is "
                        + status.state() + " in a " + session.state() + " session, and runs");
            }
        }
    }

    /**
     * Defect 9 (stuck run). A cancel that reaches a run before its apply ({@code RuntimeLoop.processQueue}: "a
     * cancel then ends it without an apply") settles the run with {@code settle(flight)} although
     * {@code flight.settled} is false (no apply, so no {@code onApplyDone}). If the store refuses that
     * cancel's write, {@code settle} puts the flight back in {@code inFlight} and starts a backoff; when the
     * backoff ends, {@code processMailbox} sees {@code !current.settled} and returns, for ever: the session
     * stays RUNNING with that run, the waiter is never answered and nothing else ever runs.
     * The window is made deterministic with events delivered inline: the cancel is sent from the
     * {@code RunStarted} event, which is published between the run's start and the loop's pre-apply drain.
     */
    @Test
    void aRunCancelledBeforeItsApplyWhoseEndTheStoreRefusedIsWrittenAgain() throws Exception {
        try (DurabilityRegressionTest.ScriptedStore store = new DurabilityRegressionTest.ScriptedStore(new MemoryRuntimeStore());
             MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder()
                     .executorFactory(executors)
                     .completionRegistry(new InMemoryCompletionRegistry())
                     .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(50), Duration.ofMillis(50)))
                     .blockingExecutor(Runnable::run)
                     .store(store)
                     .build()) {
            SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
            java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
            session.events().subscribe(new java.util.concurrent.Flow.Subscriber<>() {
                @Override
                public void onSubscribe(java.util.concurrent.Flow.Subscription subscription) {
                    subscription.request(Long.MAX_VALUE);
                }

                @Override
                public void onNext(io.meerkat.runtime.api.RuntimeEventEnvelope envelope) {
                    if (envelope.event() instanceof io.meerkat.runtime.api.RuntimeEvent.RunLifecycle lifecycle
                            && lifecycle.event() instanceof io.meerkat.runtime.api.RunEvent.RunStarted
                            && once.compareAndSet(false, true)) {
                        // The run's start (its staged input) is written next, and passes; the cancel's end is refused.
                        store.script(1, 1);
                        session.control(new io.meerkat.runtime.api.RunControlCommand.CancelCurrentRun("changed my mind"));
                    }
                }

                @Override
                public void onError(Throwable throwable) {
                }

                @Override
                public void onComplete() {
                }
            });
            CompletableFuture<CompletionOutcome> cancelled = session.submit(Input.prompt("cancelled")).completion();
            try {
                assertInstanceOf(CompletionOutcome.Abandoned.class, cancelled.get(10, TimeUnit.SECONDS));
            } catch (TimeoutException stuck) {
                fail("the run is stuck: " + session.status() + "; store refusals: " + store.failures()
                        + "; applies: " + executors.ledger.size());
            }
            assertEquals(0, executors.ledger.size(), "the cancel did not reach the run before its apply");
            assertInstanceOf(CompletionOutcome.Completed.class,
                    session.submit(Input.prompt("next")).completion().get(10, TimeUnit.SECONDS));
        }
    }

    /**
     * Recovery takes each session up as soon as its inputs are read (so that what a load decodes dies
     * young); it must still resume none before the whole store is read. Otherwise a load that fails
     * half-way has already run the first sessions' inputs, in a runtime that build() then closes.
     */
    @Test
    void aLoadThatFailsHalfWayRunsNothing() throws Exception {
        MemoryRuntimeStore memory = new MemoryRuntimeStore();
        try (MeerkatRuntime first = runtimeOn(memory, RetryPolicy.defaults())) {
            executors.hold();
            for (int i = 0; i < 2; i++) {
                first.createSession(SessionSpec.of(LedgerExecutorFactory.KIND)).submit(Input.prompt("queued " + i));
                executors.nextHeld();
            }
        }
        int appliedBefore = executors.ledger.size();
        RuntimeStore failingHalfWay = new io.meerkat.runtime.testkit.ForwardingRuntimeStore(memory) {
            @Override
            public void load(StoreVisitor visitor) {
                delegate.load(new StoreVisitor() {
                    private int sessions;

                    @Override
                    public void session(io.meerkat.runtime.api.spi.StoredSession session) {
                        visitor.session(session);
                        if (++sessions == 2) {
                            // The first session is taken up by now: a run of it, if one starts, reaches the executor.
                            try {
                                assertEquals(null, executors.heldWithin(1_000), "a session ran while the store was still being read");
                            } catch (InterruptedException e) {
                                throw new AssertionError(e);
                            }
                            throw new StoreUnavailableException("the disk went away half-way through the load", null);
                        }
                    }

                    @Override
                    public void input(io.meerkat.runtime.api.spi.StoredInput input) {
                        visitor.input(input);
                    }
                });
            }
        };

        StoreUnavailableException failed = assertThrows(StoreUnavailableException.class,
                () -> runtimeOn(failingHalfWay, RetryPolicy.defaults()));
        assertTrue(failed.getMessage().contains("half-way"), failed.getMessage());
        assertEquals(appliedBefore, executors.ledger.size(), "a session ran while the store was still being read");
    }
}
