package io.meerkat.runtime.core;

import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.api.spi.ExecutorCatalog;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.api.spi.RunObserver;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.core.policy.DelayScheduler;
import io.meerkat.runtime.core.policy.RetryPolicy;
import io.meerkat.runtime.core.session.LocalMeerkatRuntime;
import io.meerkat.runtime.core.session.RuntimeSettings;
import io.meerkat.runtime.core.cluster.NodeIdentity;
import io.meerkat.runtime.core.store.StorePruner;
import java.net.URI;
import java.util.function.Supplier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Builds an in-process {@link MeerkatRuntime}.
 *
 * <pre>{@code
 * try (MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder()
 *         .executorFactory(new MyExecutorFactory())
 *         .build()) {
 *     SessionHandle session = runtime.createSession(SessionSpec.of("my-kind"));
 *     CompletionOutcome outcome = session.submit(Input.prompt("hello")).completion().join();
 * }
 * }</pre>
 *
 * Without an explicit {@link #completionRegistry}, the first {@link CompletionRegistry} found by
 * {@link ServiceLoader} is used (the {@code completion-registry} module provides one) and closed
 * with the runtime. Without an explicit scheduler, loops share a work-stealing pool with one thread
 * per core; blocking executor work gets virtual threads on JDK 21+, a cached pool before.
 */
public final class MeerkatRuntimeBuilder {

    /** The default of {@link #maxQueuedInputs}. */
    public static final int DEFAULT_MAX_QUEUED_INPUTS = RuntimeSettings.DEFAULT_MAX_QUEUED_INPUTS;

    /** The default of {@link #maxQueuedCharsPerSession}. */
    public static final long DEFAULT_MAX_QUEUED_CHARS_PER_SESSION = RuntimeSettings.DEFAULT_MAX_QUEUED_CHARS_PER_SESSION;
    /** Finished inputs each session keeps unless told otherwise ({@link #finishedInputRetention}). */
    public static final int DEFAULT_FINISHED_INPUT_RETENTION = RuntimeSettings.defaults().finishedInputRetention();
    /** How long the store keeps finished inputs and ended sessions unless told otherwise ({@link #storeRetention}). */
    public static final Duration DEFAULT_STORE_MAX_AGE = Duration.ofDays(7);
    /** How often the store is pruned unless told otherwise ({@link #storeRetention}). */
    public static final Duration DEFAULT_STORE_PRUNE_EVERY = Duration.ofMinutes(10);

    private final Map<String, ExecutorFactory> factories = new LinkedHashMap<>();
    private ExecutorCatalog executorCatalog;
    private CompletionRegistry completionRegistry;
    private Executor scheduler;
    private Executor blockingExecutor;
    private long maxPayloadChars = RuntimeSettings.defaults().maxPayloadChars();
    private int finishedInputRetention = DEFAULT_FINISHED_INPUT_RETENTION;
    private int maxBatchSize = RuntimeSettings.defaults().maxBatchSize();
    private int loopThroughput = RuntimeSettings.defaults().loopThroughput();
    private long shutdownTimeoutMillis = RuntimeSettings.defaults().shutdownTimeoutMillis();
    private int maxQueuedInputs = RuntimeSettings.DEFAULT_MAX_QUEUED_INPUTS;
    private long maxQueuedCharsPerSession = RuntimeSettings.DEFAULT_MAX_QUEUED_CHARS_PER_SESSION;
    private long maxQueuedCharsRuntime = RuntimeSettings.defaultMaxQueuedCharsRuntime();
    private RetryPolicy retryPolicy = RuntimeSettings.defaults().retryPolicy();
    private Duration maxRunDuration;
    private DelayScheduler delayScheduler;
    private RuntimeStore store;
    private NodeIdentity node;
    private RunObserver runObserver = RunObserver.NONE;
    private Duration storeMaxAge = DEFAULT_STORE_MAX_AGE;
    private Duration storePruneEvery = DEFAULT_STORE_PRUNE_EVERY;

    private MeerkatRuntimeBuilder() {
    }

    public static MeerkatRuntimeBuilder newBuilder() {
        return new MeerkatRuntimeBuilder();
    }

    /**
     * Adds a factory; sessions name it by {@link ExecutorFactory#kind()}.
     *
     * @throws IllegalArgumentException if another factory already claims the kind
     */
    public MeerkatRuntimeBuilder executorFactory(ExecutorFactory factory) {
        Objects.requireNonNull(factory, "factory");
        ExecutorFactory previous = factories.putIfAbsent(factory.kind(), factory);
        if (previous != null && previous != factory) {
            throw new IllegalArgumentException("executor kind '" + factory.kind() + "' is claimed by both "
                    + previous.getClass().getName() + " and " + factory.getClass().getName());
        }
        return this;
    }

    /**
     * Also takes executor kinds from this catalog (e.g. the plugin host's); they may come and go while
     * the runtime runs. A factory given to {@link #executorFactory} wins over a catalog kind of the same name.
     */
    public MeerkatRuntimeBuilder executorCatalog(ExecutorCatalog catalog) {
        this.executorCatalog = Objects.requireNonNull(catalog, "catalog");
        return this;
    }

    /** Uses this registry (not closed by the runtime) instead of the one {@link ServiceLoader} finds. */
    public MeerkatRuntimeBuilder completionRegistry(CompletionRegistry registry) {
        this.completionRegistry = Objects.requireNonNull(registry, "registry");
        return this;
    }

    /**
     * Runs runtime loops on this executor (not shut down by the runtime). It should accept every task
     * while the runtime runs: a session whose loop pass it refuses ({@code RejectedExecutionException})
     * is stopped, its waiters resolved {@code RuntimeTerminated}, and its executor closed on the refused
     * caller's thread once no run is in flight.
     */
    public MeerkatRuntimeBuilder scheduler(Executor executor) {
        this.scheduler = Objects.requireNonNull(executor, "executor");
        return this;
    }

    /** Hands this executor to executors for blocking work (not shut down by the runtime). */
    public MeerkatRuntimeBuilder blockingExecutor(Executor executor) {
        this.blockingExecutor = Objects.requireNonNull(executor, "executor");
        return this;
    }

    /** The largest input content accepted, in characters (default 1 Mi). */
    public MeerkatRuntimeBuilder maxPayloadChars(long chars) {
        this.maxPayloadChars = chars;
        return this;
    }

    /** Terminal inputs each session keeps for status lookups and dedup (default 10,000). */
    public MeerkatRuntimeBuilder finishedInputRetention(int inputs) {
        this.finishedInputRetention = inputs;
        return this;
    }

    /** The most inputs one run may take (default 1,024). */
    public MeerkatRuntimeBuilder maxBatchSize(int inputs) {
        this.maxBatchSize = inputs;
        return this;
    }

    /** Units of work a session's loop runs before yielding its thread to other sessions (default 64). */
    public MeerkatRuntimeBuilder loopThroughput(int units) {
        this.loopThroughput = units;
        return this;
    }

    /**
     * The most unfinished (queued or running) inputs one session holds (default 10,000); a submit past it
     * is refused with {@link io.meerkat.runtime.api.QueueFullException}.
     */
    public MeerkatRuntimeBuilder maxQueuedInputs(int inputs) {
        this.maxQueuedInputs = inputs;
        return this;
    }

    /**
     * The most content, in characters, one session's unfinished inputs hold together (default 64 Mi);
     * a submit past it is refused with {@link io.meerkat.runtime.api.QueueFullException}.
     */
    public MeerkatRuntimeBuilder maxQueuedCharsPerSession(long chars) {
        this.maxQueuedCharsPerSession = chars;
        return this;
    }

    /**
     * The most content, in characters, the unfinished inputs of all sessions hold together, each input
     * counted as its content plus 256 characters for its bookkeeping (default an eighth of the heap's
     * maximum); a submit past it is refused with {@link io.meerkat.runtime.api.QueueFullException}.
     */
    public MeerkatRuntimeBuilder maxQueuedCharsRuntime(long chars) {
        this.maxQueuedCharsRuntime = chars;
        return this;
    }

    /** The default of {@link #maxQueuedCharsRuntime}: an eighth of this JVM's maximum heap, at least 1 Mi. */
    public static long defaultMaxQueuedCharsRuntime() {
        return RuntimeSettings.defaultMaxQueuedCharsRuntime();
    }

    /** How the inputs of a failed run are retried (default {@link RetryPolicy#defaults()}). */
    public MeerkatRuntimeBuilder retryPolicy(RetryPolicy policy) {
        this.retryPolicy = Objects.requireNonNull(policy, "policy");
        return this;
    }

    /**
     * How long a run may go on, for sessions whose spec sets no limit (default: no limit). A run past it
     * is cancelled as by {@code CancelCurrentRun}; its inputs are abandoned {@code TIMED_OUT}.
     *
     * @param limit a positive duration, or {@code null} for no limit
     */
    public MeerkatRuntimeBuilder maxRunDuration(Duration limit) {
        this.maxRunDuration = RuntimeSettings.requirePositive(limit);
        return this;
    }

    /**
     * Schedules retry backoffs and run time limits here (not shut down by the runtime); without it the
     * runtime uses one daemon timer thread of its own.
     */
    /**
     * Keeps sessions in {@code store}, so that they survive a restart or a crash: every session, durable
     * input, run boundary and lifecycle command is written (and committed) before it is acknowledged or
     * made, and {@link #build()} takes up what the store already holds (recovery). Without it (the
     * default) sessions live in memory only. The runtime writes through the store but does not close it.
     *
     * <p>What survives, and what runs again: state changes are exactly-once; an executor's side effects are
     * at-least-once (a run in flight at a crash runs again, its inputs back on their lanes). An executor that
     * must not repeat an effect uses the attempt key it is handed with each input
     * ({@link io.meerkat.runtime.api.spi.RuntimeStore} explains the guarantees). A run a crash cut short counts
     * as an attempt, so an input whose run kills the process is abandoned once its attempts are used up.
     *
     * <p>Secrets: a session's config is stored without the values of the keys its executor declares secret,
     * so a recovered session's executor is created without them. An executor that needs a secret value must
     * fail {@code create()} when it is missing (the session is then listed as executor-unavailable, its
     * inputs kept) rather than run without it; the embedder re-supplies secrets on recovery, through the
     * factories it gives (an {@link io.meerkat.runtime.api.spi.ExecutorCatalog} that adds them to the
     * config, as the launcher's re-resolves each session's operator profile).
     */
    public MeerkatRuntimeBuilder store(RuntimeStore store) {
        this.store = Objects.requireNonNull(store, "store");
        return this;
    }

    /**
     * Who this runtime is when its {@link #store} is shared by several runtimes as a cluster (the
     * {@code postgres} store): {@code nodeId} must be unique among them; {@code advertise} says where this
     * node's HTTP API answers, so that the others forward requests for its sessions to it, and is read at every
     * heartbeat (it may give {@code null} until that address is known). Without it a clustered runtime names
     * itself after its host and process, with no address. Ignored for a store that is not shared.
     */
    public MeerkatRuntimeBuilder clusterNode(String nodeId, Supplier<URI> advertise) {
        this.node = new NodeIdentity(nodeId, advertise);
        return this;
    }

    /**
     * How long the {@link #store} keeps finished inputs (and so how long a resubmit after a restart is
     * deduplicated): at most {@link #finishedInputRetention} per session, as in memory, and none older than
     * {@code maxAge}; pruned every {@code every}. Defaults: 7 days, every 10 minutes. A session stopped or
     * destroyed more than {@code maxAge} ago is removed then too (from the store, with all its rows, and from
     * the runtime, as by {@code removeSession}); a recovered one counts from the newest change the store
     * kept of it (its inputs' last transition, else its creation).
     */
    public MeerkatRuntimeBuilder storeRetention(Duration maxAge, Duration every) {
        if (maxAge.isNegative() || every.isZero() || every.isNegative()) {
            throw new IllegalArgumentException("store retention needs a non-negative age and a positive period, was "
                    + maxAge + " every " + every);
        }
        this.storeMaxAge = maxAge;
        this.storePruneEvery = every;
        return this;
    }

    public MeerkatRuntimeBuilder delayScheduler(DelayScheduler scheduler) {
        this.delayScheduler = Objects.requireNonNull(scheduler, "scheduler");
        return this;
    }

    /** How long {@code close()} waits for runtime loops to end (default 10 s). */
    public MeerkatRuntimeBuilder shutdownTimeoutMillis(long millis) {
        this.shutdownTimeoutMillis = millis;
        return this;
    }

    /**
     * Tells {@code observer} of every session's runs as they start and end (for metrics): called
     * synchronously by the sessions, so it must be cheap and never block ({@link RunObserver}). None by default.
     */
    public MeerkatRuntimeBuilder runObserver(RunObserver observer) {
        this.runObserver = Objects.requireNonNull(observer, "observer");
        return this;
    }

    /**
     * Builds the runtime.
     *
     * @throws IllegalStateException if no completion registry was given and none can be found
     */
    public MeerkatRuntime build() {
        RuntimeSettings settings = new RuntimeSettings(maxPayloadChars, finishedInputRetention, maxBatchSize,
                loopThroughput, shutdownTimeoutMillis, maxQueuedInputs, maxQueuedCharsPerSession,
                maxQueuedCharsRuntime, retryPolicy, maxRunDuration);
        List<AutoCloseable> owned = new ArrayList<>();
        CompletionRegistry registry = completionRegistry;
        if (registry == null) {
            registry = ServiceLoader.load(CompletionRegistry.class).findFirst().orElseThrow(() ->
                    new IllegalStateException("no CompletionRegistry: put the completion-registry module on the "
                            + "module path or pass one to completionRegistry(...)"));
            owned.add(registry);
        }
        Executor loops = scheduler;
        if (loops == null) {
            ForkJoinPool pool = newLoopPool();
            loops = pool;
            owned.add(pool::shutdown);
        }
        Executor blocking = blockingExecutor;
        if (blocking == null) {
            ExecutorService service = newBlockingExecutor();
            blocking = service;
            owned.add(service::shutdown);
        }
        DelayScheduler delays = delayScheduler;
        if (delays == null) {
            ScheduledThreadPoolExecutor timer = newTimer();
            delays = timer::schedule;
            owned.add(timer::shutdownNow);
        }
        StorePruner pruner = null;
        if (store != null) {
            pruner = new StorePruner(store, finishedInputRetention, storeMaxAge, storePruneEvery, delays, blocking);
            // Closed before the pools it runs on (owned resources are closed in order).
            owned.add(0, pruner);
        }
        LocalMeerkatRuntime runtime = new LocalMeerkatRuntime(factories, executorCatalog, registry, loops, blocking,
                delays, settings, owned, store, node, runObserver);
        if (pruner != null) {
            pruner.alsoPruneEndedSessions(runtime::pruneEndedSessions);
            pruner.start();
        }
        try {
            runtime.recover();
        } catch (RuntimeException | Error e) {
            runtime.close();
            throw e;
        }
        return runtime;
    }

    private static ScheduledThreadPoolExecutor newTimer() {
        ClassLoader runtimeLoader = MeerkatRuntimeBuilder.class.getClassLoader();
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
                task -> newBlockingThread(task, "meerkat-timer", runtimeLoader));
        // A run that ends in time cancels its limit: drop it now rather than hold it until it would fire.
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    private static ForkJoinPool newLoopPool() {
        AtomicInteger counter = new AtomicInteger();
        ForkJoinPool.ForkJoinWorkerThreadFactory factory = pool -> {
            ForkJoinWorkerThread thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            thread.setName("meerkat-loop-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        // FIFO (async) mode: loops are event-style tasks that are never joined.
        return new ForkJoinPool(Runtime.getRuntime().availableProcessors(), factory, null, true);
    }

    /**
     * A pool thread that holds nothing of whoever made the pool grow. Pool threads are created on demand
     * by the submitting thread, often while plugin code is on its stack; on JDK 17 a new thread keeps
     * the caller's access-control context (its classes' protection domains, hence their class
     * loaders) and its context class loader for life, which would keep an unloaded plugin reachable.
     * {@code doPrivileged} cuts the captured context down to this class; the context class loader is
     * reset to the runtime's.
     */
    @SuppressWarnings("removal")
    private static Thread newBlockingThread(Runnable task, String name, ClassLoader contextLoader) {
        Thread thread = java.security.AccessController.doPrivileged(
                (java.security.PrivilegedAction<Thread>) () -> new Thread(task, name));
        thread.setContextClassLoader(contextLoader);
        thread.setDaemon(true);
        return thread;
    }

    private static ExecutorService newBlockingExecutor() {
        try {
            // JDK 21+: a virtual thread per blocking task; looked up reflectively to keep release 17.
            return (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        } catch (ReflectiveOperationException notOnThisJdk) {
            AtomicInteger counter = new AtomicInteger();
            ClassLoader runtimeLoader = MeerkatRuntimeBuilder.class.getClassLoader();
            ThreadFactory threads = task -> newBlockingThread(task, "meerkat-blocking-" + counter.incrementAndGet(),
                    runtimeLoader);
            return Executors.newCachedThreadPool(threads);
        }
    }
}
