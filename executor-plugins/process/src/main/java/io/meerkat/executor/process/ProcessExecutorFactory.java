package io.meerkat.executor.process;

import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeoutException;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provides the {@code process} kind: each run of a session is one run of the configured agent
 * program, speaking the JSON-lines protocol of {@code PROTOCOL.md} (keys in {@link ProcessSettings}).
 * The factory owns one timer thread (timeouts, grace periods) and a cached pool of reader threads,
 * and knows every process its runs started; {@link #close()} kills those still alive, waits briefly
 * for them, and ends its threads.
 */
@Extension
public final class ProcessExecutorFactory implements ExecutorFactory, AutoCloseable {

    public static final String KIND = "process";
    private static final Logger LOG = LoggerFactory.getLogger(ProcessExecutorFactory.class);
    private static final long CLOSE_PATIENCE_SECONDS = 5;

    /** Built on first use: Jackson's few hundred classes would otherwise load at every plugin start. */
    private volatile ProtocolCodec codec;
    private final LiveRuns liveRuns = new LiveRuns();
    private final ProcessGroups groups = ProcessGroups.detect();
    private final ScheduledThreadPoolExecutor timer;
    /**
     * The threads reading the programs' stdout and stderr, two per running program, none kept idle
     * for long. Not the runtime's blocking pool: on JDK 17 a thread created while plugin code is on the
     * stack inherits an access control context holding this plugin's class loader, and a runtime pool
     * thread outlives the plugin.
     */
    private final ThreadPoolExecutor io;

    public ProcessExecutorFactory() {
        AtomicInteger ioThreads = new AtomicInteger();
        io = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), task -> {
            Thread thread = new Thread(task, "process-executor-io-" + ioThreads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        timer = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "process-executor-timer");
            thread.setDaemon(true);
            return thread;
        });
        // A cancelled timeout must not keep its run (and this plugin's classes) reachable until it would have fired.
        timer.setRemoveOnCancelPolicy(true);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public CoreExecutor create(ExecutorContext context) {
        ProtocolCodec codec = codec();
        ProcessSettings settings = ProcessSettings.from(context.typedConfig(), codec.mapper());
        return new ProcessExecutor(context.sessionId(), settings,
                new RunResources(codec, io, timer, liveRuns, groups, context.progress()));
    }

    private ProtocolCodec codec() {
        ProtocolCodec current = codec;
        if (current == null) {
            synchronized (this) {
                current = codec;
                if (current == null) {
                    current = new ProtocolCodec();
                    codec = current;
                }
            }
        }
        return current;
    }

    @Override
    public void close() {
        try {
            liveRuns.killAll("process executor plugin stopped").get(CLOSE_PATIENCE_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            LOG.warn("agent program processes still alive {} s after they were killed", CLOSE_PATIENCE_SECONDS);
        } catch (ExecutionException e) {
            LOG.warn("ending agent program processes failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("interrupted while waiting for agent program processes to exit");
        } finally {
            timer.shutdownNow();
            // Readers of killed programs see the end of their streams and return; idle threads end now.
            io.shutdown();
        }
    }
}
