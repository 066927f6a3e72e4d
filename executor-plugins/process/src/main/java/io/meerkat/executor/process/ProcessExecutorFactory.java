package io.meerkat.executor.process;

import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
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
 * for them, and ends its threads. Under a launcher, it also keeps a record of them on disk, touched
 * every {@link AgentLedger#HEARTBEAT} by the timer thread, and its construction ends those a killed
 * launcher left behind ({@link AgentLedger}).
 */
@Extension
public final class ProcessExecutorFactory implements ExecutorFactory, AutoCloseable {

    public static final String KIND = "process";
    /**
     * The system property naming the launcher's data folder (the launcher's {@code DATA_FOLDER_PROPERTY});
     * the factory keeps its record of running agent programs in its {@value #LEDGER_FOLDER} folder, and
     * ends those of a killed launcher when it is created.
     */
    static final String DATA_FOLDER_PROPERTY = "meerkat.data";
    static final String LEDGER_FOLDER = "process-executor";
    private static final Logger LOG = LoggerFactory.getLogger(ProcessExecutorFactory.class);
    private static final long CLOSE_PATIENCE_SECONDS = 5;

    /** Built on first use: Jackson's few hundred classes would otherwise load at every plugin start. */
    private volatile ProtocolCodec codec;
    private final LiveRuns liveRuns = new LiveRuns();
    private final ProcessGroups groups = ProcessGroups.detect();
    private final AgentLedger ledger;
    private final ScheduledThreadPoolExecutor timer;
    /**
     * The threads reading the programs' stdout and stderr, two per running program, none kept idle
     * for long. Not the runtime's blocking pool: on JDK 17 a thread created while plugin code is on the
     * stack inherits an access control context holding this plugin's class loader, and a runtime pool
     * thread outlives the plugin.
     */
    private final ThreadPoolExecutor io;

    public ProcessExecutorFactory() {
        this(ledgerFolder());
    }

    /** With the record of running agent programs in {@code ledgerFolder}, or none if {@code null}. */
    ProcessExecutorFactory(Path ledgerFolder) {
        ledger = ledgerFolder == null ? AgentLedger.none() : AgentLedger.open(ledgerFolder, groups);
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
        if (ledgerFolder != null) {
            long period = AgentLedger.HEARTBEAT.toMillis();
            timer.scheduleAtFixedRate(ledger::heartbeat, period, period, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public List<ConfigKey> configKeys() {
        return ProcessSettings.KEYS;
    }

    @Override
    public CoreExecutor create(ExecutorContext context) {
        ProtocolCodec codec = codec();
        ProcessSettings settings = ProcessSettings.from(context.typedConfig(), codec.mapper());
        return new ProcessExecutor(context.sessionId(), settings,
                new RunResources(codec, io, timer, liveRuns, groups, ledger, context.progress()));
    }

    private static Path ledgerFolder() {
        String data = System.getProperty(DATA_FOLDER_PROPERTY);
        if (data == null || data.isBlank()) {
            return null;
        }
        try {
            return Path.of(data).toAbsolutePath().resolve(LEDGER_FOLDER);
        } catch (InvalidPathException e) {
            LOG.warn("system property {} is not a path ('{}'): agent program processes are not recorded",
                    DATA_FOLDER_PROPERTY, data);
            return null;
        }
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
            ledger.close();
            timer.shutdownNow();
            // Readers of killed programs see the end of their streams and return; idle threads end now.
            io.shutdown();
        }
    }
}
