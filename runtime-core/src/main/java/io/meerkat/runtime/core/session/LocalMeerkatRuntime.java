package io.meerkat.runtime.core.session;

import io.meerkat.runtime.api.DuplicateSessionException;
import io.meerkat.runtime.api.IllegalTransitionException;
import io.meerkat.runtime.api.LifecycleReport;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RuntimeClosedException;
import io.meerkat.runtime.api.SessionHandle;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionNotFoundException;
import io.meerkat.runtime.api.SessionSpec;
import io.meerkat.runtime.api.UnknownExecutorException;
import io.meerkat.runtime.api.spi.CompletionRegistry;
import io.meerkat.runtime.api.spi.ConfigKey;
import io.meerkat.runtime.api.spi.CoreExecutor;
import io.meerkat.runtime.api.spi.ExecutorCatalog;
import io.meerkat.runtime.api.spi.ExecutorContext;
import io.meerkat.runtime.api.spi.ExecutorFactory;
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

    /** What {@link #removeSession} tells the waiters it terminates (Meerkat 0.5's wording for removal). */
    public static final String SESSION_UNREGISTERED = "runtime session unregistered";

    private final Map<String, ExecutorFactory> factories;
    private final ExecutorCatalog catalog;
    private final CompletionRegistry completions;
    private final Executor scheduler;
    private final Executor blockingExecutor;
    private final DelayScheduler delays;
    private final RuntimeSettings settings;
    private final InputValidator validator;
    private final QueuedPayloadBudget queuedPayload;
    private final List<AutoCloseable> owned;
    private final ConcurrentHashMap<SessionId, LocalSession> sessions = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param catalog kinds that may change while the runtime runs; {@code null} for none
     * @param owned   resources the runtime closes last (its own pools, a registry it looked up itself)
     */
    public LocalMeerkatRuntime(Map<String, ExecutorFactory> factories, ExecutorCatalog catalog,
                               CompletionRegistry completions, Executor scheduler, Executor blockingExecutor,
                               DelayScheduler delays, RuntimeSettings settings, List<AutoCloseable> owned) {
        this.factories = Map.copyOf(factories);
        this.catalog = catalog;
        this.completions = completions;
        this.scheduler = scheduler;
        this.blockingExecutor = blockingExecutor;
        this.delays = delays;
        this.settings = settings;
        this.validator = new InputValidator(settings.maxPayloadChars());
        this.queuedPayload = new QueuedPayloadBudget(settings.maxQueuedCharsRuntime());
        this.owned = List.copyOf(owned);
        if (catalog != null) {
            catalog.addWithdrawalListener(this::stopSessionsOf);
        }
    }

    @Override
    public SessionHandle createSession(SessionSpec spec) {
        Objects.requireNonNull(spec, "spec");
        ensureOpen();
        SessionId sessionId = spec.sessionId() != null ? spec.sessionId() : SessionId.random();
        if (sessions.containsKey(sessionId)) {
            throw new DuplicateSessionException(sessionId);
        }
        ExecutorFactory factory = null;
        if (spec.executorKind() != null) {
            factory = factoryFor(spec.executorKind())
                    .orElseThrow(() -> new UnknownExecutorException(spec.executorKind(), executorKinds()));
            refuseUndeclaredKeys(factory, spec);
        }
        SessionEvents events = new SessionEvents(sessionId, blockingExecutor);
        SessionDriver driver = new SessionDriver(sessionId, spec.executorKind(),
                new Ingress(settings.finishedInputRetention(), settings.maxQueuedInputs(),
                        settings.maxQueuedCharsPerSession(), queuedPayload),
                events, settings.maxBatchSize(), settings.retryPolicy().maxAttempts());
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
                : new RuntimeLoop(driver, completions, executor, scheduler, new LoopSettings(settings.loopThroughput(),
                        settings.retryPolicy(), spec.maxRunDuration() != null ? spec.maxRunDuration()
                        : settings.maxRunDuration(), delays));
        LocalSession session = new LocalSession(driver, loop, validator, completions, events);
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
            session.stopDirectly("runtime closed");
            throw new RuntimeClosedException();
        }
        if (factory != null && factoryFor(spec.executorKind()).orElse(null) != factory) {
            // The kind was withdrawn meanwhile. Dekker-style pairing with stopSessionsOf: it removes the
            // kind, then scans the map; this session was put in the map, then the kind re-read. At least
            // one side sees the other, so the session is stopped either there or here.
            sessions.remove(sessionId, session);
            session.stopDirectly("executor kind '" + spec.executorKind() + "' was withdrawn");
            throw new UnknownExecutorException(spec.executorKind(), executorKinds());
        }
        return session;
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
        LocalSession session = sessions.remove(sessionId);
        if (session == null) {
            throw new SessionNotFoundException(sessionId);
        }
        try {
            return session.destroy(SESSION_UNREGISTERED);
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
                session.stopDirectly(reason);
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
        List<CompletableFuture<Void>> terminations = new ArrayList<>(sessions.size());
        for (LocalSession session : sessions.values()) {
            session.stopDirectly("runtime closed");
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
