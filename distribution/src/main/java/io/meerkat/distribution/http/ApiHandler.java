package io.meerkat.distribution.http;

import io.meerkat.distribution.config.HttpLimits;
import io.meerkat.runtime.api.MeerkatException;
import io.meerkat.runtime.api.SessionMovedException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API's single Jetty handler: lets the {@link AccessGuard} decide, finds the route, runs its endpoint and writes
 * the answer, or the error as {@code {"error":{"code","message"}}} with a fitting status.
 *
 * <p>Endpoints answer through a future, so a request that waits (a completion with a timeout, an event
 * stream) holds no server thread while it waits.
 */
final class ApiHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    private static final String JSON = "application/json";
    /**
     * What a 429 ({@code queue_full}) or 503 ({@code server_busy}) tells the client to wait before retrying:
     * a second, as runs drain queues and requests end.
     */
    private static final String RETRY_AFTER_SECONDS = "1";

    private final List<Route> routes;
    private final Json json;
    private final AccessGuard guard;
    private final long maxBodyBytes;
    private final HttpLimits limits;
    private final BodyBudget bodyBudget;
    private final Scheduler scheduler;
    /** Forwards requests for sessions other nodes run; {@code null} for a runtime on its own. */
    private final ClusterRouter router;
    private volatile boolean shuttingDown;

    /**
     * @param bodyBudget the request body bytes all requests may buffer at once
     * @param scheduler  runs the body data-rate checks
     * @param router     forwards requests for sessions other nodes of the cluster run; {@code null} without one
     */
    ApiHandler(List<Route> routes, Json json, AccessGuard guard, long maxBodyBytes, HttpLimits limits,
               BodyBudget bodyBudget, Scheduler scheduler, ClusterRouter router) {
        this.routes = List.copyOf(routes);
        this.json = json;
        this.guard = guard;
        this.maxBodyBytes = maxBodyBytes;
        this.limits = limits;
        this.bodyBudget = bodyBudget;
        this.scheduler = scheduler;
        this.router = router;
        if (router != null) {
            router.answerErrorsWith((request, response, callback, failure) ->
                    writeError(request, response, callback, null, failure));
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Exchange exchange = null;
        try {
            AccessGuard.Refusal refusal = guard.check(request);
            if (refusal != null) {
                if (refusal.status() == 401) {
                    response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
                }
                throw new ApiException(refusal.status(), refusal.code(), refusal.message());
            }
            // After the guard: a forwarded request has passed this node's token, host and origin checks.
            if (router != null && router.route(request, response, callback)) {
                return true;
            }
            String path = Request.getPathInContext(request);
            String method = request.getMethod();
            // HEAD is answered by the GET route; Jetty sends the GET answer's status and headers without its body.
            boolean head = method.equals("HEAD");
            // The methods of the routes the path matches, for a 405; made only when one is met.
            Set<String> allowed = null;
            for (Route route : routes) {
                List<String> parameters = route.match(path);
                if (parameters == null) {
                    continue;
                }
                boolean get = route.method().equals("GET");
                if (!route.method().equals(method) && !(head && get)) {
                    allowed = allowed == null ? new TreeSet<>() : allowed;
                    allowed.add(route.method());
                    if (get) {
                        allowed.add("HEAD");
                    }
                    continue;
                }
                if (!get && shuttingDown) {
                    throw shuttingDownError();
                }
                exchange = new Exchange(request, parameters, json, maxBodyBytes, limits, bodyBudget, scheduler);
                if (route.stream() != null) {
                    if (head) {
                        route.stream().head(exchange, response, callback);
                    } else {
                        route.stream().open(exchange, response, callback);
                    }
                    return true;
                }
                Exchange current = exchange;
                // The endpoint runs once the body is in, on the thread that read its last bytes; no thread
                // waits for a body still arriving.
                CompletableFuture<Void> body = get ? CompletableFuture.completedFuture(null) : exchange.readBody();
                body.thenCompose(read -> route.endpoint().handle(current)).whenComplete((answer, failure) -> {
                    // Every path ends here (the body read failing, the endpoint throwing or answering): the
                    // body's budget is given back exactly once, as the endpoint is done with it.
                    current.releaseBody();
                    if (failure == null) {
                        write(response, callback, answer);
                    } else {
                        writeError(request, response, callback, current, failure);
                    }
                });
                return true;
            }
            if (allowed != null) {
                response.getHeaders().put(HttpHeader.ALLOW, String.join(", ", allowed));
                throw new ApiException(405, "method_not_allowed", method + " is not allowed on " + path
                        + "; allowed: " + String.join(", ", allowed));
            }
            throw ApiException.notFound("not_found", "no such endpoint: " + method + " " + path);
        } catch (RuntimeException e) {
            writeError(request, response, callback, exchange, e);
            return true;
        }
    }

    private void write(Response response, Callback callback, Reply reply) {
        byte[] body;
        String contentType;
        if (reply.json() != null) {
            body = json.write(reply.json());
            contentType = JSON;
        } else {
            body = reply.text().getBytes(StandardCharsets.UTF_8);
            contentType = reply.contentType();
        }
        response.setStatus(reply.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /** Answers the error; {@code exchange} is {@code null} when the request was refused before routing. */
    private void writeError(Request request, Response response, Callback callback, Exchange exchange,
                            Throwable failure) {
        if (request.getLength() != 0 && (exchange == null || !exchange.bodyRead())) {
            // Refused before its body was read whole (token, origin, unknown path, too large, too slow):
            // Jetty will close the connection after the answer, so say so, or the client would reuse it and fail.
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        ApiException error = toApiError(failure);
        if (router != null && (error.code().equals("session_not_found") || error.code().equals("not_ready")
                || error.code().equals("illegal_transition"))) {
            Optional<SessionMovedException> moved = router.lostWhileAnswering(request);
            if (moved.isPresent()) {
                error = toApiError(moved.get());
            }
        }
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("code", error.code());
        detail.put("message", error.getMessage());
        if (response.isCommitted()) {
            callback.failed(failure);
            return;
        }
        if (error.retryLater()) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, RETRY_AFTER_SECONDS);
        }
        write(response, callback, new Reply(error.status(), Map.of("error", detail), null, null));
    }

    /**
     * From now on every request that would change something answers 503 {@code runtime_closed}, as does
     * one already under way that the closing runtime refuses (a submit to a session it just stopped
     * would otherwise say 409 {@code not_ready}): during shut-down, one code.
     */
    void beginShutdown() {
        shuttingDown = true;
    }

    private static ApiException shuttingDownError() {
        return new ApiException(503, "runtime_closed", "the launcher is shutting down");
    }

    /** Maps whatever an endpoint threw to the status a client should see. */
    private ApiException toApiError(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof ApiException api) {
            return api;
        }
        if (cause instanceof MeerkatException meerkat) {
            int status = switch (meerkat.code()) {
                case "session_not_found" -> 404;
                // Race-free: beginShutdown() is called before the runtime starts stopping sessions, so a
                // refusal caused by that stop is thrown after the flag was set, and is seen here.
                case "not_ready", "illegal_transition" -> shuttingDown ? 503 : 409;
                case "duplicate_session" -> 409;
                case "input_rejected", "unknown_executor" -> 400;
                case "payload_too_large" -> 413;
                case "queue_full" -> 429;
                case "runtime_closed" -> 503;
                // The store refused a write: nothing of the request was made; reads go on meanwhile.
                case "store_unavailable" -> 503;
                // The session is changing nodes (a failover, a drain) or this node just lost it: ask again.
                case "session_moved", "ownership_lost" -> 503;
                default -> 500;
            };
            if (meerkat.code().equals("runtime_closed") || (status == 503 && shuttingDown)) {
                return shuttingDownError();
            }
            return new ApiException(status, meerkat.code(), meerkat.getMessage());
        }
        String reference = Long.toHexString(ThreadLocalRandom.current().nextLong());
        LOG.error("internal error answering a request (reference {})", reference, cause);
        return new ApiException(500, "internal", "internal error; the server log has the details under reference "
                + reference);
    }
}
