package io.meerkat.runtime.core.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.Input;
import io.meerkat.runtime.api.RunResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * The lock-free handshake between the settler of an input (under the driver lock) and the threads that
 * put its waiters in the registry (without it): no waiter is stranded, and no outcome is kept once every
 * waiter has arrived.
 */
class LateWaiterHandshakeTest {

    private static final long BASE_SEED = Long.getLong("meerkat.seed", 0x1A7E_3A17L);
    private static final CompletionOutcome DONE = new CompletionOutcome.Completed(RunResult.of("done"));

    @Test
    void aWaiterRegisteredAfterItsInputWasSettledTakesTheOutcome() {
        InputRecord record = newRecord();
        record.markAwaited();
        record.markAwaited();
        record.settledWith(DONE);
        assertEquals(DONE, record.waiterRegistered());
        assertTrue(record.keepsOutcomeForLateWaiters(), "one waiter is still on its way");
        assertEquals(DONE, record.waiterRegistered());
        assertFalse(record.keepsOutcomeForLateWaiters(), "let go once the last one arrived");
    }

    @Test
    void aWaiterRegisteredBeforeTheSettlementTakesNothingAndNothingIsKept() {
        InputRecord record = newRecord();
        record.markAwaited();
        assertNull(record.waiterRegistered());
        record.settledWith(DONE);
        assertFalse(record.keepsOutcomeForLateWaiters(), "nobody on the way: nothing kept");
    }

    /**
     * A settler and several registering threads race; the registry is a map the settler sweeps after its
     * write, as the runtime's settlement does after the driver lock. Every waiter must complete.
     */
    @RepeatedTest(5)
    void noWaiterIsStrandedWhateverTheInterleaving(RepetitionInfo repetition) throws Exception {
        long seed = BASE_SEED + repetition.getCurrentRepetition();
        Random random = new Random(seed);
        ReentrantLock driverLock = new ReentrantLock();
        for (int round = 0; round < 2_000; round++) {
            InputRecord record = newRecord();
            int waiters = 1 + random.nextInt(4);
            Map<Integer, CompletableFuture<CompletionOutcome>> registry = new ConcurrentHashMap<>();
            List<CompletableFuture<CompletionOutcome>> futures = new ArrayList<>();
            driverLock.lock();
            try {
                for (int w = 0; w < waiters; w++) {
                    record.markAwaited();
                    futures.add(new CompletableFuture<>());
                }
            } finally {
                driverLock.unlock();
            }
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < waiters; w++) {
                int id = w;
                threads.add(new Thread(() -> {
                    await(go);
                    registry.put(id, futures.get(id));
                    CompletionOutcome late = record.waiterRegistered();
                    if (late != null) {
                        futures.get(id).complete(late);
                    }
                }));
            }
            threads.add(new Thread(() -> {
                await(go);
                driverLock.lock();
                try {
                    record.settledWith(DONE);
                } finally {
                    driverLock.unlock();
                }
                registry.values().forEach(future -> future.complete(DONE));
            }));
            java.util.Collections.shuffle(threads, random);
            threads.forEach(Thread::start);
            go.countDown();
            for (Thread thread : threads) {
                thread.join(10_000);
                assertFalse(thread.isAlive(), "hung; seed " + seed);
            }
            for (CompletableFuture<CompletionOutcome> future : futures) {
                assertEquals(DONE, future.getNow(null), "a waiter was stranded; seed " + seed + " round " + round);
            }
            assertFalse(record.keepsOutcomeForLateWaiters(), "an outcome kept after every waiter arrived; seed " + seed);
        }
    }

    private static InputRecord newRecord() {
        return ((Admission.Accepted) new Ingress(10).admit(Input.prompt("x"), true, 0L)).record();
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
