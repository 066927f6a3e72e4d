package io.meerkat.completion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.CompletionOutcome.Abandoned;
import io.meerkat.runtime.api.CompletionOutcome.Completed;
import io.meerkat.runtime.api.CompletionOutcome.CompletedWithoutResult;
import io.meerkat.runtime.api.CompletionOutcome.RuntimeTerminated;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunResult;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.PendingCompletion;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Randomised stress tests. The base seed comes from the system property {@code meerkat.seed} (a fixed
 * one otherwise, so a failure replays) and is printed in every assertion message; each thread derives
 * its own seed from it.
 * Thread interleavings are not reproducible, but the operation sequences are.
 */
class InMemoryCompletionRegistryConcurrencyTest {

    private static final int THREADS = 8;
    private static final int SESSIONS = 4;
    private static final int INPUTS_PER_SESSION = 32;

    private final long seed = Long.getLong("meerkat.seed", 0x1_4E3E_5EEDL);
    private final String where = "meerkat.seed=" + seed;
    private final SessionId[] sessions = new SessionId[SESSIONS];
    private final InputId[][] inputs = new InputId[SESSIONS][INPUTS_PER_SESSION];

    private final ExecutorService pool = Executors.newFixedThreadPool(THREADS);

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    InMemoryCompletionRegistryConcurrencyTest() {
        for (int s = 0; s < SESSIONS; s++) {
            sessions[s] = SessionId.random();
            for (int i = 0; i < INPUTS_PER_SESSION; i++) {
                inputs[s][i] = InputId.random();
            }
        }
    }

    /** A waiter that counts every completion attempt, successful or not. */
    static final class CountingWaiter extends CompletableFuture<CompletionOutcome> {
        final AtomicInteger attempts = new AtomicInteger();

        @Override
        public boolean complete(CompletionOutcome value) {
            attempts.incrementAndGet();
            return super.complete(value);
        }

        @Override
        public boolean completeExceptionally(Throwable ex) {
            attempts.incrementAndGet();
            return super.completeExceptionally(ex);
        }
    }

    @Test
    void randomInterleavingsResolveEveryWaiterExactlyOnce() throws Exception {
        InMemoryCompletionRegistry registry = new InMemoryCompletionRegistry();
        List<CountingWaiter> all = new CopyOnWriteArrayList<>();
        LongAdder resolvedByCalls = new LongAdder();
        int iterations = 20_000;

        runConcurrently(THREADS, t -> () -> {
            Random rnd = new Random(threadSeed(t));
            List<CountingWaiter> mine = new ArrayList<>();
            for (int n = 0; n < iterations; n++) {
                int s = rnd.nextInt(SESSIONS);
                InputId input = inputs[s][rnd.nextInt(INPUTS_PER_SESSION)];
                int op = rnd.nextInt(1000);
                if (op < 600) {
                    CountingWaiter waiter = new CountingWaiter();
                    mine.add(waiter);
                    registry.register(sessions[s], input, waiter);
                } else if (op < 950) {
                    resolvedByCalls.add(registry.resolve(sessions[s], input, outcome(rnd)));
                } else if (op < 965) {
                    resolvedByCalls.add(registry.resolveAllTerminated(sessions[s], "session terminated"));
                } else if (op < 985) {
                    resolvedByCalls.add(registry.resolveNotPending(sessions[s], id -> rnd.nextBoolean(),
                            "not pending"));
                } else if (op < 986) {
                    resolvedByCalls.add(registry.resolveAllTerminated("all terminated"));
                } else {
                    assertTrue(registry.pendingCount(sessions[s]) >= 0, where);
                    assertTrue(registry.pendingCount() >= 0, where);
                }
            }
            all.addAll(mine);
            return null;
        });

        resolvedByCalls.add(registry.resolveAllTerminated("end"));

        assertEquals(0, registry.pendingCount(), where);
        assertEveryWaiterResolvedOnce(all);
        assertEquals(all.size(), resolvedByCalls.sum(), "resolve counts must add up to the registrations; " + where);
    }

    @Test
    void closeRacingWithRegistersLeavesNoWaiterHanging() throws Exception {
        for (int round = 0; round < 300; round++) {
            InMemoryCompletionRegistry registry = new InMemoryCompletionRegistry();
            List<CountingWaiter> all = new CopyOnWriteArrayList<>();
            int seedOffset = round * THREADS;
            runConcurrently(THREADS, t -> () -> {
                Random rnd = new Random(threadSeed(seedOffset + t));
                if (t == 0) {
                    for (int n = rnd.nextInt(200); n > 0; n--) {
                        registry.pendingCount();
                    }
                    registry.close();
                    return null;
                }
                List<CountingWaiter> mine = new ArrayList<>();
                for (int n = 0; n < 300; n++) {
                    int s = rnd.nextInt(SESSIONS);
                    CountingWaiter waiter = new CountingWaiter();
                    mine.add(waiter);
                    registry.register(sessions[s], inputs[s][rnd.nextInt(INPUTS_PER_SESSION)], waiter);
                    if (rnd.nextInt(4) == 0) {
                        registry.resolve(sessions[s], inputs[s][rnd.nextInt(INPUTS_PER_SESSION)],
                                new CompletedWithoutResult());
                    }
                }
                all.addAll(mine);
                return null;
            });

            // No final sweep here: close() alone must have resolved every waiter.
            assertEquals(0, registry.pendingCount(), where);
            assertEveryWaiterResolvedOnce(all);
        }
    }

    @Test
    void drainPendingHandoverRacingWithRegistersAndResolvesLosesNothing() throws Exception {
        int handovers = 30;
        int workerIterations = 15_000;
        List<InMemoryCompletionRegistry> chain = new CopyOnWriteArrayList<>();
        InMemoryCompletionRegistry first = new InMemoryCompletionRegistry();
        chain.add(first);
        AtomicReference<InMemoryCompletionRegistry> active = new AtomicReference<>(first);
        AtomicBoolean workersDone = new AtomicBoolean();
        AtomicInteger workersLeft = new AtomicInteger(THREADS - 1);
        List<CountingWaiter> all = new CopyOnWriteArrayList<>();
        LongAdder resolvedByCalls = new LongAdder();
        LongAdder adopted = new LongAdder();

        runConcurrently(THREADS, t -> () -> {
            Random rnd = new Random(threadSeed(t));
            if (t == 0) {
                // The swapper: installs a new registry, then hands the old one's waiters over.
                for (int h = 0; h < handovers && !workersDone.get(); h++) {
                    for (int n = rnd.nextInt(500); n > 0; n--) {
                        int s = rnd.nextInt(SESSIONS);
                        resolvedByCalls.add(active.get().resolve(sessions[s],
                                inputs[s][rnd.nextInt(INPUTS_PER_SESSION)], new CompletedWithoutResult()));
                    }
                    InMemoryCompletionRegistry next = new InMemoryCompletionRegistry();
                    chain.add(next);
                    InMemoryCompletionRegistry old = active.getAndSet(next);
                    List<PendingCompletion> drained = old.drainPending();
                    for (PendingCompletion p : drained) {
                        next.register(p.sessionId(), p.inputId(), p.waiter());
                    }
                    adopted.add(drained.size());
                }
                return null;
            }
            try {
                List<CountingWaiter> mine = new ArrayList<>();
                for (int n = 0; n < workerIterations; n++) {
                    int s = rnd.nextInt(SESSIONS);
                    InputId input = inputs[s][rnd.nextInt(INPUTS_PER_SESSION)];
                    int op = rnd.nextInt(100);
                    if (op < 60) {
                        CountingWaiter waiter = new CountingWaiter();
                        mine.add(waiter);
                        active.get().register(sessions[s], input, waiter);
                    } else if (op < 90) {
                        resolvedByCalls.add(active.get().resolve(sessions[s], input, outcome(rnd)));
                    } else if (op < 97) {
                        // A late resolve reaching a registry that may already have been replaced.
                        InMemoryCompletionRegistry any = chain.get(rnd.nextInt(chain.size()));
                        resolvedByCalls.add(any.resolve(sessions[s], input, new Abandoned("late")));
                    } else {
                        resolvedByCalls.add(active.get().resolveNotPending(sessions[s],
                                id -> rnd.nextBoolean(), "not pending"));
                    }
                }
                all.addAll(mine);
            } finally {
                if (workersLeft.decrementAndGet() == 0) {
                    workersDone.set(true);
                }
            }
            return null;
        });

        // Registers that fetched an old registry just before it was replaced left stragglers there:
        // hand those over too, then end.
        InMemoryCompletionRegistry last = active.get();
        for (InMemoryCompletionRegistry old : chain) {
            if (old != last) {
                for (PendingCompletion p : old.drainPending()) {
                    last.register(p.sessionId(), p.inputId(), p.waiter());
                }
            }
        }
        resolvedByCalls.add(last.resolveAllTerminated("end"));

        for (InMemoryCompletionRegistry registry : chain) {
            assertEquals(0, registry.pendingCount(), where);
        }
        assertTrue(chain.size() > 1, "at least one handover must have happened; " + where);
        assertEveryWaiterResolvedOnce(all);
        assertEquals(all.size(), resolvedByCalls.sum(),
                "resolve counts must add up to the registrations (adopted " + adopted.sum() + "); " + where);
    }

    private void assertEveryWaiterResolvedOnce(List<CountingWaiter> all) {
        assertTrue(!all.isEmpty(), where);
        for (CountingWaiter waiter : all) {
            if (!waiter.isDone()) {
                fail("a waiter was left hanging; " + where);
            }
            int attempts = waiter.attempts.get();
            if (attempts != 1) {
                fail("a waiter was completed " + attempts + " times; " + where);
            }
        }
    }

    private long threadSeed(int thread) {
        return seed + thread * 0x9E3779B97F4A7C15L;
    }

    private static CompletionOutcome outcome(Random rnd) {
        return switch (rnd.nextInt(3)) {
            case 0 -> new Completed(RunResult.of("r"));
            case 1 -> new CompletedWithoutResult();
            default -> new RuntimeTerminated("stopped");
        };
    }

    /** Starts {@code threads} (at most {@link #THREADS}) tasks together and waits for all of them, rethrowing the first failure. */
    private void runConcurrently(int threads, IntFunction<Callable<Void>> task) throws Exception {
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<Void>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Callable<Void> body = task.apply(t);
            futures.add(pool.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                return body.call();
            }));
        }
        for (Future<Void> future : futures) {
            try {
                future.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new AssertionError("worker failed; " + where, e.getCause());
            } catch (TimeoutException e) {
                throw new AssertionError("worker timed out; " + where, e);
            }
        }
    }
}
