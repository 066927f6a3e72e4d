package io.meerkat.distribution.http;

import io.meerkat.runtime.api.MeerkatException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    /** What a 429 (queue_full) tells the client to wait before retrying: a second, as runs drain queues. */
    private static final String RETRY_AFTER_SECONDS = "1";

    private final List<Route> routes;
    private final Json json;
    private final AccessGuard guard;
    private final long maxBodyBytes;

    ApiHandler(List<Route> routes, Json json, AccessGuard guard, long maxBodyBytes) {
        this.routes = List.copyOf(routes);
        this.json = json;
        this.guard = guard;
        this.maxBodyBytes = maxBodyBytes;
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
            String path = Request.getPathInContext(request);
            Set<String> allowed = new TreeSet<>();
            for (Route route : routes) {
                List<String> parameters = route.match(path);
                if (parameters == null) {
                    continue;
                }
                if (!route.method().equals(request.getMethod())) {
                    allowed.add(route.method());
                    continue;
                }
                exchange = new Exchange(request, parameters, json, maxBodyBytes);
                if (!route.method().equals("GET")) {
                    exchange.readBody();
                }
                if (route.stream() != null) {
                    route.stream().open(exchange, response, callback);
                    return true;
                }
                CompletableFuture<Reply> reply = route.endpoint().handle(exchange);
                reply.whenComplete((answer, failure) -> {
                    if (failure == null) {
                        write(response, callback, answer);
                    } else {
                        writeError(response, callback, failure);
                    }
                });
                return true;
            }
            if (!allowed.isEmpty()) {
                response.getHeaders().put(HttpHeader.ALLOW, String.join(", ", allowed));
                throw new ApiException(405, "method_not_allowed", request.getMethod() + " is not allowed on " + path
                        + "; allowed: " + String.join(", ", allowed));
            }
            throw ApiException.notFound("not_found", "no such endpoint: " + request.getMethod() + " " + path);
        } catch (RuntimeException e) {
            if (request.getLength() != 0 && (exchange == null || !exchange.bodyRead())) {
                // Refused before its body was read (token, origin, unknown path): Jetty will close the
                // connection after the answer, so say so, or the client would reuse it and fail.
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
            writeError(response, callback, e);
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

    private void writeError(Response response, Callback callback, Throwable failure) {
        ApiException error = toApiError(failure);
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("code", error.code());
        detail.put("message", error.getMessage());
        if (response.isCommitted()) {
            callback.failed(failure);
            return;
        }
        if (error.status() == 429) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, RETRY_AFTER_SECONDS);
        }
        write(response, callback, new Reply(error.status(), Map.of("error", detail), null, null));
    }

    /** Maps whatever an endpoint threw to the status a client should see. */
    private static ApiException toApiError(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof ApiException api) {
            return api;
        }
        if (cause instanceof MeerkatException meerkat) {
            int status = switch (meerkat.code()) {
                case "session_not_found" -> 404;
                case "not_ready", "illegal_transition", "duplicate_session" -> 409;
                case "input_rejected", "unknown_executor" -> 400;
                case "payload_too_large" -> 413;
                case "queue_full" -> 429;
                case "runtime_closed" -> 503;
                default -> 500;
            };
            return new ApiException(status, meerkat.code(), meerkat.getMessage());
        }
        String reference = Long.toHexString(ThreadLocalRandom.current().nextLong());
        LOG.error("internal error answering a request (reference {})", reference, cause);
        return new ApiException(500, "internal", "internal error; the server log has the details under reference "
                + reference);
    }
}
