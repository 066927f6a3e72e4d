package io.meerkat.distribution;

import io.meerkat.completion.InMemoryCompletionRegistry;
import io.meerkat.distribution.config.ConfigLoader;
import io.meerkat.distribution.config.LauncherConfig;
import io.meerkat.distribution.config.ProfileBoundCatalog;
import io.meerkat.distribution.config.SessionConfigPolicy;
import io.meerkat.distribution.http.ApiContext;
import io.meerkat.distribution.http.HttpApi;
import io.meerkat.distribution.metrics.RuntimeMetrics;
import io.meerkat.distribution.osgi.BundleReport;
import io.meerkat.distribution.osgi.EmbeddedFelix;
import io.meerkat.distribution.registry.ActiveRegistry;
import io.meerkat.distribution.registry.RegistryServiceTracker;
import io.meerkat.distribution.registry.SwappableCompletionRegistry;
import io.meerkat.distribution.store.RuntimeStores;
import io.meerkat.plugin.host.ExecutorPluginHost;
import io.meerkat.plugin.host.PluginReport;
import io.meerkat.plugin.host.PluginStatus;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.core.MeerkatRuntimeBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The launcher's wiring: an embedded OSGi framework with the completion-registry bundles, the executor
 * plugins, the runtime and (for {@code serve}) the HTTP API, started in that order and closed in the
 * reverse one.
 *
 * <p>With a store ({@code --store sqlite}, the default) the runtime keeps its sessions in the data folder
 * and takes up at start what a previous launcher (stopped or killed) left there.
 *
 * <p>Closing ends the runtime first (each waiter is resolved with a reason; with a store, sessions are not
 * written as stopped, so the next start takes them up), then the HTTP server, the store, the plugins and the
 * framework; it is idempotent and safe from a shutdown hook.
 */
public final class Launcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Launcher.class);
    private static final String HISTORY_MAX_RETAINED_BYTES = "meerkat.registry.history.max-retained-bytes";
    /**
     * The system property that tells plugins the data folder (absolute); the process executor keeps its
     * record of running agent programs there, to end at the next start those a killed launcher left.
     */
    public static final String DATA_FOLDER_PROPERTY = "meerkat.data";

    private final LauncherConfig config;
    private final EmbeddedFelix felix;
    private final SwappableCompletionRegistry registry;
    private final ExecutorPluginHost plugins;
    private final MeerkatRuntime runtime;
    private final RuntimeMetrics metrics;
    private final HttpApi http;
    private final Deque<AutoCloseable> closeOrder;
    private boolean closed;

    private Launcher(LauncherConfig config, EmbeddedFelix felix, SwappableCompletionRegistry registry,
                     ExecutorPluginHost plugins, MeerkatRuntime runtime, RuntimeMetrics metrics, HttpApi http,
                     Deque<AutoCloseable> closeOrder) {
        this.config = config;
        this.felix = felix;
        this.registry = registry;
        this.plugins = plugins;
        this.runtime = runtime;
        this.metrics = metrics;
        this.http = http;
        this.closeOrder = closeOrder;
    }

    /**
     * Starts everything; on a failure, closes what was started and rethrows.
     *
     * @param withHttp whether to start the HTTP API
     * @param progress told of each step, for the command line
     */
    public static Launcher start(LauncherConfig config, boolean withHttp, Consumer<String> progress) {
        return start(config, withHttp, progress, UnaryOperator.identity());
    }

    /**
     * {@link #start(LauncherConfig, boolean, Consumer)} with the runtime's store seen through
     * {@code decorateStore} (to count or fail its writes, say); the launcher still closes the store it opened.
     */
    public static Launcher start(LauncherConfig config, boolean withHttp, Consumer<String> progress,
                                 UnaryOperator<RuntimeStore> decorateStore) {
        config.validate();
        Deque<AutoCloseable> started = new ArrayDeque<>();
        try {
            InMemoryCompletionRegistry floor = new InMemoryCompletionRegistry();
            started.push(floor);
            SwappableCompletionRegistry registry = new SwappableCompletionRegistry(floor, ActiveRegistry.builtIn(floor));

            // Set before any plugin is created: the process executor reads it in its factory's constructor.
            System.setProperty(DATA_FOLDER_PROPERTY, config.dataDir().toAbsolutePath().toString());
            // Plugins load on a second thread while the framework starts: the two share nothing.
            progress.accept("starting the OSGi framework; loading executor plugins from " + config.pluginsDir());
            CompletableFuture<ExecutorPluginHost> loading = OwnThread.supply("meerkat-plugin-loader",
                    () -> ExecutorPluginHost.start(config.pluginsDir()));
            AutoCloseable pluginsIfFailed = () -> closeWhenLoaded(loading);
            started.push(pluginsIfFailed);
            // The store opens on a third thread (SQLite's native library, the connections, the schema): it shares
            // nothing with the other two, and its ~0.1-0.5 s no longer add to the start-up.
            CompletableFuture<Optional<RuntimeStore>> opening = OwnThread.supply("meerkat-store-opener",
                    () -> RuntimeStores.open(config));
            AutoCloseable storeIfFailed = () -> closeWhenOpened(opening);
            started.push(storeIfFailed);
            Path felixCache = Files.createTempDirectory("meerkat-felix-");
            started.push(() -> deleteRecursively(felixCache));
            EmbeddedFelix felix = EmbeddedFelix.start(felixCache, LauncherVersion.osgiVersion(), bundleProperties(config));
            started.push(felix);
            List<BundleReport> bundles = felix.installAll(config.bundlesDir());
            RegistryServiceTracker tracker = RegistryServiceTracker.open(felix.context(), registry, floor);
            started.push(tracker);
            progress.accept("completion registry: " + registry.active().label() + " (" + bundles.size()
                    + " bundle(s) in " + config.bundlesDir() + ")");

            ExecutorPluginHost plugins = join(loading);
            // From here the plugins close before the framework, as the shut-down order says.
            started.remove(pluginsIfFailed);
            started.push(plugins);
            for (PluginReport plugin : plugins.plugins()) {
                progress.accept("  plugin " + plugin.pluginId() + " " + plugin.status().name().toLowerCase()
                        + (plugin.status() == PluginStatus.STARTED ? " " + plugin.executorKinds() : ": " + plugin.reason()));
            }
            SessionConfigPolicy sessionConfigs = config.sessionConfigPolicy();
            for (String warning : sessionConfigs.check(plugins)) {
                LOG.warn("{}", warning);
                progress.accept("  warning: " + warning);
            }
            if (config.clientOperatorConfig()) {
                String warning = ConfigLoader.CLIENT_OPERATOR_CONFIG + " is on: every API client may choose the "
                        + "programs run on this host and where credentials are sent";
                LOG.warn("UNSAFE: {}", warning);
                progress.accept("  UNSAFE: " + warning);
            }

            // Opened before the runtime, closed right after it (the stack of started steps): the runtime writes
            // through it until its loops end, and never closes it itself.
            Optional<RuntimeStore> opened = join(opening);
            started.remove(storeIfFailed);
            opened.ifPresent(started::push);
            Optional<RuntimeStore> store = opened.map(decorateStore);
            // Made before the runtime, whose sessions report their runs to it.
            RuntimeMetrics metrics = new RuntimeMetrics();
            MeerkatRuntimeBuilder builder = MeerkatRuntimeBuilder.newBuilder()
                    .runObserver(metrics.runObserver())
                    .executorCatalog(new ProfileBoundCatalog(plugins, sessionConfigs))
                    .completionRegistry(registry)
                    .maxQueuedInputs(config.memory().maxQueuedInputs())
                    .maxQueuedCharsPerSession(config.memory().maxQueuedCharsPerSession())
                    .maxQueuedCharsRuntime(config.memory().maxQueuedCharsRuntime())
                    .maxRunDuration(config.runs().maxRunDuration())
                    .retryPolicy(config.runs().retryPolicy())
                    .finishedInputRetention(config.storeSettings().keepPerSession())
                    .storeRetention(config.storeSettings().maxAge(), config.storeSettings().pruneInterval());
            store.ifPresent(builder::store);
            // Set once the API listens: until then a node with no --advertise tells the others no address.
            AtomicReference<HttpApi> listening = new AtomicReference<>();
            if (config.store().equals(RuntimeStores.POSTGRES)) {
                String nodeId = config.cluster().nodeId(config.port());
                Optional<URI> advertise = config.cluster().configuredAdvertise();
                builder.clusterNode(nodeId, () -> advertise.orElseGet(() -> {
                    HttpApi api = listening.get();
                    return api == null ? null : api.baseUri();
                }));
                progress.accept("cluster node " + nodeId + " (lease " + config.cluster().effectiveLeaseTtlMs() + " ms)"
                        + advertise.map(uri -> ", advertised at " + uri).orElse(""));
            }
            MeerkatRuntime runtime = builder.build();
            started.push(runtime);
            String storeLine = "store " + config.store() + RuntimeStores.where(config)
                    .map(where -> " at " + where + ": " + runtime.sessions().size() + " session(s) recovered")
                    .orElse(": sessions are kept in memory only and end with the process");
            LOG.info("{}", storeLine);
            progress.accept(storeLine);
            metrics.watchSessions(runtime);

            HttpApi http = null;
            if (withHttp) {
                http = HttpApi.start(config, new ApiContext(runtime, registry, plugins, felix, metrics,
                        sessionConfigs, config.memory(), config.runs(), store.orElse(null)));
                started.push(http);
                listening.set(http);
                progress.accept("HTTP API listening on " + http.baseUri());
            }
            return new Launcher(config, felix, registry, plugins, runtime, metrics, http, started);
        } catch (IOException e) {
            closeAll(started);
            throw new UncheckedIOException("cannot create the launcher's working folder: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            closeAll(started);
            throw e;
        }
    }

    /** The registry bundles' properties; the history registry's byte bound defaults to the results bound. */
    private static Map<String, String> bundleProperties(LauncherConfig config) {
        Map<String, String> properties = new HashMap<>(config.bundleProperties());
        properties.putIfAbsent(HISTORY_MAX_RETAINED_BYTES, Long.toString(config.memory().maxRetainedResultBytes()));
        return properties;
    }

    public LauncherConfig config() {
        return config;
    }

    public MeerkatRuntime runtime() {
        return runtime;
    }

    public ExecutorPluginHost plugins() {
        return plugins;
    }

    public SwappableCompletionRegistry registry() {
        return registry;
    }

    public EmbeddedFelix felix() {
        return felix;
    }

    public RuntimeMetrics metrics() {
        return metrics;
    }

    /** The HTTP API, when started with it. */
    public HttpApi http() {
        if (http == null) {
            throw new IllegalStateException("the launcher was started without the HTTP API");
        }
        return http;
    }

    /** Stops sessions (resolving every waiter), the HTTP API, the plugins and the framework, in that order. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (http != null) {
            http.beginShutdown();
        }
        // The runtime closes first although it started after the HTTP server: waiters blocked in a
        // completion request are resolved "runtime closed" and answered before the server goes away.
        try {
            runtime.close();
        } catch (Throwable e) {
            LOG.warn("closing the runtime failed: {}", e.getMessage(), e);
        }
        closeAll(closeOrder);
    }


    /** The step's result, or its own exception. */
    private static <T> T join(CompletableFuture<T> step) {
        try {
            return step.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Closes the plugin host once loaded, whether start-up got that far or failed meanwhile. */
    private static void closeWhenLoaded(CompletableFuture<ExecutorPluginHost> loading) {
        loading.thenAccept(ExecutorPluginHost::close).exceptionally(failure -> null).join();
    }

    /** Closes the store once opened, whether start-up got that far or failed meanwhile. */
    private static void closeWhenOpened(CompletableFuture<Optional<RuntimeStore>> opening) {
        opening.thenAccept(store -> store.ifPresent(RuntimeStore::close)).exceptionally(failure -> null).join();
    }

    private static void closeAll(Deque<AutoCloseable> started) {
        while (!started.isEmpty()) {
            AutoCloseable resource = started.pop();
            try {
                resource.close();
            } catch (Throwable e) {
                // Keep going whatever one step throws (even a LinkageError after plugins unloaded):
                // the framework, its cache folder and the floor registry must still close.
                LOG.warn("closing {} failed: {}", resource, e.getMessage(), e);
            }
        }
    }

    private static void deleteRecursively(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }
}
