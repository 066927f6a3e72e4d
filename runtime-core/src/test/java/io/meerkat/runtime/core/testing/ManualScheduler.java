package io.meerkat.runtime.core.testing;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * A scheduler that runs nothing until the test says so, which makes loop interleavings exact.
 * After {@link #autoRun()} it runs tasks as they come (on the submitting thread), for teardown.
 * While {@link #refuse(boolean) refusing} it throws {@link RejectedExecutionException}, like a pool
 * that was shut down.
 */
public final class ManualScheduler implements Executor {

    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private volatile boolean autoRun;
    private volatile boolean refusing;
    private boolean running;

    @Override
    public void execute(Runnable task) {
        if (refusing) {
            throw new RejectedExecutionException("manual scheduler refuses tasks");
        }
        synchronized (this) {
            tasks.addLast(task);
        }
        if (autoRun) {
            runAll();
        }
    }

    /** From now on, run every task as soon as it is scheduled. */
    public void autoRun() {
        autoRun = true;
        runAll();
    }

    /** From now on (while {@code refuse}), throw {@link RejectedExecutionException} instead of queueing. */
    public void refuse(boolean refuse) {
        refusing = refuse;
    }

    /** Runs queued tasks, and those they schedule, until none is left; returns how many ran. */
    public int runAll() {
        return runAtMost(Integer.MAX_VALUE);
    }

    /**
     * Runs queued tasks, and those they schedule, until none is left or {@code limit} have run;
     * returns how many ran (a task that keeps rescheduling itself shows as {@code limit}).
     */
    public int runAtMost(int limit) {
        synchronized (this) {
            if (running) {
                return 0;
            }
            running = true;
        }
        int ran = 0;
        try {
            Runnable task;
            while (ran < limit && (task = poll()) != null) {
                task.run();
                ran++;
            }
        } finally {
            synchronized (this) {
                running = false;
            }
        }
        return ran;
    }

    public synchronized int pending() {
        return tasks.size();
    }

    private synchronized Runnable poll() {
        return tasks.pollFirst();
    }
}
