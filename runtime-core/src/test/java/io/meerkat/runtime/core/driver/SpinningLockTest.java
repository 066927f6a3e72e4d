package io.meerkat.runtime.core.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/** The driver's lock spins before it queues, and is still a lock: exclusive, reentrant, fair to a parked waiter. */
class SpinningLockTest {

    /** Guarded by the lock under test; plain on purpose, so a lost update shows a broken exclusion. */
    private long counter;

    @RepeatedTest(5)
    void manyThreadsNeverHoldItTogether(RepetitionInfo repetition) throws Exception {
        long seed = new Random().nextLong() ^ repetition.getCurrentRepetition();
        Random random = new Random(seed);
        SpinningLock lock = new SpinningLock();
        int threads = 4;
        int rounds = 50_000;
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            // Some holds are long enough to outlast the spin, so waiters also queue and park.
            int longHoldEvery = 1 + random.nextInt(2_000);
            workers.add(CompletableFuture.runAsync(() -> {
                await(start);
                for (int i = 0; i < rounds; i++) {
                    lock.lock();
                    try {
                        long seen = counter;
                        if (i % longHoldEvery == 0) {
                            LockSupport.parkNanos(20_000);
                        }
                        counter = seen + 1;
                    } finally {
                        lock.unlock();
                    }
                }
            }, runnable -> new Thread(runnable).start()));
        }
        start.countDown();
        CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        lock.lock();
        try {
            assertEquals((long) threads * rounds, counter, "lost updates under the lock, seed " + seed);
        } finally {
            lock.unlock();
        }
    }

    @Test
    void isReentrant() {
        SpinningLock lock = new SpinningLock();
        lock.lock();
        lock.lock();
        assertEquals(2, lock.getHoldCount());
        lock.unlock();
        lock.unlock();
        assertFalse(lock.isLocked());
    }

    @Test
    void aWaiterThatOutlastsTheSpinParksAndGetsTheLockOnRelease() throws Exception {
        SpinningLock lock = new SpinningLock();
        lock.lock();
        CountDownLatch acquired = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            lock.lock();
            try {
                acquired.countDown();
            } finally {
                lock.unlock();
            }
        });
        waiter.start();
        // Once it is queued it has spun and given up: it waits parked, not spinning, for the release.
        while (!lock.hasQueuedThread(waiter)) {
            Thread.onSpinWait();
        }
        assertFalse(acquired.await(50, TimeUnit.MILLISECONDS), "took a held lock");
        lock.unlock();
        assertTrue(acquired.await(10, TimeUnit.SECONDS), "the parked waiter never got the released lock");
        waiter.join(10_000);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
