package io.meerkat.distribution.http;

import io.meerkat.distribution.config.HttpLimits;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.SessionMovedException;
import io.meerkat.runtime.api.cluster.RuntimeCluster;
import io.meerkat.runtime.api.cluster.SessionOwner;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In a cluster, sends a request for a session another node runs to that node and streams its answer back
 * (Jetty's reverse proxy): any node answers for any session, the completion long-poll and the event stream
 * included. The request goes as it came (method, path, query, body, headers, the token among them) with
 * {@value #FORWARDED_HEADER} naming this node; only {@code Host} (the owner's own) and {@code Origin} (checked
 * here already) are not passed on.
 *
 * <p>What is not forwarded is answered 503 {@code session_moved} with {@code Retry-After: 1}, so the client asks
 * again once the session has settled: a session whose lease lapsed or was let go (failover or drain under way),
 * one this node holds in the store but does not run yet (its claim or recovery under way), a request that
 * was forwarded here already and finds the session gone (never forwarded twice: no loops), and an owner that
 * cannot be reached (it just died: connection refused, or no connection within {@value #CONNECT_TIMEOUT_MS} ms).
 * A session the store does not know is left to the API, which answers 404 {@code session_not_found}.
 */
final class ClusterRouter {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterRouter.class);
    /** Names the node that forwarded a request; a request carrying it is never forwarded again. */
    static final String FORWARDED_HEADER = "X-Meerkat-Forwarded";
    /** How long reaching an owner may take: a dead one refuses at once, an unreachable one is given up on. */
    static final long CONNECT_TIMEOUT_MS = 2_000;
    private static final Pattern SESSION_PATH = Pattern.compile("/v1/sessions/([^/]+)(/.*)?");
    private static final String TARGET = ClusterRouter.class.getName() + ".target";

    /** Writes an error answer the way the API does. */
    @FunctionalInterface
    interface ErrorWriter {
        void write(Request request, Response response, Callback callback, Throwable failure);
    }

    private final MeerkatRuntime runtime;
    private final RuntimeCluster cluster;
    private final Forwarder forwarder;

    /** @param keepaliveMs how often an event stream writes when it has nothing else to say */
    ClusterRouter(MeerkatRuntime runtime, RuntimeCluster cluster, HttpLimits limits, long keepaliveMs, Server server) {
        this.runtime = runtime;
        this.cluster = cluster;
        this.forwarder = new Forwarder(cluster.nodeId(), limits, keepaliveMs);
        forwarder.setServer(server);
    }

    /** How to answer an owner that could not be reached, when nothing was sent yet: as the API answers errors. */
    void answerErrorsWith(ErrorWriter errors) {
        forwarder.errors = errors;
    }

    /** Starts the HTTP client that forwards. */
    void start() {
        LifeCycle.start(forwarder);
    }

    /** Ends the forwarded exchanges still open (event streams, long-polls) and the client. */
    void stop() {
        LifeCycle.stop(forwarder);
    }

    /**
     * Forwards the request if it names a session another node runs.
     *
     * @return {@code false} to let the API answer here: not a session's path, a session this node runs, or one
     *         the store does not know
     * @throws SessionMovedException when the session has no owner that can answer now (503 {@code session_moved})
     */
    boolean route(Request request, Response response, Callback callback) {
        Matcher path = SESSION_PATH.matcher(Request.getPathInContext(request));
        if (!path.matches()) {
            return false;
        }
        SessionId id;
        try {
            id = SessionId.parse(path.group(1));
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (runtime.session(id).isPresent()) {
            return false;
        }
        Optional<SessionOwner> owner = cluster.owner(id);
        // Read again after the store: a claim that ended between the two reads makes the session local, and
        // it is answered here rather than sent to its previous owner.
        if (owner.isEmpty() || runtime.session(id).isPresent()) {
            return false;
        }
        String forwardedBy = request.getHeaders().get(FORWARDED_HEADER);
        Optional<URI> address = owner.get().liveAddress();
        if (forwardedBy != null || address.isEmpty() || cluster.nodeId().equals(owner.get().nodeId())
                || address.get().equals(cluster.advertise())) {
            LOG.debug("session {} is not answered here (owner {}, forwarded by {})", id, owner.get(), forwardedBy);
            throw new SessionMovedException(id, null);
        }
        request.setAttribute(TARGET, address.get());
        return forwarder.handle(request, response, callback);
    }

    /**
     * The 503 {@code session_moved} to answer instead of a request's refusal when this node let its session go
     * while answering it (another node claimed it: "ownership lost"): the path names a session the runtime no
     * longer runs, yet the store knows; empty otherwise. Not what the refusal said: 404 (the router found the
     * session, the endpoint no longer did) or 409 (the instance the drop stopped refused; the session runs on
     * elsewhere). Race-free for the 409: the runtime forgets a dropped session before it stops it, so a refusal
     * by the stopped instance is seen after the session left {@code runtime.session}.
     */
    Optional<SessionMovedException> lostWhileAnswering(Request request) {
        Matcher path = SESSION_PATH.matcher(Request.getPathInContext(request));
        if (!path.matches()) {
            return Optional.empty();
        }
        try {
            SessionId id = SessionId.parse(path.group(1));
            return runtime.session(id).isEmpty() && cluster.owner(id).isPresent()
                    ? Optional.of(new SessionMovedException(id, null)) : Optional.empty();
        } catch (RuntimeException notASessionOrStoreDown) {
            // Not a session id, or the store cannot say: the refusal stands as it was.
            return Optional.empty();
        }
    }

    /** The reverse proxy, aimed per request at the session's owner. */
    private static final class Forwarder extends ProxyHandler.Reverse {

        private final String nodeId;
        private final HttpLimits limits;
        private final long keepaliveMs;
        /** Set once, before the server starts (the API's handler is made after this router). */
        private volatile ErrorWriter errors;

        Forwarder(String nodeId, HttpLimits limits, long keepaliveMs) {
            super(request -> {
                URI owner = (URI) request.getAttribute(TARGET);
                return HttpURI.build(owner.toString()).pathQuery(request.getHttpURI().getPathQuery());
            });
            this.nodeId = nodeId;
            this.limits = limits;
            this.keepaliveMs = keepaliveMs;
            setViaHost(nodeId);
        }

        @Override
        protected HttpClient newHttpClient() {
            ClientConnector connector = new ClientConnector();
            QueuedThreadPool threads = new QueuedThreadPool(64, 2);
            threads.setName("meerkat-forward");
            threads.setDaemon(true);
            connector.setExecutor(threads);
            return new HttpClient(new HttpClientTransportOverHTTP(connector));
        }

        @Override
        protected void configureHttpClient(HttpClient client) {
            super.configureHttpClient(client);
            client.setConnectTimeout(CONNECT_TIMEOUT_MS);
            // Every forwarded event stream and long-poll holds a connection to its owner for as long as it
            // lasts; this node's own connection cap bounds them already.
            client.setMaxConnectionsPerDestination(limits.maxConnections());
            client.setMaxRequestsQueuedPerDestination(limits.maxConnections());
        }

        @Override
        protected org.eclipse.jetty.client.Request newProxyToServerRequest(Request clientToProxy, HttpURI target) {
            return super.newProxyToServerRequest(clientToProxy, target)
                    .idleTimeout(idleTimeoutMs(clientToProxy), TimeUnit.MILLISECONDS);
        }

        /**
         * How long the owner may stay silent: the API's idle timeout, plus a long-poll's own wait (the owner
         * answers when it ends), at least twice an event stream's keep-alive period.
         */
        private long idleTimeoutMs(Request request) {
            String path = Request.getPathInContext(request);
            long idle = limits.idleTimeoutMs();
            if (path.endsWith("/events")) {
                return Math.max(idle, 2 * keepaliveMs);
            }
            // A completion long-poll waits timeoutMs; a submit that asks for its completion, waitMs.
            String waitParameter = path.endsWith("/completion") ? "timeoutMs"
                    : path.endsWith("/inputs") && HttpMethod.POST.is(request.getMethod()) ? "waitMs" : null;
            if (waitParameter != null) {
                long wait = 0;
                try {
                    Fields query = Request.extractQueryParameters(request);
                    String timeout = query.getValue(waitParameter);
                    wait = timeout == null ? 0 : Math.min(Long.parseLong(timeout.trim()), InputEndpoints.MAX_TIMEOUT_MS);
                } catch (RuntimeException e) {
                    // A malformed timeout is the owner's to refuse (400); it answers at once.
                }
                return idle + Math.max(wait, 0);
            }
            return idle;
        }

        @Override
        protected void copyRequestHeaders(Request clientToProxy, org.eclipse.jetty.client.Request proxyToServer) {
            super.copyRequestHeaders(clientToProxy, proxyToServer);
            proxyToServer.headers(headers -> {
                // The owner checks Host against its own address (loopback binds), and the client set it to ours.
                headers.remove(HttpHeader.HOST);
                // Checked here against this node's allowed origins; the owner's would refuse ours as foreign.
                headers.remove(HttpHeader.ORIGIN);
                headers.put(FORWARDED_HEADER, nodeId);
            });
        }

        @Override
        protected void onServerToProxyResponseFailure(Request clientToProxy, org.eclipse.jetty.client.Request proxyToServer,
                                                      org.eclipse.jetty.client.Response serverToProxy,
                                                      Response proxyToClient, Callback callback, Throwable failure) {
            URI owner = (URI) clientToProxy.getAttribute(TARGET);
            if (proxyToClient.isCommitted()) {
                // Mid-answer (an event stream whose owner died): all the client can be told is that it ended.
                LOG.debug("the forwarded answer from {} broke off: {}", owner, failure.toString());
                callback.failed(failure);
                return;
            }
            LOG.info("forwarding {} {} to the owner at {} failed: {}", clientToProxy.getMethod(),
                    Request.getPathInContext(clientToProxy), owner, failure.toString());
            proxyToClient.reset();
            Matcher path = SESSION_PATH.matcher(Request.getPathInContext(clientToProxy));
            SessionId id = path.matches() ? SessionId.parse(path.group(1)) : null;
            errors.write(clientToProxy, proxyToClient, callback, new SessionMovedException(id, null));
        }
    }
}
