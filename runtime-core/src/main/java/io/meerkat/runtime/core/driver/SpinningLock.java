package io.meerkat.runtime.core.driver;

import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link ReentrantLock} that, when the lock is taken, spins briefly before it queues and parks.
 *
 * <p>The driver lock is held for a few hundred nanoseconds at a time on the hot paths (map and state work;
 * with a store, only lifecycle commands and a few admissions wait for a commit under it), and its usual
 * contenders, a submitting thread and the session's loop, run on different cores. Parking there costs the waiter a futex wait and the releasing thread a futex wake, microseconds
 * each: in {@code ThroughputBenchmark.runtimePrompts} the plain lock spent about 1.5 µs of CPU per prompt
 * parking and unparking. Spinning a little first lets the waiter take the lock without either, as a
 * HotSpot monitor's adaptive spinning does; after that it parks as a {@link ReentrantLock} does, so a
 * holder that is descheduled costs each waiter a bounded spin only (about 5 µs on the 2-core build box,
 * roughly one park and unpark). Mutual exclusion, reentrancy and conditions are the
 * {@link ReentrantLock}'s own: this class only decides when to queue.
 */
final class SpinningLock extends ReentrantLock {

    private static final long serialVersionUID = 1L;

    /** Spin-wait hints before queueing: several times a typical hold of the driver lock. */
    private static final int SPINS = 256;

    @Override
    public void lock() {
        if (tryLock()) {
            return;
        }
        for (int spin = 0; spin < SPINS; spin++) {
            Thread.onSpinWait();
            // Only when nobody is queued: a queued waiter was here first (barging past it starves it).
            if (!isLocked() && !hasQueuedThreads() && tryLock()) {
                return;
            }
        }
        super.lock();
    }
}
