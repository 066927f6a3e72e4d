package io.meerkat.plugin.host;

import io.meerkat.runtime.api.spi.ExecutorCatalog;
import io.meerkat.runtime.api.spi.ExecutorFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.pf4j.PluginRuntimeException;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the executor plugins of one folder with PF4J and serves their {@link ExecutorFactory}
 * extensions by {@link ExecutorFactory#kind() kind}; hand it to the runtime builder as its
 * {@link ExecutorCatalog}.
 *
 * <pre>{@code
 * try (ExecutorPluginHost plugins = ExecutorPluginHost.start(Path.of("plugins"));
 *      MeerkatRuntime runtime = MeerkatRuntimeBuilder.newBuilder().executorCatalog(plugins).build()) {
 *     runtime.createSession(SessionSpec.of("echo"));
 * }
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>A broken plugin never stops the host: an unreadable archive or manifest, a missing class, an
 *       exception in {@code start}, a {@code Plugin-Requires} this runtime does not meet, a missing
 *       plugin dependency, no executor kind served, a kind another plugin also declares (both fail,
 *       each naming the other: no plugin silently takes a kind from another). Each is logged and reported by
 *       {@link #plugins()} as {@link PluginStatus#FAILED} with its reason; the other plugins work.</li>
 *   <li>Stopping or unloading a plugin first withdraws its kinds: new sessions can no longer ask for
 *       them, and the runtime stops the sessions that run them (with the reason) and closes their
 *       executors. Only then are the plugin's factories closed and the plugin stopped. An unloaded
 *       plugin's class loader is released.</li>
 *   <li>Every PF4J call runs on one owner thread ({@code meerkat-plugin-host}): PF4J is not thread
 *       safe. Lookups ({@link #factory}, {@link #kinds}, {@link #plugins}) read published snapshots
 *       and never wait for it.</li>
 * </ul>
 */
public final class ExecutorPluginHost implements ExecutorCatalog, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ExecutorPluginHost.class);
    private static final String OWNER_THREAD_NAME = "meerkat-plugin-host";

    private final Path pluginsRoot;
    private final String runtimeVersion;
    private final ExecutorService owner;
    private volatile Thread ownerThread;
    private final List<WithdrawalListener> listeners = new CopyOnWriteArrayList<>();

    // Owner-confined state.
    private HostPluginManager manager;
    private final Map<String, PluginReport> reports = new LinkedHashMap<>();
    private final Map<String, List<ExecutorFactory>> factoriesByPlugin = new HashMap<>();
    private boolean closed;

    // Published by the owner after every change; read by any thread.
    private volatile Map<String, ExecutorFactory> served = Map.of();
    private volatile List<PluginReport> published = List.of();

    private ExecutorPluginHost(Path pluginsRoot, String runtimeVersion) {
        this.pluginsRoot = pluginsRoot;
        this.runtimeVersion = runtimeVersion;
        this.owner = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, OWNER_THREAD_NAME);
            thread.setDaemon(true);
            ownerThread = thread;
            return thread;
        });
    }

    /** Loads and starts every plugin in {@code pluginsRoot}, checking {@code Plugin-Requires} against this runtime. */
    public static ExecutorPluginHost start(Path pluginsRoot) {
        return start(pluginsRoot, RuntimeVersion.current());
    }

    /**
     * Loads and starts every plugin in {@code pluginsRoot} (a missing folder means no plugins).
     *
     * @param runtimeVersion the version {@code Plugin-Requires} is checked against, e.g. {@code 0.1.0}
     */
    public static ExecutorPluginHost start(Path pluginsRoot, String runtimeVersion) {
        Objects.requireNonNull(pluginsRoot, "pluginsRoot");
        ExecutorPluginHost host = new ExecutorPluginHost(pluginsRoot.toAbsolutePath(),
                RuntimeVersion.withoutQualifier(Objects.requireNonNull(runtimeVersion, "runtimeVersion")));
        host.onOwner(() -> {
            host.loadAll();
            return null;
        });
        return host;
    }

    /** The folder plugins are loaded from. */
    public Path pluginsRoot() {
        return pluginsRoot;
    }

    /** Every plugin the host has seen, by id. */
    public List<PluginReport> plugins() {
        return published;
    }

    /** The plugin with this id, if the host has seen it. */
    public Optional<PluginReport> plugin(String pluginId) {
        return published.stream().filter(report -> report.pluginId().equals(pluginId)).findFirst();
    }

    @Override
    public Optional<ExecutorFactory> factory(String kind) {
        return Optional.ofNullable(served.get(kind));
    }

    @Override
    public Set<String> kinds() {
        return served.keySet();
    }

    @Override
    public void addWithdrawalListener(WithdrawalListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Stops a started plugin, and first the plugins that depend on it: their kinds are withdrawn and
     * their sessions stopped with {@code reason}. Stopping a plugin that is not started changes nothing.
     *
     * @return the plugin's report afterwards
     * @throws IllegalArgumentException if the host has no plugin with this id
     */
    public PluginReport stopPlugin(String pluginId, String reason) {
        return onOwner(() -> {
            requireKnown(pluginId);
            if (reports.get(pluginId).status() == PluginStatus.STARTED) {
                for (String id : withDependents(pluginId)) {
                    stopOne(id, reason);
                }
                publish();
            }
            return reports.get(pluginId);
        });
    }

    /**
     * Starts a stopped or operator-disabled plugin (and the plugins it requires) and serves its kinds.
     *
     * @return the plugin's report afterwards: {@link PluginStatus#STARTED}, or {@link PluginStatus#FAILED} with the reason
     * @throws IllegalArgumentException if the host has no plugin with this id
     * @throws IllegalStateException    if the plugin is failed or unloaded
     */
    public PluginReport startPlugin(String pluginId) {
        return onOwner(() -> {
            PluginReport report = requireKnown(pluginId);
            switch (report.status()) {
                case STARTED -> {
                    return report;
                }
                case STOPPED, DISABLED -> {
                    try {
                        manager.startPlugin(pluginId);
                    } catch (PluginRuntimeException | LinkageError e) {
                        // The report carries the reason; the stack trace is for whoever asks for debug output.
                        LOG.warn("plugin '{}' failed to start: {}", pluginId, Reasons.describe(e));
                        LOG.debug("plugin '{}' failed to start", pluginId, e);
                    }
                    reconcile();
                    publish();
                    return reports.get(pluginId);
                }
                case FAILED, UNLOADED -> throw new IllegalStateException("plugin '" + pluginId + "' is "
                        + report.status().name().toLowerCase() + " and cannot be started: " + report.reason());
                default -> throw new IllegalStateException("unknown status " + report.status());
            }
        });
    }

    /**
     * Stops (see {@link #stopPlugin}) and unloads a plugin and the plugins that depend on it; their
     * class loaders are closed and nothing of the host refers to their classes any more.
     *
     * @return the plugin's report afterwards
     * @throws IllegalArgumentException if the host has no plugin with this id
     */
    public PluginReport unloadPlugin(String pluginId, String reason) {
        return onOwner(() -> {
            PluginReport report = requireKnown(pluginId);
            if (report.status() == PluginStatus.UNLOADED) {
                return report;
            }
            List<String> affected = withDependents(pluginId);
            for (String id : affected) {
                if (reports.get(id).status() == PluginStatus.STARTED) {
                    stopOne(id, reason);
                }
            }
            if (manager.getPlugin(pluginId) != null) {
                try {
                    manager.unloadPlugin(pluginId);
                } catch (PluginRuntimeException | LinkageError e) {
                    LOG.warn("plugin '{}' did not unload cleanly", pluginId, e);
                }
            }
            for (String id : affected) {
                factoriesByPlugin.remove(id);
                reports.computeIfPresent(id, (key, old) -> old.with(PluginStatus.UNLOADED, Set.of(), reason));
            }
            LOG.info("unloaded plugins {}: {}", affected, reason);
            publish();
            return reports.get(pluginId);
        });
    }

    /**
     * Stops every plugin (sessions first, reason {@code "plugin host closed"}), unloads them and ends
     * the owner thread. Idempotent.
     */
    @Override
    public void close() {
        if (owner.isShutdown()) {
            return;
        }
        onOwner(() -> {
            if (closed) {
                return null;
            }
            closed = true;
            List<String> started = new ArrayList<>();
            reports.forEach((id, report) -> {
                if (report.status() == PluginStatus.STARTED) {
                    started.add(id);
                }
            });
            for (String id : started) {
                for (String stopping : withDependents(id)) {
                    if (reports.get(stopping).status() == PluginStatus.STARTED) {
                        stopOne(stopping, "plugin host closed");
                    }
                }
            }
            try {
                manager.unloadPlugins();
            } catch (PluginRuntimeException | LinkageError e) {
                LOG.warn("plugins did not unload cleanly", e);
            }
            factoriesByPlugin.clear();
            reports.replaceAll((id, report) -> report.status() == PluginStatus.FAILED ? report
                    : report.with(PluginStatus.UNLOADED, Set.of(), "plugin host closed"));
            publish();
            return null;
        });
        owner.shutdown();
    }

    // ---------------------------------------------------------------- owner thread only

    private void loadAll() {
        manager = new HostPluginManager(pluginsRoot, runtimeVersion);
        try {
            manager.loadPlugins();
        } catch (PluginRuntimeException e) {
            // A dependency cycle aborts PF4J's resolution; the plugins involved stay unresolved and are reported below.
            LOG.warn("plugins in {} could not all be resolved: {}", pluginsRoot, Reasons.describe(e));
            LOG.debug("plugins in {} could not all be resolved", pluginsRoot, e);
        }
        for (HostPluginManager.LoadFailure failure : manager.loadFailures()) {
            reports.put(failure.pluginId(), new PluginReport(failure.pluginId(), "", failure.path(),
                    PluginStatus.FAILED, Set.of(), failure.reason()));
        }
        manager.droppedForDependencies().forEach((id, failure) -> reports.put(id,
                new PluginReport(id, "", failure.path(), PluginStatus.FAILED, Set.of(), failure.reason())));
        manager.startPlugins();
        reconcile();
        publish();
        for (PluginReport report : published) {
            if (report.status() == PluginStatus.STARTED) {
                LOG.info("plugin '{}' {} started, serving {}", report.pluginId(), report.version(), report.executorKinds());
            } else {
                LOG.warn("plugin '{}' is {}: {}", report.pluginId(), report.status().name().toLowerCase(), report.reason());
            }
        }
    }

    /** Brings every loaded plugin's report in line with PF4J's state, serving the kinds of newly started ones. */
    private void reconcile() {
        List<PluginWrapper> wrappers = new ArrayList<>(manager.getPlugins());
        wrappers.sort(Comparator.comparing(PluginWrapper::getPluginId));
        List<Candidate> candidates = new ArrayList<>();
        for (PluginWrapper wrapper : wrappers) {
            String id = wrapper.getPluginId();
            PluginReport current = reports.get(id);
            if (current != null && current.status() == PluginStatus.STARTED) {
                continue;
            }
            PluginReport base = new PluginReport(id, wrapper.getDescriptor().getVersion(), wrapper.getPluginPath(),
                    PluginStatus.FAILED, Set.of(), "");
            PluginState state = wrapper.getPluginState();
            if (state == PluginState.STARTED) {
                candidates.add(collect(wrapper, base));
            } else if (state == PluginState.DISABLED) {
                String incompatibility = manager.incompatibility(id);
                reports.put(id, incompatibility != null ? base.with(PluginStatus.FAILED, Set.of(), incompatibility)
                        : base.with(PluginStatus.DISABLED, Set.of(), "disabled by the operator"));
            } else if (state == PluginState.FAILED) {
                Throwable failure = wrapper.getFailedException();
                reports.put(id, base.with(PluginStatus.FAILED, Set.of(),
                        "failed to start: " + (failure == null ? "unknown error" : Reasons.describe(failure))));
            } else if (current == null) {
                reports.put(id, base.with(PluginStatus.FAILED, Set.of(),
                        "not started (PF4J state " + state + "; see the log for its dependencies)"));
            }
        }
        for (Candidate candidate : withCollisions(candidates)) {
            reports.put(candidate.base().pluginId(), activate(candidate));
        }
    }

    /** A started plugin's executor factories, not yet served, or the reason it cannot serve them. */
    private record Candidate(PluginReport base, List<ExecutorFactory> factories, Set<String> kinds, String problem) {

        Candidate failed(String reason) {
            return new Candidate(base, factories, kinds, problem == null ? reason : problem + "; " + reason);
        }
    }

    /** Creates a started plugin's executor factories; a plugin serving no kind is a failure unless others depend on it. */
    private Candidate collect(PluginWrapper wrapper, PluginReport base) {
        String id = wrapper.getPluginId();
        List<ExecutorFactory> factories = new ArrayList<>();
        Set<String> kinds = new LinkedHashSet<>();
        Set<String> classNames = manager.getExtensionClassNames(id);
        for (String className : classNames) {
            try {
                Class<?> type = wrapper.getPluginClassLoader().loadClass(className);
                if (!ExecutorFactory.class.isAssignableFrom(type)) {
                    LOG.debug("plugin '{}': extension {} is not an executor factory", id, className);
                    continue;
                }
                ExecutorFactory factory = (ExecutorFactory) manager.getExtensionFactory().create(type);
                String kind = factory.kind();
                factories.add(factory);
                String problem = kindProblem(kind, className, kinds);
                if (problem != null) {
                    return new Candidate(base, factories, Set.of(), problem);
                }
                kinds.add(kind);
            } catch (ClassNotFoundException | RuntimeException | LinkageError e) {
                return new Candidate(base, factories, Set.of(),
                        "extension " + className + " cannot be created: " + Reasons.describe(e));
            }
        }
        // A library plugin (others depend on it) may serve nothing; any other plugin serving nothing is a build mistake.
        if (kinds.isEmpty() && manager.dependentsOf(id).isEmpty()) {
            return new Candidate(base, factories, Set.of(), (classNames.isEmpty()
                    ? "serves no executor kind: the archive lists no extension in META-INF/extensions.idx"
                    : "serves no executor kind: none of its extensions " + classNames + " is an ExecutorFactory")
                    + " (mark the factory class @Extension and run PF4J's annotation processor, pf4j in"
                    + " annotationProcessorPaths, which writes META-INF/extensions.idx)");
        }
        return new Candidate(base, factories, kinds, null);
    }

    /**
     * Fails every candidate that declares a kind another candidate or a started plugin declares: no
     * plugin silently takes a kind from another. Candidates starting together all fail, each naming
     * the others; a plugin started later fails and the started holder keeps its kind.
     */
    private List<Candidate> withCollisions(List<Candidate> candidates) {
        Map<String, List<String>> claimants = new HashMap<>();
        for (Candidate candidate : candidates) {
            if (candidate.problem() == null) {
                candidate.kinds().forEach(kind -> claimants.computeIfAbsent(kind, k -> new ArrayList<>())
                        .add(candidate.base().pluginId()));
            }
        }
        List<Candidate> checked = new ArrayList<>();
        for (Candidate candidate : candidates) {
            Candidate result = candidate;
            String id = candidate.base().pluginId();
            for (String kind : candidate.problem() == null ? candidate.kinds() : Set.<String>of()) {
                List<String> others = new ArrayList<>(claimants.get(kind));
                others.remove(id);
                if (!others.isEmpty()) {
                    result = result.failed("executor kind '" + kind + "' is also declared by plugin "
                            + quoted(others) + "; a kind is served by one plugin only: remove one or list it in "
                            + "disabled.txt");
                } else if (served.containsKey(kind)) {
                    result = result.failed("executor kind '" + kind + "' is already served by plugin '"
                            + holderOf(kind) + "'");
                }
            }
            checked.add(result);
        }
        return checked;
    }

    /** Serves a candidate's kinds, or closes its factories and stops it when it has a problem. */
    private PluginReport activate(Candidate candidate) {
        String id = candidate.base().pluginId();
        if (candidate.problem() != null) {
            closeFactories(candidate.factories(), id);
            stopQuietly(id);
            return candidate.base().with(PluginStatus.FAILED, Set.of(), candidate.problem());
        }
        factoriesByPlugin.put(id, List.copyOf(candidate.factories()));
        Map<String, ExecutorFactory> next = new HashMap<>(served);
        candidate.factories().forEach(factory -> next.put(factory.kind(), factory));
        served = Map.copyOf(next);
        return candidate.base().with(PluginStatus.STARTED, candidate.kinds(), "");
    }

    private String kindProblem(String kind, String className, Set<String> ownKinds) {
        if (kind == null || kind.isBlank()) {
            return "extension " + className + " names no executor kind";
        }
        if (ownKinds.contains(kind)) {
            return "executor kind '" + kind + "' is claimed twice by the plugin itself";
        }
        return null;
    }

    private String holderOf(String kind) {
        return reports.values().stream()
                .filter(report -> report.executorKinds().contains(kind))
                .map(PluginReport::pluginId).findFirst().orElse("another plugin");
    }

    private static String quoted(List<String> ids) {
        return ids.stream().map(id -> "'" + id + "'").collect(java.util.stream.Collectors.joining(", "));
    }

    /** Withdraws a started plugin's kinds (sessions stop first), closes its factories, then stops it. */
    private void stopOne(String pluginId, String reason) {
        PluginReport report = reports.get(pluginId);
        Set<String> kinds = report.executorKinds();
        Map<String, ExecutorFactory> next = new HashMap<>(served);
        kinds.forEach(next::remove);
        // Published before the listeners run: from here on no new session can be created with these kinds.
        served = Map.copyOf(next);
        String why = "plugin '" + pluginId + "' stopped: " + reason;
        if (!kinds.isEmpty()) {
            for (WithdrawalListener listener : listeners) {
                try {
                    listener.kindsWithdrawn(kinds, why);
                } catch (RuntimeException e) {
                    LOG.warn("a withdrawal listener failed while {}", why, e);
                }
            }
        }
        closeFactories(factoriesByPlugin.getOrDefault(pluginId, List.of()), pluginId);
        factoriesByPlugin.remove(pluginId);
        String failure = stopQuietly(pluginId);
        reports.put(pluginId, failure == null ? report.with(PluginStatus.STOPPED, Set.of(), reason)
                : report.with(PluginStatus.FAILED, Set.of(), "failed to stop: " + failure));
        LOG.info("{}", why);
    }

    /** Stops the plugin in PF4J; returns the failure's description, or {@code null}. */
    private String stopQuietly(String pluginId) {
        try {
            manager.stopPlugin(pluginId);
            return null;
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("plugin '{}' failed to stop", pluginId, e);
            return Reasons.describe(e);
        }
    }

    private static void closeFactories(List<ExecutorFactory> factories, String pluginId) {
        for (ExecutorFactory factory : factories) {
            if (factory instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    LOG.warn("plugin '{}': executor factory {} failed to close", pluginId, factory.kind(), e);
                }
            }
        }
    }

    /** The plugin and every plugin depending on it, dependents first. */
    private List<String> withDependents(String pluginId) {
        List<String> ids = new ArrayList<>(manager.getPlugin(pluginId) == null ? List.of() : manager.dependentsOf(pluginId));
        ids.removeIf(id -> !reports.containsKey(id));
        ids.add(pluginId);
        return ids;
    }

    private PluginReport requireKnown(String pluginId) {
        if (closed) {
            throw new IllegalStateException("the plugin host is closed");
        }
        PluginReport report = reports.get(pluginId);
        if (report == null) {
            throw new IllegalArgumentException("no plugin '" + pluginId + "' in " + pluginsRoot);
        }
        return report;
    }

    private void publish() {
        List<PluginReport> snapshot = new ArrayList<>(reports.values());
        snapshot.sort(Comparator.comparing(PluginReport::pluginId));
        published = List.copyOf(snapshot);
    }

    /** Runs {@code task} on the owner thread and waits for it; runs it inline when already there. */
    private <T> T onOwner(Callable<T> task) {
        if (Thread.currentThread() == ownerThread) {
            try {
                return task.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        Future<T> result = owner.submit(task);
        try {
            return result.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the plugin host", e);
        }
    }
}
