package io.meerkat.executor.process;

/**
 * A task that names the pool thread it runs on for its duration (thread dumps then say which
 * program a thread serves) and restores the name afterwards, since the thread belongs to a shared pool.
 */
final class NamedTask implements Runnable {

    private final String name;
    private final Runnable task;

    NamedTask(String name, Runnable task) {
        this.name = name;
        this.task = task;
    }

    @Override
    public void run() {
        Thread thread = Thread.currentThread();
        String poolName = thread.getName();
        thread.setName(name);
        try {
            task.run();
        } finally {
            thread.setName(poolName);
        }
    }
}
