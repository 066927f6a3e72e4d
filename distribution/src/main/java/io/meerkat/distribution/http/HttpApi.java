package io.meerkat.distribution.http;

import io.meerkat.distribution.config.HttpLimits;
import io.meerkat.distribution.config.LauncherConfig;
import io.meerkat.runtime.api.CompletionOutcome;
import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The launcher's HTTP API (DESIGN §9) on an embedded Jetty server, bound to the configured address
 * (127.0.0.1 unless told otherwise; elsewhere only with a token, see {@link LauncherConfig#validate()}).
 *
 * <p>Slow or idle clients cannot take it from the others ({@link HttpLimits}): request bodies are read
 * without holding a thread while they arrive, a body slower than the minimum data rate or stalled past
 * the idle timeout is answered 408, the open connections are capped, the body bytes buffered at once
 * are budgeted, and event streams and waiting completion requests have caps of their own below the
 * connection cap (past them, 503 {@code server_busy}), so connections stay for everything else.
 */
public final class HttpApi implements AutoCloseable {

    /** How long stopping waits for answers in flight. */
    private static final long STOP_TIMEOUT_MS = 5_000;

    private final Server server;
    private final ServerConnector connector;
    private final EventStream events;
    private final ApiHandler handler;
    private final BodyBudget bodyBudget;
    private final PendingCompletions completions;
    /** {@code null} for a runtime on its own. */
    private final ClusterRouter router;

    private HttpApi(Server server, ServerConnector connector, EventStream events, ApiHandler handler,
                    BodyBudget bodyBudget, PendingCompletions completions, ClusterRouter router) {
        this.router = router;
        this.server = server;
        this.connector = connector;
        this.events = events;
        this.handler = handler;
        this.bodyBudget = bodyBudget;
        this.completions = completions;
    }

    /** Starts the server; the port is taken when this returns. */
    public static HttpApi start(LauncherConfig config, ApiContext context) {
        return start(config, context, EventStream.KEEPALIVE_MS);
    }

    /**
     * {@link #start(LauncherConfig, ApiContext)} with event streams kept alive every {@code keepaliveMs}: for
     * tests of streams whose client went away, which a stream finds out at its next write.
     */
    static HttpApi start(LauncherConfig config, ApiContext context, long keepaliveMs) {
        QueuedThreadPool threads = new QueuedThreadPool(64, 4);
        threads.setName("meerkat-http");
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        // No "Server: Jetty(version)" header: a caller has no use for it, a scanner does.
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(config.bind());
        connector.setPort(config.port());
        HttpLimits limits = config.httpLimits();
        // Jetty restarts this timer with every byte; a body that trickles in is cut by the data rate
        // Exchange checks instead.
        connector.setIdleTimeout(limits.idleTimeoutMs());
        server.addConnector(connector);
        // Past the limit Jetty stops accepting; the operating system queues new connections until one closes.
        server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));

        Json json = new Json();
        PendingCompletions completions = new PendingCompletions(context.registry(), context.metrics(),
                config.memory().maxRetainedResultBytes(), limits.maxPendingCompletions(),
                id -> context.runtime().session(id).isPresent(), (session, input) -> storedOutcome(context, session, input));
        context.metrics().watchRetainedResults(() -> completions.retainedBytes()
                + context.registry().rememberedOutcomeBytes());
        EventStream events = new EventStream(context.runtime(), json, server.getScheduler(), limits.maxEventStreams(),
                new BodyBudget(limits.maxBufferedEventBytes()), keepaliveMs);
        List<Route> routes = new ArrayList<>();
        routes.addAll(new SystemEndpoints(context).routes());
        routes.addAll(new ClusterEndpoints(context).routes());
        routes.addAll(new SessionEndpoints(context, completions).routes());
        routes.addAll(new InputEndpoints(context, completions).routes());
        routes.add(Route.streaming("GET", "/v1/sessions/{id}/events", events));
        AccessGuard guard = new AccessGuard(config, connector::getLocalPort);
        // Graceful: stopping waits (bounded) for answers and stream endings already on their way.
        BodyBudget bodyBudget = new BodyBudget(limits.maxBufferedBodyBytes());
        ClusterRouter router = context.runtime().cluster()
                .map(cluster -> new ClusterRouter(context.runtime(), cluster, limits, keepaliveMs, server)).orElse(null);
        ApiHandler handler = new ApiHandler(routes, json, guard, config.maxBodyBytes(), limits, bodyBudget,
                server.getScheduler(), router);

        server.setHandler(new GracefulHandler(handler));
        server.setErrorHandler(new JsonErrorHandler(json));
        server.setStopTimeout(STOP_TIMEOUT_MS);
        try {
            if (router != null) {
                router.start();
            }
            server.start();
        } catch (Exception e) {
            try {
                server.stop();
                if (router != null) {
                    router.stop();
                }
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IllegalStateException("the HTTP API cannot listen on " + config.bind() + ":" + config.port()
                    + ": " + e.getMessage(), e);
        }
        return new HttpApi(server, connector, events, handler, bodyBudget, completions, router);
    }

    /** The port listened on (the one picked when the configuration said 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** {@code http://host:port}. */
    public URI baseUri() {
        String host = connector.getHost();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + port());
    }

    /** How many event streams are open now; package-private, for the stress tests (see EventStream). */
    int openEventStreams() {
        return events.openConnections();
    }

    /** Request body bytes buffered now, of the budget; package-private, for the tests. */
    long bufferedBodyBytes() {
        return bodyBudget.used();
    }

    /** Completion requests waiting now; package-private, for the tests. */
    int waitingCompletions() {
        return completions.waitingPolls();
    }

    /**
     * Shut-down has begun (before the runtime closes): requests that would change something answer 503
     * {@code runtime_closed} from now on, reads are still answered.
     */
    public void beginShutdown() {
        handler.beginShutdown();
    }

    /**
     * Ends every event stream and every forwarded exchange, then stops the server (waiting a bounded time for
     * answers in flight).
     */
    @Override
    public void close() {
        events.close();
        if (router != null) {
            // Before the server's graceful wait, which forwarded streams would otherwise hold to its end.
            router.stop();
        }
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("the HTTP server did not stop cleanly: " + e.getMessage(), e);
        }
    }

    /** What the runtime's store kept of a finished input; a store that cannot be read answers 503 store_unavailable. */
    private static Optional<CompletionOutcome> storedOutcome(ApiContext context, SessionId session, InputId input) {
        return context.store() == null ? Optional.empty() : context.store().outcome(session, input);
    }
}
