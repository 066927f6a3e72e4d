package io.meerkat.runtime.core.policy;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Where the runtime schedules its delayed work: the end of a retry backoff and a run's time limit.
 * A {@link java.util.concurrent.ScheduledExecutorService}'s {@code schedule} method fits
 * ({@code service::schedule}). Tasks are short: they signal a session's loop and return.
 */
@FunctionalInterface
public interface DelayScheduler {

    /**
     * Runs {@code task} once after {@code delay}; cancelling the returned future before then drops it.
     */
    Future<?> schedule(Runnable task, long delay, TimeUnit unit);
}
