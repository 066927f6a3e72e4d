package io.meerkat.executor.process;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CancellationException;

/**
 * The runs of one factory whose process may still be alive, so that closing the factory can kill
 * them all. Once closed, it refuses new runs. Thread safe.
 */
final class LiveRuns {

    private final Set<ProcessRun> runs = new HashSet<>();
    private boolean closed;   // guarded by this

    /** Registers a run about to start its process; {@code false} once closed. */
    synchronized boolean add(ProcessRun run) {
        if (closed) {
            return false;
        }
        runs.add(run);
        return true;
    }

    /** Forgets a run whose process tree is gone. */
    synchronized void remove(ProcessRun run) {
        runs.remove(run);
    }

    /** Refuses new runs and kills every live run's process tree at once; completes when they are gone. */
    CompletableFuture<Void> killAll(String reason) {
        List<ProcessRun> alive;
        synchronized (this) {
            closed = true;
            alive = new ArrayList<>(runs);
        }
        // Outside the lock: a stopped run removes itself, possibly on this thread.
        return CompletableFuture.allOf(alive.stream()
                .map(run -> run.stop(new CancellationException(reason), true))
                .toArray(CompletableFuture[]::new));
    }
}
