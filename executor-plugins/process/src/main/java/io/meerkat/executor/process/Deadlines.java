package io.meerkat.executor.process;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounded waits on the plugin's own timer. Never {@code CompletableFuture.orTimeout} and friends:
 * their JDK-wide timer thread would keep this plugin's tasks, and so its class loader, reachable
 * after the plugin is unloaded.
 */
final class Deadlines {

    private Deadlines() {
    }

    /**
     * A stage that completes normally once {@code stage} completes (normally or not) or
     * {@code patience} has passed, whichever is first; at once if the timer is shut down.
     */
    static CompletableFuture<Void> settledWithin(CompletableFuture<?> stage, Duration patience,
                                                 ScheduledExecutorService timer) {
        CompletableFuture<Void> settled = new CompletableFuture<>();
        stage.whenComplete((value, error) -> settled.complete(null));
        if (settled.isDone()) {
            return settled;
        }
        try {
            ScheduledFuture<?> deadline = timer.schedule(() -> settled.complete(null), patience.toNanos(),
                    TimeUnit.NANOSECONDS);
            settled.whenComplete((value, error) -> deadline.cancel(false));
        } catch (RejectedExecutionException shutDown) {
            settled.complete(null);
        }
        return settled;
    }
}
