package io.meerkat.runtime.store;

import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.loadAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.runtime.api.AcceptOutcome;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Durability;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.SessionStatus;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.Submission;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * Admissions to one session with a store write their inputs without holding the session's lock through the
 * commit (two phases: reserve, then place once committed): many submitters share commits, reads go on
 * meanwhile, and whatever order the commits return in, the lane keeps the order the inputs were numbered in,
 * which is the order a restart rebuilds.
 */
class ConcurrentAdmissionTest {

    private final LedgerExecutorFactory executors = new LedgerExecutorFactory();

    private MeerkatRuntime runtimeOn(io.meerkat.runtime.api.spi.RuntimeStore store) {
        return MeerkatRuntimeBuilder.newBuilder().executorFactory(executors)
                .completionRegistry(new InMemoryCompletionRegistry()).store(store).build();
    }

    @RepeatedTest(5)
    void concurrentSubmittersToOneSessionKeepOneOrderInMemoryAndInTheStore(RepetitionInfo repetition) throws Exception {
        long seed = new Random().nextLong() + repetition.getCurrentRepetition();
        Random random = new Random(seed);
        // Commits return a whole group at once: its submitters wake, and take the session's lock, in any order.
        DurableRuntimeTest.FailingStore store = new DurableRuntimeTest.FailingStore(new MemoryRuntimeStore());
        int threads = 8;
        int each = 25;
        try (MeerkatRuntime runtime = runtimeOn(store)) {
            SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
            executors.hold();
            session.submit(Input.prompt("first, held"));
            LedgerExecutorFactory.Held first = executors.nextHeld();
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<Void>> submitters = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                int pause = random.nextInt(3);
                submitters.add(CompletableFuture.runAsync(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < each; i++) {
                            session.submit(Input.prompt(thread + ":" + i));
                            if (pause > 0 && i % 7 == 0) {
                                Thread.onSpinWait();
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, runnable -> new Thread(runnable).start()));
            }
            start.countDown();
            CompletableFuture.allOf(submitters.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

            // What the store would rebuild the lane from: the session's unfinished inputs in number order.
            SessionId sessionId = session.id();
            List<String> storedOrder = loadAll(store).entrySet().stream()
                    .filter(held -> held.getKey().id().equals(sessionId))
                    .flatMap(held -> held.getValue().stream())
                    .filter(input -> !input.status().state().isTerminal() && input.input() != null)
                    .sorted(Comparator.comparingLong(StoredInput::sequence))
                    .map(input -> ((Input.Prompt) input.input()).text())
                    .filter(text -> !text.startsWith("first"))
                    .toList();
            assertEquals(threads * each, storedOrder.size(), "seed " + seed + ": acknowledged inputs are missing");

            // What memory runs: the lane, in order.
            first.complete();
            List<String> ranOrder = new ArrayList<>();
            for (int i = 0; i < threads * each; i++) {
                LedgerExecutorFactory.Held next = executors.nextHeld();
                ranOrder.add(next.primitive() instanceof io.meerkat.runtime.api.RunPrimitive.StagedInput staged
                        ? staged.appends().get(0).text() : "?");
                next.complete();
            }
            assertEquals(storedOrder, ranOrder, "seed " + seed + ": the lane and the store's numbers disagree");
            for (int t = 0; t < threads; t++) {
                String prefix = t + ":";
                List<String> own = ranOrder.stream().filter(text -> text.startsWith(prefix)).toList();
                for (int i = 0; i < each; i++) {
                    assertEquals(prefix + i, own.get(i), "seed " + seed + ": a submitter's inputs ran out of order");
                }
            }
        }
    }

    /**
     * An input admitted during a run (a busy session wakes nobody when it admits) whose placement comes after
     * that run ended and its loop found the lanes empty: the placement must wake the loop, or the input waits
     * for ever. The input's commit and the run's end are committed one after the other, so which of the two
     * threads takes the session's lock first is a race: many rounds (RecoveryPropertyTest found it first,
     * seed -6914576687253513985).
     */
    @Test
    void anInputPlacedAfterTheRunThatWasActiveAtItsAdmissionEndedStillRuns() throws Exception {
        java.util.concurrent.Semaphore lateWritten = new java.util.concurrent.Semaphore(0);
        DurableRuntimeTest.FailingStore store = new DurableRuntimeTest.FailingStore(new MemoryRuntimeStore()) {
            @Override
            public void commit(List<StoreBatch> batches) {
                super.commit(batches);
                if (writesPrompt(batches, text -> text.startsWith("late"))) {
                    lateWritten.release();
                }
            }
        };
        try (MeerkatRuntime runtime = runtimeOn(store)) {
            SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
            for (int round = 0; round < 300; round++) {
                executors.hold();
                CompletableFuture<io.meerkat.runtime.api.CompletionOutcome> running =
                        session.submit(Input.prompt("running " + round)).completion();
                LedgerExecutorFactory.Held held = executors.nextHeld();
                int n = round;
                CompletableFuture<Submission> late =
                        CompletableFuture.supplyAsync(() -> session.submit(Input.prompt("late " + n)));
                assertTrue(lateWritten.tryAcquire(10, TimeUnit.SECONDS), "the late input was never written");
                // The run ends while the late input is on its way to its lane.
                executors.release();
                held.complete();
                running.get(10, TimeUnit.SECONDS);
                try {
                    late.get(10, TimeUnit.SECONDS).completion().get(5, TimeUnit.SECONDS);
                } catch (TimeoutException stuck) {
                    fail("round " + round + ": the late input never ran: " + session.status());
                }
            }
        }
    }

    /**
     * An ephemeral input admitted while a durable one reserved before it waits for its commit is accepted but
     * not placed (it would pass the other on the lane); when that commit fails, taking the durable input back
     * places the ephemeral one. The failed admission must still wake the idle loop, or the ephemeral input
     * waits for the next submit. Failed before the fix: the wake was decided, then dropped with the exception.
     */
    @Test
    void anInputPlacedByTheTakingBackOfAFailedAdmissionStillRuns() throws Exception {
        DoomedWriteStore store = new DoomedWriteStore();
        try (MeerkatRuntime runtime = runtimeOn(store)) {
            SessionHandle session = runtime.createSession(SessionSpec.of(LedgerExecutorFactory.KIND));
            CompletableFuture<Submission> doomed =
                    CompletableFuture.supplyAsync(() -> session.submit(Input.prompt("doomed")));
            assertTrue(store.writing.await(10, TimeUnit.SECONDS), "the doomed input was never written");
            Input.Prompt prompt = Input.prompt("ephemeral");
            Submission ephemeral = session.submit(prompt.withHeader(
                    prompt.header().withDurability(Durability.EPHEMERAL)));
            assertTrue(ephemeral.outcome() instanceof AcceptOutcome.Accepted);

            store.fail.countDown();
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> doomed.get(10, TimeUnit.SECONDS));
            assertTrue(refused.getCause() instanceof StoreUnavailableException, refused.toString());
            try {
                assertTrue(ephemeral.completion().get(5, TimeUnit.SECONDS)
                        instanceof CompletionOutcome.Completed);
            } catch (TimeoutException stuck) {
                fail("the ephemeral input never ran: " + session.status());
            }
        }
    }

    /**
     * The runtime closes (a stop the store does not keep) while an admission's write is under way; the stop
     * abandons the reserved input in memory only, then the write fails. The store does not hold the input, so
     * the admission fails: it is not taken for one a command wrote finished (as after a reset or stop command).
     */
    @Test
    void anAdmissionWhoseWriteFailsAfterTheRuntimeClosedFails() throws Exception {
        DoomedWriteStore store = new DoomedWriteStore();
        MeerkatRuntime runtime = runtimeOn(store);
        SessionHandle session = runtime.createSession(SessionSpec.withoutExecutor());
        Input.Prompt input = Input.prompt("doomed");
        CompletableFuture<Submission> doomed = CompletableFuture.supplyAsync(() -> session.submit(input));
        assertTrue(store.writing.await(10, TimeUnit.SECONDS), "the doomed input was never written");
        CompletableFuture<Void> closing = CompletableFuture.runAsync(runtime::close);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // The close stops the session first (the reserved input abandoned in memory), then waits for the writer.
        while (session.inputStatus(input.id()).map(status -> !status.state().isTerminal()).orElse(true)) {
            assertTrue(System.nanoTime() < deadline, "the closing runtime never stopped the session");
            Thread.yield();
        }
        store.fail.countDown();
        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> doomed.get(10, TimeUnit.SECONDS));
        assertTrue(refused.getCause() instanceof StoreUnavailableException, refused.toString());
        closing.get(20, TimeUnit.SECONDS);
        assertTrue(loadAll(store).values().stream().flatMap(List::stream).noneMatch(stored -> stored.inputId().equals(input.id())),
                "the input is not in the store");
    }

    @Test
    void aSessionsReadsAreServedWhileOneOfItsAdmissionsWaitsForTheStore() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        DurableRuntimeTest.FailingStore store = new DurableRuntimeTest.FailingStore(new MemoryRuntimeStore()) {
            @Override
            public void commit(List<StoreBatch> batches) {
                boolean admission = batches.stream().flatMap(batch -> batch.changes().stream())
                        .anyMatch(change -> change instanceof StoreChange.PutInput);
                if (admission && writing.getCount() > 0) {
                    writing.countDown();
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
            CompletableFuture<?> submit = CompletableFuture.runAsync(() -> session.submit(Input.prompt("slow")));
            try {
                assertTrue(writing.await(10, TimeUnit.SECONDS), "the admission was never written");
                CompletableFuture<SessionStatus> read = CompletableFuture.supplyAsync(session::status);
                try {
                    assertNotNull(read.get(5, TimeUnit.SECONDS));
                } catch (TimeoutException blocked) {
                    fail("status() waited for another caller's store commit");
                }
                assertTrue(!submit.isDone(), "the submit returned before its input was committed");
            } finally {
                release.countDown();
                submit.get(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Whether a commit writes a prompt whose text passes {@code text}. */
    private static boolean writesPrompt(List<StoreBatch> batches, Predicate<String> text) {
        return batches.stream().flatMap(batch -> batch.changes().stream())
                .anyMatch(change -> change instanceof StoreChange.PutInput put
                        && put.input().input() instanceof Input.Prompt prompt && text.test(prompt.text()));
    }

    /**
     * Holds the commit that writes the prompt {@code "doomed"} ({@link #writing} counts down when it starts)
     * until {@link #fail} is counted down, then refuses it; every other commit goes through.
     */
    private static final class DoomedWriteStore extends DurableRuntimeTest.FailingStore {
        final CountDownLatch writing = new CountDownLatch(1);
        final CountDownLatch fail = new CountDownLatch(1);

        DoomedWriteStore() {
            super(new MemoryRuntimeStore());
        }

        @Override
        public void commit(List<StoreBatch> batches) {
            if (writesPrompt(batches, "doomed"::equals)) {
                writing.countDown();
                try {
                    fail.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new StoreUnavailableException("injected: disk full", null);
            }
            super.commit(batches);
        }
    }
}
