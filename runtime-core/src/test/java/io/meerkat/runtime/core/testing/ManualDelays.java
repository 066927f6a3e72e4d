package io.meerkat.runtime.core.testing;

import io.meerkat.runtime.core.policy.DelayScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A delay scheduler whose tasks run only when the test fires them, which makes backoffs and run time
 * limits exact. Thread safe.
 */
public final class ManualDelays implements DelayScheduler {

    private final List<Delayed> scheduled = new ArrayList<>();

    @Override
    public synchronized Future<?> schedule(Runnable task, long delay, TimeUnit unit) {
        Delayed delayed = new Delayed(task, Duration.ofNanos(unit.toNanos(delay)));
        scheduled.add(delayed);
        return delayed.handle;
    }

    /** The delays of the tasks neither fired nor cancelled, in the order they were scheduled. */
    public synchronized List<Duration> pending() {
        List<Duration> delays = new ArrayList<>();
        for (Delayed delayed : scheduled) {
            if (!delayed.handle.isDone()) {
                delays.add(delayed.delay);
            }
        }
        return delays;
    }

    /** Runs every task neither fired nor cancelled yet, on this thread; returns how many ran. */
    public int fireAll() {
        List<Delayed> due;
        synchronized (this) {
            due = new ArrayList<>(scheduled);
            scheduled.clear();
        }
        int fired = 0;
        for (Delayed delayed : due) {
            // complete() is false for a handle cancelled meanwhile: that task does not run.
            if (delayed.handle.complete(null)) {
                delayed.task.run();
                fired++;
            }
        }
        return fired;
    }

    private record Delayed(Runnable task, Duration delay, CompletableFuture<Void> handle) {
        Delayed(Runnable task, Duration delay) {
            this(task, delay, new CompletableFuture<>());
        }
    }
}
