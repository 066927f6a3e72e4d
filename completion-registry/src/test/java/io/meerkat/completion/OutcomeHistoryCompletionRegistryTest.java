package io.meerkat.completion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.CompletionOutcome.Abandoned;
import io.meerkat.runtime.api.CompletionOutcome.Completed;
import io.meerkat.runtime.api.CompletionOutcome.RuntimeTerminated;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.PendingCompletion;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class OutcomeHistoryCompletionRegistryTest {

    private final SessionId session = SessionId.random();

    @Test
    void aLateCallerReadsTheOutcomeOfAFinishedInput() {
        var registry = new OutcomeHistoryCompletionRegistry(10);
        InputId input = InputId.random();
        CompletableFuture<CompletionOutcome> waiter = new CompletableFuture<>();
        registry.register(session, input, waiter);

        Completed done = new Completed(RunResult.of("hi"));
        assertEquals(1, registry.resolve(session, input, done));

        assertEquals(done, waiter.join());
        assertEquals(Optional.of(done), registry.finishedOutcome(session, input));
        assertEquals(Optional.empty(), registry.finishedOutcome(SessionId.random(), input), "keyed by session too");
    }

    @Test
    void outcomesAreRememberedEvenWithoutAWaiterAndForABatch() {
        var registry = new OutcomeHistoryCompletionRegistry(10);
        InputId alone = InputId.random();
        List<InputId> batch = List.of(InputId.random(), InputId.random());

        assertEquals(0, registry.resolve(session, alone, new Abandoned("cancelled")));
        assertEquals(0, registry.resolveEach(session, batch, new Completed(RunResult.of("both"))));

        assertEquals(Optional.of(new Abandoned("cancelled")), registry.finishedOutcome(session, alone));
        for (InputId input : batch) {
            assertEquals(Optional.of(new Completed(RunResult.of("both"))), registry.finishedOutcome(session, input));
        }
    }

    @Test
    void aWaiterCallbackAlreadySeesTheRememberedOutcome() {
        var registry = new OutcomeHistoryCompletionRegistry(10);
        InputId input = InputId.random();
        CompletableFuture<CompletionOutcome> waiter = new CompletableFuture<>();
        registry.register(session, input, waiter);
        CompletableFuture<Optional<CompletionOutcome>> seenInCallback =
                waiter.thenApply(outcome -> registry.finishedOutcome(session, input));

        registry.resolve(session, input, new Completed(RunResult.of("x")));

        assertTrue(seenInCallback.join().isPresent());
    }

    @Test
    void memoryIsBoundedAndTheOldestOutcomeIsForgottenFirst() {
        var registry = new OutcomeHistoryCompletionRegistry(3);
        List<InputId> inputs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            InputId input = InputId.random();
            inputs.add(input);
            registry.resolve(session, input, new Completed(RunResult.of("n" + i)));
        }

        assertEquals(3, registry.rememberedCount());
        assertFalse(registry.finishedOutcome(session, inputs.get(0)).isPresent());
        assertFalse(registry.finishedOutcome(session, inputs.get(1)).isPresent());
        for (int i = 2; i < 5; i++) {
            assertEquals(Optional.of(new Completed(RunResult.of("n" + i))), registry.finishedOutcome(session, inputs.get(i)));
        }
    }

    @Test
    void waitersBehaveAsInTheInMemoryRegistry() {
        var registry = new OutcomeHistoryCompletionRegistry(10);
        InputId kept = InputId.random();
        InputId handedOver = InputId.random();
        CompletableFuture<CompletionOutcome> first = new CompletableFuture<>();
        CompletableFuture<CompletionOutcome> second = new CompletableFuture<>();
        registry.register(session, kept, first);
        registry.register(session, handedOver, second);
        assertEquals(2, registry.pendingCount());
        assertEquals(2, registry.pendingCount(session));

        List<PendingCompletion> drained = registry.drainPending();
        assertEquals(2, drained.size());
        assertFalse(first.isDone(), "drained waiters are handed over unresolved");

        CompletableFuture<CompletionOutcome> third = new CompletableFuture<>();
        registry.register(session, kept, third);
        assertEquals(1, registry.resolveAllTerminated(session, "stopped"));
        assertEquals(new RuntimeTerminated("stopped"), third.join());

        CompletableFuture<CompletionOutcome> late = new CompletableFuture<>();
        registry.close();
        registry.register(session, kept, late);
        assertInstanceOf(RuntimeTerminated.class, late.join(), "a waiter after close is terminated at once");
        assertEquals(0, registry.rememberedCount(), "close forgets the history");
    }

    @Test
    void capacityMustBePositive() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new OutcomeHistoryCompletionRegistry(0));
        assertTrue(error.getMessage().contains("capacity"), error.getMessage());
    }

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0x0_4157_0A1EL);

    /** Many threads resolve at once: the bound holds and every waiter gets its own outcome. */
    @RepeatedTest(5)
    void concurrentResolvesKeepTheBoundAndEveryOutcome(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        String where = "seed " + seed + " (replay: -Dmeerkat.seed=" + BASE_SEED + ")";
        Random random = new Random(seed);
        int threads = 4;
        int perThread = 2_000;
        int capacity = 1 + random.nextInt(500);
        var registry = new OutcomeHistoryCompletionRegistry(capacity);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<InputId>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                SessionId own = SessionId.random();
                long threadSeed = random.nextLong();
                results.add(pool.submit(() -> {
                    Random local = new Random(threadSeed);
                    List<InputId> mine = new ArrayList<>();
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        InputId input = InputId.random();
                        CompletableFuture<CompletionOutcome> waiter = new CompletableFuture<>();
                        registry.register(own, input, waiter);
                        if (local.nextBoolean()) {
                            registry.resolve(own, input, new Completed(RunResult.of(input.toString())));
                        } else {
                            registry.resolveEach(own, List.of(input), new Completed(RunResult.of(input.toString())));
                        }
                        if (!waiter.join().equals(new Completed(RunResult.of(input.toString())))) {
                            throw new AssertionError(where + ": wrong outcome for " + input);
                        }
                        mine.add(input);
                    }
                    return mine;
                }));
            }
            start.countDown();
            for (Future<List<InputId>> result : results) {
                try {
                    result.get(60, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    throw new AssertionError(where + ": a resolving thread failed", e);
                }
            }
            assertEquals(capacity, registry.rememberedCount(), where);
            assertEquals(0, registry.pendingCount(), where);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aForgottenSessionsOutcomesAreGoneAndTheirBytesWithThem() {
        var registry = new OutcomeHistoryCompletionRegistry(10_000, 1L << 40);
        SessionId other = SessionId.random();
        InputId input = InputId.random();
        InputId otherInput = InputId.random();
        registry.resolve(session, input, new Completed(RunResult.of("x".repeat(1 << 20))));
        registry.resolve(other, otherInput, new Completed(RunResult.of("kept")));
        assertTrue(registry.rememberedOutcomeBytes() > 2L << 20);

        registry.forgetSession(session);

        assertEquals(Optional.empty(), registry.finishedOutcome(session, input));
        assertTrue(registry.finishedOutcome(other, otherInput).isPresent());
        assertEquals(RecentOutcomes.sizeOf(new Completed(RunResult.of("kept"))), registry.rememberedOutcomeBytes());
    }

    @Test
    void rememberedOutcomesAreBoundedByBytes() {
        var registry = new OutcomeHistoryCompletionRegistry(10_000, 4L << 20);
        Completed large = new Completed(RunResult.of("x".repeat(1 << 20)));
        for (int i = 0; i < 500; i++) {
            registry.resolve(session, InputId.random(), large);
        }
        assertTrue(registry.rememberedOutcomeBytes() <= 4L << 20, registry.rememberedOutcomeBytes() + " bytes");
        assertEquals(1, registry.rememberedCount(), "a 1 Mi-character result takes 2 MiB as counted");
    }
}
