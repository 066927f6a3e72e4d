package io.meerkat.executor.echo;

import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.pf4j.Extension;

/**
 * Provides the {@code echo} kind. Its executors share one timer thread for their delays, which
 * {@link #close()} ends when the plugin stops.
 */
@Extension
public final class EchoExecutorFactory implements ExecutorFactory, AutoCloseable {

    public static final String KIND = "echo";

    private final ScheduledThreadPoolExecutor timer;

    public EchoExecutorFactory() {
        timer = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "echo-executor-timer");
            thread.setDaemon(true);
            return thread;
        });
        // A cancelled run's delay must not keep its closure (and this plugin's classes) reachable.
        timer.setRemoveOnCancelPolicy(true);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public List<ConfigKey> configKeys() {
        return EchoSettings.KEYS;
    }

    @Override
    public CoreExecutor create(ExecutorContext context) {
        return new EchoExecutor(EchoSettings.from(context.typedConfig()), timer, context.progress());
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
