package io.meerkat.runtime.core.session;

import io.meerkat.runtime.api.DuplicateSessionException;
import io.meerkat.runtime.api.IllegalTransitionException;
import io.meerkat.runtime.api.LifecycleReport;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RuntimeClosedException;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.InputTransitionRecord;
import io.meerkat.runtime.api.SessionNotFoundException;
import io.meerkat.runtime.api.StoreUnavailableException;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.UnknownExecutorException;
import io.meerkat.runtime.api.RuntimeState;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoreBatch;
import io.meerkat.runtime.api.spi.StoreChange;
import io.meerkat.runtime.api.spi.StoredSession;
import io.meerkat.runtime.core.store.GroupCommitter;
import io.meerkat.runtime.api.OwnershipLostException;
import io.meerkat.runtime.api.SessionMovedException;
import io.meerkat.runtime.api.cluster.RuntimeCluster;
import io.meerkat.runtime.api.spi.ClusterStore;
import io.meerkat.runtime.api.spi.Fence;
import io.meerkat.runtime.api.spi.Lease;
import io.meerkat.runtime.core.cluster.LeaseKeeper;
import io.meerkat.runtime.core.cluster.NodeIdentity;
import io.meerkat.runtime.core.cluster.NodeIds;
import java.util.function.Consumer;
import java.time.Instant;
import java.util.TreeMap;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.api.spi.StoreVisitor;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorCatalog;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import io.meerkat.runtime.api.spi.RunObserver;
import io.meerkat.runtime.api.spi.RunProgressListener;
import io.meerkat.runtime.core.driver.SessionDriver;
import io.meerkat.runtime.core.events.SessionEvents;
import io.meerkat.runtime.core.ingress.Ingress;
import io.meerkat.runtime.core.ingress.InputValidator;
import io.meerkat.runtime.core.ingress.QueuedPayloadBudget;
import io.meerkat.runtime.core.loop.LoopSettings;
import io.meerkat.runtime.core.loop.RuntimeLoop;
import io.meerkat.runtime.core.policy.DelayScheduler;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process {@link MeerkatRuntime}: sessions keyed by id, one runtime loop each on a shared
 * scheduler, executors created per session by kind, one completion registry for all.
 *
 * <p>Executor kinds come from fixed factories and, optionally, an {@link ExecutorCatalog} whose
 * kinds come and go (plugins); a fixed factory wins over a catalog kind of the same name. When the
 * catalog withdraws kinds, the sessions running them are stopped with the catalog's reason.
 */
public final class LocalMeerkatRuntime implements MeerkatRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(LocalMeerkatRuntime.class);

    /** The most batches one store transaction takes (group commit). */
    private static final int STORE_GROUP = 512;

    /** What {@link #removeSession} tells the waiters it terminates (Meerkat 0.5's wording for removal). */
    public static final String SESSION_UNREGISTERED = "runtime session unregistered";

    private final Map<String, ExecutorFactory> factories;
    private final ExecutorCatalog catalog;
    private final CompletionRegistry completions;
    private final Executor scheduler;
    private final Executor blockingExecutor;
    private final DelayScheduler delays;
    private final RuntimeSettings settings;
    private final RunObserver runObserver;
    /** The loop settings of every session without a run duration of its own: one instance, shared. */
    private final LoopSettings defaultLoopSettings;
    private final InputValidator validator;
    private final QueuedPayloadBudget queuedPayload;
    private final List<AutoCloseable> owned;
    private final ConcurrentHashMap<SessionId, LocalSession> sessions = new ConcurrentHashMap<>();
    /** Ids of sessions being created: reserved, so that two creations of one id never both write it down. */
    private final Set<SessionId> creating = ConcurrentHashMap.newKeySet();
    /** Where sessions are kept, or {@code null} when the runtime keeps them in memory only. */
    private final RuntimeStore runtimeStore;
    /** Writes to {@link #runtimeStore} with group commit; {@code null} without a store. */
    private final GroupCommitter store;
    /** This runtime's part in a cluster sharing its store; {@code null} unless the store is a cluster store. */
    private final LeaseKeeper cluster;
    private volatile boolean closed;

    /**
     * @param catalog kinds that may change while the runtime runs; {@code null} for none
     * @param owned   resources the runtime closes last (its own pools, a registry it looked up itself)
     */
    public LocalMeerkatRuntime(Map<String, ExecutorFactory> factories, ExecutorCatalog catalog,
                               CompletionRegistry completions, Executor scheduler, Executor blockingExecutor,
                               DelayScheduler delays, RuntimeSettings settings, List<AutoCloseable> owned) {
        this(factories, catalog, completions, scheduler, blockingExecutor, delays, settings, owned, null);
    }

    /**
     * @param store where sessions are written before they change, or {@code null} to keep them in memory
     *              only (the runtime does not close it); call {@link #recover} before the runtime is used, to
     *              take up what it holds
     */
    public LocalMeerkatRuntime(Map<String, ExecutorFactory> factories, ExecutorCatalog catalog,
                               CompletionRegistry completions, Executor scheduler, Executor blockingExecutor,
                               DelayScheduler delays, RuntimeSettings settings, List<AutoCloseable> owned,
                               RuntimeStore store) {
        this(factories, catalog, completions, scheduler, blockingExecutor, delays, settings, owned, store, null,
                RunObserver.NONE);
    }

    /**
     * @param node who this runtime is among the runtimes sharing {@code store}, when the store is a cluster
     *             store ({@link RuntimeStore#cluster()}); {@code null} picks a node id from the host name and
     *             process id, with no address
     * @param runs hears every session's runs start and end
     */
    public LocalMeerkatRuntime(Map<String, ExecutorFactory> factories, ExecutorCatalog catalog,
                               CompletionRegistry completions, Executor scheduler, Executor blockingExecutor,
                               DelayScheduler delays, RuntimeSettings settings, List<AutoCloseable> owned,
                               RuntimeStore store, NodeIdentity node, RunObserver runs) {
        this.runObserver = Objects.requireNonNull(runs, "runs");
        this.runtimeStore = store;
        this.store = store == null ? null : new GroupCommitter(store, STORE_GROUP, task -> {
            Thread writer = new Thread(task, "meerkat-store-writer");
            writer.setDaemon(true);
            return writer;
        }, java.time.Duration.ofMillis(settings.shutdownTimeoutMillis()));
        this.factories = Map.copyOf(factories);
        this.catalog = catalog;
        this.completions = completions;
        this.scheduler = scheduler;
        this.blockingExecutor = blockingExecutor;
        this.delays = delays;
        this.settings = settings;
        this.defaultLoopSettings = new LoopSettings(settings.loopThroughput(), settings.retryPolicy(),
                settings.maxRunDuration(), delays);
        this.validator = new InputValidator(settings.maxPayloadChars());
        this.queuedPayload = new QueuedPayloadBudget(settings.maxQueuedCharsRuntime());
        Optional<ClusterStore> clusterStore = store == null ? Optional.empty() : store.cluster();
        this.cluster = clusterStore.map(shared -> new LeaseKeeper(shared,
                node != null ? node.nodeId() : NodeIds.fromHost(), node != null ? node.advertise() : () -> null,
                new KeeperHost())).orElse(null);
        List<AutoCloseable> closedLast = new ArrayList<>();
        if (this.store != null) {
            // First of the resources closed last: every loop has ended by then, so nothing writes any more.
            closedLast.add(this.store);
        }
        if (cluster != null) {
            this.store.onOwnershipLost(cluster::lost);
            // Right after the last write: the leases let go now are claimed by other nodes at once.
            closedLast.add(cluster::leave);
        }
        closedLast.addAll(owned);
        this.owned = List.copyOf(closedLast);
        if (catalog != null) {
            catalog.addWithdrawalListener(this::stopSessionsOf);
        }
    }

    @Override
    public SessionHandle createSession(SessionSpec spec) {
        Objects.requireNonNull(spec, "spec");
        ensureOpen();
        SessionId sessionId = spec.sessionId() != null ? spec.sessionId() : SessionId.random();
        if (sessions.containsKey(sessionId) || !creating.add(sessionId)) {
            throw new DuplicateSessionException(sessionId);
        }
        if (cluster != null && cluster.draining()) {
            creating.remove(sessionId);
            throw new SessionMovedException(sessionId, null);
        }
        try {
            return create(sessionId, spec);
        } finally {
            creating.remove(sessionId);
        }
    }

    /** Creates a session whose id this thread reserved in {@link #creating}. */
    private SessionHandle create(SessionId sessionId, SessionSpec spec) {
        if (sessions.containsKey(sessionId)) {
            throw new DuplicateSessionException(sessionId);
        }
        ExecutorFactory factory = null;
        if (spec.executorKind() != null) {
            factory = factoryFor(spec.executorKind())
                    .orElseThrow(() -> new UnknownExecutorException(spec.executorKind(), executorKinds()));
            refuseUndeclaredKeys(factory, spec);
        }
        StoredSession stored = null;
        // The lease the session was created under, when several nodes share the store.
        Fence fence = null;
        if (store != null) {
            stored = new StoredSession(sessionId, spec.executorKind(), withoutSecrets(factory, spec.config()),
                    RuntimeState.IDLE, Instant.now(), spec.maxRunDuration());
            // Before anything else: a session nobody could recover is never created.
            try {
                if (cluster == null) {
                    store.write(StoreBatch.of(new StoreChange.PutSession(stored)));
                } else {
                    if (spec.sessionId() != null && cluster.owner(sessionId).isPresent()) {
                        // Another node's session: the lease below would be refused, this says why.
                        throw new DuplicateSessionException(sessionId);
                    }
                    // With its lease, held by this node at epoch 1: no other node can claim it in between.
                    cluster.creating(sessionId);
                    try {
                        store.write(StoreBatch.of(new StoreChange.PutSession(stored),
                                new StoreChange.NewLease(sessionId, cluster.nodeId())));
                    } catch (RuntimeException e) {
                        cluster.creationFailed(sessionId);
                        if (spec.sessionId() != null && e instanceof StoreUnavailableException && ownedElsewhere(sessionId, e)) {
                            // Another node created the same id between the check above and this write: its lease
                            // refused ours. That is a duplicate, as it would have been a moment later.
                            DuplicateSessionException duplicate = new DuplicateSessionException(sessionId);
                            duplicate.addSuppressed(e);
                            throw duplicate;
                        }
                        throw e;
                    }
                    fence = cluster.created(sessionId);
                }
            } catch (StoreUnavailableException e) {
                // The runtime closed after ensureOpen (its committer refuses every write from then on).
                if (closed) {
                    RuntimeClosedException refused = new RuntimeClosedException();
                    refused.addSuppressed(e);
                    throw refused;
                }
                throw e;
            }
        }
        try {
            return start(new SessionSpec(sessionId, spec.executorKind(), spec.config(), spec.maxRunDuration()),
                    factory, stored, List.of(), fence);
        } catch (RuntimeException | Error e) {
            forgetStored(sessionId, fence, e);
            if (cluster != null) {
                cluster.creationFailed(sessionId);
            }
            throw e;
        }
    }

    /** Whether the store now has the session (another node's), after {@code refused} refused its creation here. */
    private boolean ownedElsewhere(SessionId sessionId, RuntimeException refused) {
        try {
            return cluster.owner(sessionId).isPresent();
        } catch (RuntimeException unreadable) {
            refused.addSuppressed(unreadable);
            return false;
        }
    }

    /**
     * Builds and publishes a session: created now, or recovered from {@code stored} with {@code recovered}
     * (taken up before the session is published, so that nothing runs or is admitted before them).
     */
    private LocalSession start(SessionSpec spec, ExecutorFactory factory, StoredSession stored,
                               List<StoredInput> recovered, Fence fence) {
        SessionId sessionId = spec.sessionId();
        if (cluster != null && fence == null) {
            // Never unfenced on a shared store: such a driver's writes would land whoever holds the session.
            throw new IllegalStateException("session " + sessionId + " is not held by node " + cluster.nodeId());
        }
        SessionEvents events = new SessionEvents(sessionId, blockingExecutor);
        SessionDriver driver = newDriver(sessionId, spec.executorKind(), events, stored, fence);
        CoreExecutor executor = factory == null ? null
                : factory.create(new ExecutorContext(sessionId, spec.executorKind(), spec.config(), blockingExecutor,
                        reportsTo(driver)));
        if (factory != null && executor == null) {
            // Without an executor the session would queue every input for ever: refused, with the culprit.
            driver.closeEvents();
            throw new IllegalStateException("executor factory " + factory.getClass().getName() + " for kind '"
                    + spec.executorKind() + "' returned no executor");
        }
        RuntimeLoop loop = executor == null ? null
                : new RuntimeLoop(driver, completions, executor, scheduler, spec.maxRunDuration() == null
                        ? defaultLoopSettings
                        : new LoopSettings(settings.loopThroughput(), settings.retryPolicy(), spec.maxRunDuration(), delays));
        if (!recovered.isEmpty()) {
            // Once the executor exists (its creation may fail, and the inputs would be counted for nothing).
            try {
                driver.restore(recovered, runId -> runtimeStore.receipt(sessionId, runId).isPresent());
            } catch (RuntimeException e) {
                closeQuietly(executor);
                driver.closeEvents();
                throw e;
            }
        }
        LocalSession session = new LocalSession(driver, loop, validator, completions, events, runtimeStore);
        if (loop != null) {
            // Before the session is published: once in the map, a submit may start its loop.
            driver.attachExecutor();
        }
        if (sessions.putIfAbsent(sessionId, session) != null) {
            closeQuietly(executor);
            throw new DuplicateSessionException(sessionId);
        }
        if (closed) {
            // close() may have walked the map before this session joined it.
            session.stopDirectly("runtime closed", false);
            throw new RuntimeClosedException();
        }
        if (factory != null && factoryFor(spec.executorKind()).orElse(null) != factory) {
            // The kind was withdrawn meanwhile. Dekker-style pairing with stopSessionsOf: it removes the
            // kind, then scans the map; this session was put in the map, then the kind re-read. At least
            // one side sees the other, so the session is stopped either there or here.
            sessions.remove(sessionId, session);
            session.stopDirectly("executor kind '" + spec.executorKind() + "' was withdrawn", false);
            throw new UnknownExecutorException(spec.executorKind(), executorKinds());
        }
        return session;
    }

    /**
     * Takes up every session the store holds, with its inputs, by Meerkat 0.5's recovery rules: a session
     * gets its executor again from the factory of its kind; one whose kind is missing (its plugin is not
     * installed) or whose executor cannot be created is listed with the reason
     * ({@link io.meerkat.runtime.api.SessionStatus#executorUnavailable()}) and its inputs kept, to run once
     * a runtime that has the kind opens the store. Inputs follow {@link SessionDriver#restore}; a RETIRED
     * session drains again, a STOPPED or DESTROYED one comes back as it ended (no executor is created for
     * it). Call once, before the runtime is used; a no-op without a store.
     *
     * @return how many sessions were taken up
     * @throws io.meerkat.runtime.api.StoreUnavailableException if the store cannot be read
     */
    public int recover() {
        if (runtimeStore == null) {
            return 0;
        }
        if (cluster != null) {
            // Only the sessions this node now holds: the others run on their owners.
            List<SessionId> held = cluster.join().stream().map(Lease::sessionId).toList();
            int recovered = recoverFrom(visitor -> runtimeStore.cluster().orElseThrow().load(held, visitor));
            cluster.start();
            LOG.info("node {} joined the cluster with {} sessions", cluster.nodeId(), recovered);
            return recovered;
        }
        return recoverFrom(runtimeStore::load);
    }

    /** Takes up what {@code load} hands to its visitor, by the rules of {@link #recover}. */
    private int recoverFrom(Consumer<StoreVisitor> load) {
        // Each session is taken up as soon as its last input is read, so what was decoded for it dies young
        // instead of the whole store being held in the heap at once (the garbage collector copying it all
        // was a third of the time to ready). The store reads one snapshot; what recovery writes meanwhile is
        // not seen by this load (RuntimeStore#load). Two things wait for the end of the load:
        // - a session whose take-up reads the store (the receipt of a run a crash cut short): the load may
        //   hold the store's only read connection (RuntimeStore#load: the visitor must not read);
        // - every resumption (runs, retires, stops): a load that fails half-way has run nothing (what take-up
        //   wrote, recovery's own rule changes, is written again alike on the next start), and build() closes
        //   the runtime.
        List<Runnable> resumptions = new ArrayList<>();
        Map<StoredSession, List<StoredInput>> readingReceipts = new LinkedHashMap<>();
        var reader = new StoreVisitor() {
            private StoredSession current;
            private List<StoredInput> inputs = new ArrayList<>();
            private boolean readsReceipt;
            int sessions;
            long inputCount;

            @Override
            public void session(StoredSession session) {
                takeUpCurrent();
                current = session;
            }

            @Override
            public void input(StoredInput input) {
                inputs.add(input);
                readsReceipt |= SessionDriver.readsReceiptOnRestore(input);
            }

            void takeUpCurrent() {
                if (current == null) {
                    return;
                }
                if (readsReceipt) {
                    readingReceipts.put(current, inputs);
                } else {
                    takeUp(current, inputs, resumptions);
                }
                sessions++;
                inputCount += inputs.size();
                current = null;
                inputs = new ArrayList<>();
                readsReceipt = false;
            }
        };
        load.accept(reader);
        reader.takeUpCurrent();
        readingReceipts.forEach((stored, inputs) -> takeUp(stored, inputs, resumptions));
        resumptions.forEach(Runnable::run);
        if (reader.sessions > 0) {
            LOG.info("recovered {} sessions and {} inputs from the store", reader.sessions, reader.inputCount);
        }
        return reader.sessions;
    }

    /** Takes up one stored session and adds how to resume it to {@code resumptions}. */
    private void takeUp(StoredSession stored, List<StoredInput> inputs, List<Runnable> resumptions) {
        LocalSession session = recover(stored, inputs);
        if (session != null) {
            RuntimeState kept = stored.state();
            boolean ended = kept == RuntimeState.STOPPED || kept == RuntimeState.DESTROYED;
            long endedAt = ended ? lastChange(stored, inputs) : 0;
            resumptions.add(() -> {
                session.resumeAfterRecovery(kept);
                if (ended) {
                    session.endedAt(endedAt);
                }
            });
        }
    }

    /** Takes up one stored session without resuming it; {@code null} if it cannot be taken up (logged). */
    private LocalSession recover(StoredSession stored, List<StoredInput> inputs) {
        SessionId sessionId = stored.id();
        Fence fence = cluster == null ? null : cluster.fenceOf(sessionId);
        if (cluster != null && fence == null) {
            // Lost between its claim and this take-up (a renewal found another owner): the other node runs it.
            LOG.info("session {} is no longer held by this node; not taken up", sessionId);
            return null;
        }
        SessionSpec spec = new SessionSpec(sessionId, stored.executorKind(), stored.config(), stored.maxRunDuration());
        boolean ended = stored.state() == RuntimeState.STOPPED || stored.state() == RuntimeState.DESTROYED;
        ExecutorFactory factory = null;
        String unavailable = null;
        if (stored.executorKind() != null && !ended) {
            factory = factoryFor(stored.executorKind()).orElse(null);
            if (factory == null) {
                unavailable = "executor_unavailable: no executor of kind '" + stored.executorKind()
                        + "' is installed; the session's inputs are kept until one is";
            }
        }
        LocalSession session;
        try {
            session = start(spec, factory, stored, inputs, fence);
        } catch (RuntimeException e) {
            if (factory == null) {
                skipUnrecoverable(stored, e);
                return null;
            }
            // Its executor could not be created (or the session cannot be taken up: then the second try fails
            // too): the session is kept, without one, and says why.
            LOG.warn("session {}: its executor of kind '{}' could not be created on recovery", sessionId,
                    stored.executorKind(), e);
            unavailable = "executor_unavailable: executor of kind '" + stored.executorKind() + "' failed to start: " + e;
            try {
                session = start(spec, null, stored, inputs, fence);
            } catch (RuntimeException again) {
                again.addSuppressed(e);
                skipUnrecoverable(stored, again);
                return null;
            }
        }
        if (unavailable != null) {
            session.executorUnavailable(unavailable);
            LOG.warn("session {}: {}", sessionId, unavailable);
        }
        return session;
    }

    /**
     * The newest time the store knows of a session (an ended one's end is not kept): its inputs' newest
     * transition (a stop or destroy finishes every input it finds), else its creation.
     */
    private static long lastChange(StoredSession stored, List<StoredInput> inputs) {
        long last = stored.created().toEpochMilli();
        for (StoredInput input : inputs) {
            List<InputTransitionRecord> history = input.status().history();
            if (!history.isEmpty()) {
                last = Math.max(last, history.get(history.size() - 1).at().toEpochMilli());
            }
        }
        return last;
    }

    /**
     * Removes (from the store, then from memory, as {@link #removeSession} does) every session that was
     * stopped or destroyed before {@code endedBefore}: the store's pruning of ended sessions, which would
     * otherwise be kept, and taken up by every start, for ever. One the store refuses to remove is kept and
     * tried again at the next prune.
     *
     * @return how many sessions were removed
     */
    public int pruneEndedSessions(Instant endedBefore) {
        long before = endedBefore.toEpochMilli();
        int removed = 0;
        for (Map.Entry<SessionId, LocalSession> entry : sessions.entrySet()) {
            long ended = entry.getValue().endedAtMillis();
            if (ended == 0 || ended > before || closed) {
                continue;
            }
            try {
                removeSession(entry.getKey());
                removed++;
            } catch (SessionNotFoundException gone) {
                LOG.debug("session {} was removed meanwhile", entry.getKey(), gone);
            } catch (StoreUnavailableException e) {
                LOG.warn("session {}: the store refused to forget the ended session; trying again at the next prune",
                        entry.getKey(), e);
            }
        }
        return removed;
    }

    /**
     * A stored session the runtime cannot take up (what the store holds of it breaks the recovery rules):
     * left in the store as it is and not listed, so that one bad session does not keep the others down.
     */
    private static void skipUnrecoverable(StoredSession stored, RuntimeException cause) {
        LOG.error("session {} could not be recovered from the store; it is left there as it is, and not listed",
                stored.id(), cause);
    }

    private SessionDriver newDriver(SessionId sessionId, String executorKind, SessionEvents events,
                                    StoredSession stored, Fence fence) {
        return new SessionDriver(sessionId, executorKind,
                new Ingress(settings.finishedInputRetention(), settings.maxQueuedInputs(),
                        settings.maxQueuedCharsPerSession(), queuedPayload),
                events, runObserver, settings.maxBatchSize(), settings.retryPolicy().maxAttempts(), store, stored, fence);
    }

    /** The config as a store may keep it: without the values of keys the executor declares secret. */
    private static Map<String, String> withoutSecrets(ExecutorFactory factory, Map<String, String> config) {
        if (factory == null || config.isEmpty()) {
            return config;
        }
        Map<String, String> kept = new TreeMap<>();
        config.forEach((key, value) -> {
            if (!factory.configKey(key).map(ConfigKey::secret).orElse(false)) {
                kept.put(key, value);
            }
        });
        return kept;
    }

    /**
     * Takes a session whose creation failed after it was written back out of the store.
     *
     * @param fence the lease it was created under (several nodes share the store), else {@code null}
     */
    private void forgetStored(SessionId sessionId, Fence fence, Throwable creationFailure) {
        if (store == null) {
            return;
        }
        try {
            // Straight to the store, not through the group committer: a creation fails this way when the runtime
            // closed meanwhile, and close() may have closed the committer already. Fenced: if the lease lapsed
            // meanwhile, another node runs the session now, and its rows are that node's.
            runtimeStore.commit(List.of(new StoreBatch(List.of(new StoreChange.RemoveSession(sessionId)), fence)));
        } catch (OwnershipLostException e) {
            creationFailure.addSuppressed(e);
            LOG.warn("session {}: its creation failed, and another node took it over meanwhile: left to that node",
                    sessionId, e);
        } catch (RuntimeException e) {
            creationFailure.addSuppressed(e);
            LOG.warn("session {}: its creation failed and it could not be taken out of the store again; "
                    + "the next runtime to open the store recovers it", sessionId, e);
        }
    }

    @Override
    public Optional<SessionHandle> session(SessionId sessionId) {
        Objects.requireNonNull(sessionId, "sessionId");
        return Optional.ofNullable(sessions.get(sessionId));
    }

    @Override
    public Collection<SessionHandle> sessions() {
        return List.copyOf(sessions.values());
    }

    @Override
    public LifecycleReport removeSession(SessionId sessionId) {
        Objects.requireNonNull(sessionId, "sessionId");
        LocalSession session = sessions.get(sessionId);
        if (session == null) {
            throw new SessionNotFoundException(sessionId);
        }
        // First out of the store (a failed write leaves the session as it was), then out of memory.
        if (cluster != null) {
            // Its lease may be gone from the store before removed() below: no renewal meanwhile takes it for lost.
            cluster.removing(sessionId);
        }
        try {
            session.removeFromStore();
        } catch (RuntimeException e) {
            if (cluster != null) {
                cluster.removalFailed(sessionId);
            }
            throw e;
        }
        if (cluster != null) {
            // Its lease went with its rows.
            cluster.removed(sessionId);
        }
        if (!sessions.remove(sessionId, session)) {
            throw new SessionNotFoundException(sessionId);
        }
        try {
            return session.destroy(SESSION_UNREGISTERED, false);
        } catch (IllegalTransitionException alreadyDestroyed) {
            return new LifecycleReport(session.state(), 0, 0, 0);
        } finally {
            // The session is gone for good: its remembered outcomes go too. Again once its loop has ended,
            // for the outcomes of a run the loop was resolving while the session was destroyed, unless the id
            // belongs to a new session by then (whose outcomes are not this one's to forget).
            completions.forgetSession(sessionId);
            session.termination().whenComplete((ended, failure) -> {
                if (!sessions.containsKey(sessionId)) {
                    completions.forgetSession(sessionId);
                }
            });
        }
    }

    /** The content, in characters, the unfinished inputs of every session hold now. */
    public long queuedPayloadChars() {
        return queuedPayload.used();
    }

    @Override
    public Optional<RuntimeCluster> cluster() {
        return Optional.ofNullable(cluster);
    }

    /** What the lease keeper has this runtime do; see {@link LeaseKeeper.Host}. */
    private final class KeeperHost implements LeaseKeeper.Host {

        @Override
        public void takeUp(List<Lease> claimed) {
            if (closed) {
                return;
            }
            List<SessionId> ids = claimed.stream().map(Lease::sessionId).toList();
            int recovered = recoverFrom(visitor -> runtimeStore.cluster().orElseThrow().load(ids, visitor));
            LOG.info("took up {} of {} sessions claimed from other nodes", recovered, ids.size());
        }

        @Override
        public void drop(Collection<SessionId> lost, String reason) {
            for (SessionId sessionId : lost) {
                LocalSession session = sessions.remove(sessionId);
                if (session == null) {
                    continue;
                }
                // Not kept: the store is the new owner's now (and refuses this node's writes of the session).
                session.stopDirectly(reason, false);
                session.termination().whenComplete((ended, failure) -> {
                    if (!sessions.containsKey(sessionId)) {
                        // Waiters the loop left, then what the registry remembers of the session: taken up here
                        // again later, it must not answer outcomes another node's runs decided otherwise.
                        completions.resolveAllTerminated(sessionId, reason);
                        completions.forgetSession(sessionId);
                    }
                });
            }
        }

        @Override
        public void refuseNewRuns() {
            sessions.values().forEach(LocalSession::refuseNewRuns);
        }

        @Override
        public int runsInFlight() {
            int inFlight = 0;
            for (LocalSession session : sessions.values()) {
                if (session.hasRunInFlight()) {
                    inFlight++;
                }
            }
            return inFlight;
        }
    }

    @Override
    public Set<String> executorKinds() {
        if (catalog == null) {
            return factories.keySet();
        }
        Set<String> kinds = new HashSet<>(factories.keySet());
        kinds.addAll(catalog.kinds());
        return Set.copyOf(kinds);
    }

    /** The listener a session's executor reports to: the session's driver publishes each report. */
    private static RunProgressListener reportsTo(SessionDriver driver) {
        return new RunProgressListener() {
            @Override
            public void onProgress(RunId runId, String message) {
                driver.reportProgress(runId, message);
            }

            @Override
            public void onOutputDelta(RunId runId, String text) {
                driver.reportOutputDelta(runId, text);
            }
        };
    }

    /** A key the factory does not read would be ignored silently (a misspelt {@code "stpes"}): refused instead. */
    private static void refuseUndeclaredKeys(ExecutorFactory factory, SessionSpec spec) {
        for (String key : new TreeSet<>(spec.config().keySet())) {
            if (factory.configKey(key).isEmpty()) {
                throw new IllegalArgumentException("executor '" + spec.executorKind() + "': unknown config key '" + key
                        + "'; its keys: " + factory.configKeys().stream().map(ConfigKey::name).toList());
            }
        }
    }

    private Optional<ExecutorFactory> factoryFor(String kind) {
        ExecutorFactory fixed = factories.get(kind);
        if (fixed != null || catalog == null) {
            return Optional.ofNullable(fixed);
        }
        return catalog.factory(kind);
    }

    /** Stops every session running one of the withdrawn kinds and waits until their executors are closed. */
    private void stopSessionsOf(Set<String> kinds, String reason) {
        List<CompletableFuture<Void>> terminations = new ArrayList<>();
        for (LocalSession session : sessions.values()) {
            String kind = session.executorKind();
            if (kind != null && kinds.contains(kind) && !factories.containsKey(kind)) {
                // Not kept: once the kind is back (a restart, the plugin reinstalled) the session runs again.
                session.stopDirectly(reason, false);
                terminations.add(session.termination());
            }
        }
        if (!terminations.isEmpty()) {
            LOG.info("stopped {} sessions: {}", terminations.size(), reason);
            awaitTerminations(terminations);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (cluster != null) {
            // No claim or take-up from here on; the leases are let go once the last write is done (owned).
            cluster.stop();
        }
        List<CompletableFuture<Void>> terminations = new ArrayList<>(sessions.size());
        for (LocalSession session : sessions.values()) {
            // Not kept by the store: the next runtime to open it takes the sessions up where they were.
            session.stopDirectly("runtime closed", false);
            terminations.add(session.termination());
        }
        awaitTerminations(terminations);
        for (SessionId sessionId : sessions.keySet()) {
            // Per session, never registry-wide: a registry given to the builder may be shared with other
            // runtimes, whose waiters this close must not touch (one it owns is closed just below).
            completions.resolveAllTerminated(sessionId, "runtime closed");
        }
        for (AutoCloseable resource : owned) {
            closeQuietly(resource);
        }
    }

    private void awaitTerminations(List<CompletableFuture<Void>> terminations) {
        try {
            CompletableFuture.allOf(terminations.toArray(CompletableFuture[]::new))
                    .get(settings.shutdownTimeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("{} runtime loops did not end within {} ms (an executor's apply did not finish)",
                    terminations.stream().filter(t -> !t.isDone()).count(), settings.shutdownTimeoutMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("interrupted while waiting for runtime loops to end");
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.warn("a runtime loop ended abnormally", e.getCause());
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new RuntimeClosedException();
        }
    }

    private static void closeQuietly(AutoCloseable resource) {
        if (resource == null) {
            return;
        }
        try {
            resource.close();
        } catch (Exception e) {
            LOG.warn("failed to close {}", resource, e);
        }
    }
}
