package io.meerkat.distribution.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.completion.OutcomeHistoryCompletionRegistry;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class SwappableCompletionRegistryTest {

    private static ActiveRegistry named(String name) {
        return new ActiveRegistry(name, name, 0, null, -1);
    }

    @Test
    void aSwapHandsPendingWaitersOverUnresolved() {
        var first = new InMemoryCompletionRegistry();
        var second = new OutcomeHistoryCompletionRegistry();
        var front = new SwappableCompletionRegistry(first, named("first"));
        SessionId session = SessionId.random();
        InputId input = InputId.random();
        CompletableFuture<CompletionOutcome> waiter = new CompletableFuture<>();
        front.register(session, input, waiter);

        assertEquals(1, front.swapTo(second, named("second")));

        assertFalse(waiter.isDone());
        assertEquals(0, first.pendingCount());
        assertEquals(1, second.pendingCount());
        first.close();
        assertFalse(waiter.isDone(), "closing the old registry no longer touches the moved waiter");
        assertEquals(1, front.resolve(session, input, new CompletionOutcome.Completed(RunResult.of("done"))));
        assertEquals(new CompletionOutcome.Completed(RunResult.of("done")), waiter.join());
        assertEquals("second", front.active().name());
        assertTrue(front.finishedOutcome(session, input).isPresent(), "served by the active (history) registry");
    }

    @Test
    void aRegistryThatRefusesAWaiterIsNotSwappedToAndLosesNothing() {
        var old = new InMemoryCompletionRegistry();
        var front = new SwappableCompletionRegistry(old, named("old"));
        SessionId session = SessionId.random();
        List<InputId> inputs = new ArrayList<>();
        List<CompletableFuture<CompletionOutcome>> waiters = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            InputId input = InputId.random();
            CompletableFuture<CompletionOutcome> waiter = new CompletableFuture<>();
            front.register(session, input, waiter);
            inputs.add(input);
            waiters.add(waiter);
        }
        var refusing = new RefusingRegistry(2);

        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> front.swapTo(refusing, named("refusing")));

        assertTrue(error.getMessage().contains("staying on old"), error.getMessage());
        assertEquals("old", front.active().name());
        assertSame(old, front.current());
        assertEquals(5, old.pendingCount(), "every waiter is back in the old registry");
        assertEquals(0, refusing.pendingCount(), "none is left in the refusing one");
        for (int i = 0; i < inputs.size(); i++) {
            front.resolve(session, inputs.get(i), new CompletionOutcome.Completed(RunResult.of("r" + i)));
            assertEquals(new CompletionOutcome.Completed(RunResult.of("r" + i)), waiters.get(i).join());
        }
    }

    @Test
    void swappingToTheActiveRegistryOnlyUpdatesItsDescription() {
        var registry = new InMemoryCompletionRegistry();
        var front = new SwappableCompletionRegistry(registry, named("old"));
        front.register(SessionId.random(), InputId.random(), new CompletableFuture<>());

        assertEquals(0, front.swapTo(registry, named("renamed")));

        assertEquals(1, registry.pendingCount());
        assertEquals("renamed", front.active().name());
    }

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0x5A4B_F407L);

    /**
     * Producers register and resolve waiters while another thread swaps back and forth between
     * registries, closing each one it leaves (as a stopping bundle does). Every waiter must end with
     * the outcome its producer gave: none is lost to a closed registry, none is resolved twice.
     */
    @RepeatedTest(6)
    void noWaiterIsLostOrResolvedTwiceWhileSwapsHappenUnderLoad(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        String where = "seed " + seed + " (replay: -Dmeerkat.seed=" + BASE_SEED + ")";
        Random random = new Random(seed);
        int producers = 3;
        int perProducer = 3_000;
        CompletionRegistry initial = new InMemoryCompletionRegistry();
        var front = new SwappableCompletionRegistry(initial, named("r0"));
        ExecutorService pool = Executors.newFixedThreadPool(producers + 1);
        ConcurrentLinkedQueue<CompletionRegistry> retired = new ConcurrentLinkedQueue<>();
        AtomicInteger completions = new AtomicInteger();
        AtomicInteger wrong = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        // Each producer holds one waiter pending until the swapper has swapped a few times, so that
        // swaps certainly find waiters to move however the threads are scheduled.
        CountDownLatch swapsWhileHeld = new CountDownLatch(3);
        CountDownLatch held = new CountDownLatch(producers);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                long producerSeed = random.nextLong();
                work.add(pool.submit(() -> {
                    Random local = new Random(producerSeed);
                    SessionId session = SessionId.random();
                    List<InputId> open = new ArrayList<>();
                    List<CompletableFuture<CompletionOutcome>> waiters = new ArrayList<>();
                    start.await();
                    InputId heldInput = InputId.random();
                    CompletableFuture<CompletionOutcome> heldWaiter = new CompletableFuture<>();
                    front.register(session, heldInput, heldWaiter);
                    held.countDown();
                    for (int i = 0; i < perProducer; i++) {
                        InputId input = InputId.random();
                        CompletableFuture<CompletionOutcome> waiter = new CompletableFuture<>();
                        waiter.whenComplete((outcome, failure) -> {
                            completions.incrementAndGet();
                            if (!(outcome instanceof CompletionOutcome.Completed completed)
                                    || !completed.result().text().equals(input.toString())) {
                                wrong.incrementAndGet();
                            }
                        });
                        front.register(session, input, waiter);
                        open.add(input);
                        waiters.add(waiter);
                        // Keep a random number of waiters pending so that swaps find some to move.
                        while (open.size() > local.nextInt(50)) {
                            InputId done = open.remove(local.nextInt(open.size()));
                            front.resolve(session, done, new CompletionOutcome.Completed(RunResult.of(done.toString())));
                        }
                    }
                    for (InputId done : open) {
                        front.resolve(session, done, new CompletionOutcome.Completed(RunResult.of(done.toString())));
                    }
                    swapsWhileHeld.await();
                    front.resolve(session, heldInput, new CompletionOutcome.Completed(RunResult.of("held")));
                    if (!(heldWaiter.get(10, TimeUnit.SECONDS) instanceof CompletionOutcome.Completed)) {
                        throw new AssertionError(where + ": the held waiter lost its outcome");
                    }
                    for (CompletableFuture<CompletionOutcome> waiter : waiters) {
                        waiter.get(10, TimeUnit.SECONDS);
                    }
                    return null;
                }));
            }
            Future<Integer> swapper = pool.submit(() -> {
                start.await();
                int swaps = 0;
                while (work.stream().anyMatch(f -> !f.isDone())) {
                    CompletionRegistry next = random.nextBoolean()
                            ? new InMemoryCompletionRegistry() : new OutcomeHistoryCompletionRegistry(100);
                    CompletionRegistry old = currentOf(front);
                    boolean allHeld = held.getCount() == 0;
                    front.swapTo(next, named("r" + ++swaps));
                    old.close();
                    retired.add(old);
                    if (allHeld) {
                        swapsWhileHeld.countDown();
                    }
                    Thread.onSpinWait();
                }
                return swaps;
            });
            start.countDown();
            int swaps;
            try {
                for (Future<?> future : work) {
                    future.get(60, TimeUnit.SECONDS);
                }
                swaps = swapper.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new AssertionError(where + ": a producer or the swapper failed", e);
            }

            assertEquals(producers * perProducer, completions.get(), where + ": every waiter resolved once");
            assertEquals(0, wrong.get(), where + ": no waiter got a foreign outcome (" + swaps + " swaps)");
            assertEquals(0, front.pendingCount(), where);
            assertTrue(swaps > 0 && front.handedOver() > 0, where + ": the swaps must have moved waiters");
        } finally {
            pool.shutdownNow();
        }
    }

    /** The registry a front uses now. */
    private static CompletionRegistry currentOf(SwappableCompletionRegistry front) {
        return front.current();
    }

    @Test
    void currentIsTheActiveRegistry() {
        var registry = new InMemoryCompletionRegistry();
        assertSame(registry, new SwappableCompletionRegistry(registry, named("x")).current());
    }

    /** An in-memory registry that refuses every waiter after the first {@code accepting}. */
    private static final class RefusingRegistry implements CompletionRegistry {
        private final InMemoryCompletionRegistry delegate = new InMemoryCompletionRegistry();
        private int accepting;

        RefusingRegistry(int accepting) {
            this.accepting = accepting;
        }

        @Override
        public void register(SessionId sessionId, InputId inputId, CompletableFuture<CompletionOutcome> waiter) {
            if (accepting-- <= 0) {
                throw new IllegalStateException("full");
            }
            delegate.register(sessionId, inputId, waiter);
        }

        @Override
        public int resolve(SessionId sessionId, InputId inputId, CompletionOutcome outcome) {
            return delegate.resolve(sessionId, inputId, outcome);
        }

        @Override
        public int resolveAllTerminated(SessionId sessionId, String reason) {
            return delegate.resolveAllTerminated(sessionId, reason);
        }

        @Override
        public int resolveAllTerminated(String reason) {
            return delegate.resolveAllTerminated(reason);
        }

        @Override
        public int resolveNotPending(SessionId sessionId, java.util.function.Predicate<InputId> stillPending, String reason) {
            return delegate.resolveNotPending(sessionId, stillPending, reason);
        }

        @Override
        public int pendingCount(SessionId sessionId) {
            return delegate.pendingCount(sessionId);
        }

        @Override
        public int pendingCount() {
            return delegate.pendingCount();
        }

        @Override
        public List<io.meerkat.runtime.api.spi.PendingCompletion> drainPending() {
            return delegate.drainPending();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    /**
     * Issue 11, defect 1: {@code stillPending} runs outside the front's read lock, so it may take a lock
     * that a registering thread holds while a swap is queued. Shown with the harshest case: a predicate
     * that swaps, on its own thread (under the read lock the write lock could never be taken). The
     * waiter the swap moved is still tested and terminated, on the new registry.
     */
    @Test
    void stillPendingRunsOutsideTheReadLockAndSurvivesAnOverlappingSwap() throws Exception {
        var first = new InMemoryCompletionRegistry();
        var second = new InMemoryCompletionRegistry();
        var front = new SwappableCompletionRegistry(first, named("first"));
        SessionId session = SessionId.random();
        InputId input = InputId.random();
        CompletableFuture<CompletionOutcome> waiter = new CompletableFuture<>();
        front.register(session, input, waiter);
        AtomicInteger tested = new AtomicInteger();

        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> resolved = thread.submit(() -> front.resolveNotPending(session, id -> {
                if (tested.getAndIncrement() == 0) {
                    front.swapTo(second, named("second"));
                    return true;
                }
                return false;
            }, "gone"));

            assertEquals(1, resolved.get(10, TimeUnit.SECONDS), "a predicate under the read lock could not swap");
        } finally {
            thread.shutdownNow();
        }
        assertEquals("second", front.active().name());
        assertEquals(new CompletionOutcome.RuntimeTerminated("gone"), waiter.getNow(null));
        assertEquals(2, tested.get());
    }
}
