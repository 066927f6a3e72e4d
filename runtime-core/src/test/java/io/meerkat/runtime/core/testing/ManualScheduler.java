package io.meerkat.runtime.core.testing;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/**
 * A scheduler that runs nothing until the test says so, which makes loop interleavings exact.
 * After {@link #autoRun()} it runs tasks as they come (on the submitting thread), for teardown.
 */
public final class ManualScheduler implements Executor {

    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private volatile boolean autoRun;
    private boolean running;

    @Override
    public void execute(Runnable task) {
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

    /** Runs queued tasks, and those they schedule, until none is left; returns how many ran. */
    public int runAll() {
        synchronized (this) {
            if (running) {
                return 0;
            }
            running = true;
        }
        int ran = 0;
        try {
            Runnable task;
            while ((task = poll()) != null) {
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
