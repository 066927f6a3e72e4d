package io.meerkat.runtime.store;

import static io.meerkat.runtime.store.StoredRows.storedInput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AbandonReason;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.InputLifecycleState;
import io.meerkat.runtime.api.InputStatus;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import io.meerkat.runtime.core.policy.RetryPolicy;
import io.meerkat.runtime.testkit.ForwardingRuntimeStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Review defect (issue 12, poison pill): a run's start was not written, so an input whose run kills the
 * process ran again after every restart, forever (attempts advanced only when a run failed). Now the staged
 * inputs are committed before the executor runs them, and a recovery that finds an input in a run a crash cut
 * short counts that attempt; the redone run carries the same attempt key.
 */
class PoisonPillTest {

    private final LedgerExecutorFactory executors = new LedgerExecutorFactory();

    /**
     * A store that records the inputs of every batch committed, refuses the next {@code refuseStagings}
     * batches that stage an input, and refuses every commit once {@code crashed} (the process is gone: nothing
     * more reaches the disk). Leaves the wrapped store open.
     */
    private static final class WatchedStore extends ForwardingRuntimeStore {
        final AtomicBoolean crashed = new AtomicBoolean();
        final AtomicInteger refuseStagings = new AtomicInteger();
        final List<StoredInput> written = new CopyOnWriteArrayList<>();

        WatchedStore(RuntimeStore disk) {
            super(disk);
        }

        @Override
        public void commit(List<StoreBatch> batches) {
            if (crashed.get()) {
                throw new StoreUnavailableException("the process was killed", null);
            }
            boolean stages = batches.stream().flatMap(batch -> batch.changes().stream())
                    .anyMatch(change -> change instanceof StoreChange.PutInput put
                            && put.input().status().state() == InputLifecycleState.STAGED);
            if (stages && refuseStagings.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new StoreUnavailableException("injected: disk full", null);
            }
            delegate.commit(batches);
            for (StoreBatch batch : batches) {
                for (StoreChange change : batch.changes()) {
                    if (change instanceof StoreChange.PutInput put) {
                        written.add(put.input());
                    }
                }
            }
        }

        @Override
        public void close() {
        }
    }

    private MeerkatRuntime runtimeOn(RuntimeStore store) {
        return MeerkatRuntimeBuilder.newBuilder()
                .executorFactory(executors)
                .completionRegistry(new InMemoryCompletionRegistry())
                .retryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofMillis(1), Duration.ofMillis(2)))
                .store(store)
                .build();
    }

    @Test
    void anInputWhoseRunKillsTheProcessIsAbandonedOnceItsAttemptsAreUsedUp() throws Exception {
        try (RuntimeStore disk = new MemoryRuntimeStore()) {
            Input poison = Input.prompt("poison");
            SessionId sessionId = null;
            int maxAttempts = RetryPolicy.DEFAULT_MAX_ATTEMPTS;
            for (int crash = 1; crash <= maxAttempts; crash++) {
                WatchedStore store = new WatchedStore(disk);
                executors.hold();
                MeerkatRuntime runtime = runtimeOn(store);
                if (sessionId == null) {
                    SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                    sessionId = session.id();
                    session.submit(poison);
                }
                executors.nextHeld();
                // The executor runs it: its start, this attempt counted, is on the disk already.
                StoredInput stored = storedInput(disk, sessionId, poison.id());
                assertEquals(InputLifecycleState.STAGED, stored.status().state(), "run " + crash + " was not written");
                assertEquals(crash, stored.status().attempts());
                // kill -9 during the run: nothing more reaches the disk.
                store.crashed.set(true);
                runtime.close();
            }
            assertEquals(maxAttempts, executors.ledger.size());
            for (LedgerExecutorFactory.Applied applied : executors.ledger) {
                // Each run redone after a crash repeats the attempt the crash cut short: the same key.
                assertEquals(List.of(poison.id() + ":1"), applied.attemptKeys());
            }

            executors.release();
            WatchedStore store = new WatchedStore(disk);
            try (MeerkatRuntime last = runtimeOn(store)) {
                SessionHandle session = last.session(sessionId).orElseThrow();
                InputStatus status = session.inputStatus(poison.id()).orElseThrow();
                assertEquals(InputLifecycleState.ABANDONED, status.state());
                assertEquals(AbandonReason.MAX_ATTEMPTS_EXHAUSTED, status.abandonReason());
                assertEquals(maxAttempts, status.attempts());
                // Its waiters are told, now and after a restart (the outcome is stored).
                CompletionOutcome outcome = session.completion(poison.id()).orElseThrow().get(10, TimeUnit.SECONDS);
                assertInstanceOf(CompletionOutcome.Abandoned.class, outcome);
                assertTrue(disk.outcome(sessionId, poison.id()).orElseThrow() instanceof CompletionOutcome.Abandoned);
                // The session goes on with the rest.
                assertInstanceOf(CompletionOutcome.Completed.class,
                        session.submit(Input.prompt("next")).completion().get(10, TimeUnit.SECONDS));
            }
            assertEquals(maxAttempts + 1, executors.ledger.size(), "the poison pill ran again: " + executors.ledger);
        }
    }

    @Test
    void aRunCutShortOnceIsRedoneWithItsKeyAndAFailureAfterItGetsANewKey() throws Exception {
        try (RuntimeStore disk = new MemoryRuntimeStore()) {
            Input input = Input.prompt("charge");
            WatchedStore store = new WatchedStore(disk);
            executors.hold();
            SessionId sessionId;
            MeerkatRuntime first = runtimeOn(store);
            SessionHandle session = first.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
            sessionId = session.id();
            session.submit(input);
            executors.nextHeld();
            store.crashed.set(true);
            first.close();

            // Redone after the restart: same key; it fails, and the retry after the failure has a new key.
            try (MeerkatRuntime second = runtimeOn(new WatchedStore(disk))) {
                executors.nextHeld().result().completeExceptionally(new IllegalStateException("failed"));
                executors.nextHeld().complete();
                SessionHandle recovered = second.session(sessionId).orElseThrow();
                assertInstanceOf(CompletionOutcome.Completed.class,
                        recovered.completion(input.id()).orElseThrow().get(10, TimeUnit.SECONDS));
                assertEquals(3, recovered.inputStatus(input.id()).orElseThrow().attempts());
            }
            assertEquals(List.of(input.id() + ":1", input.id() + ":1", input.id() + ":2"),
                    executors.ledger.stream().map(applied -> applied.attemptKeys().get(0)).toList());
        }
    }

    @Test
    void aStartTheStoreRefusesIsUndoneAndTriedAgainWithoutCountingAnAttempt() throws Exception {
        try (RuntimeStore disk = new MemoryRuntimeStore()) {
            WatchedStore store = new WatchedStore(disk);
            try (MeerkatRuntime runtime = runtimeOn(store)) {
                SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
                store.refuseStagings.set(1);
                Input input = Input.prompt("hello");
                CompletionOutcome outcome = session.submit(input).completion().get(10, TimeUnit.SECONDS);

                assertInstanceOf(CompletionOutcome.Completed.class, outcome);
                assertEquals(0, store.refuseStagings.get(), "the staging was never written");
                InputStatus status = session.inputStatus(input.id()).orElseThrow();
                assertEquals(1, status.attempts(), "the refused start counted an attempt: " + status);
                assertEquals(1, executors.ledger.size(), "the executor ran a start the store refused");
                assertEquals(List.of(input.id() + ":1"), executors.ledger.get(0).attemptKeys());
                // The executor ran it only once its staging was on the disk.
                assertTrue(store.written.stream().anyMatch(written -> written.inputId().equals(input.id())
                        && written.status().state() == InputLifecycleState.STAGED));
            }
        }
    }
}
