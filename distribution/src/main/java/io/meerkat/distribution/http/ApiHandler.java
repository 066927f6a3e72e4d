package io.meerkat.distribution.http;

import io.meerkat.runtime.api.MeerkatException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * The API's single Jetty handler: checks the bearer token, finds the route, runs its endpoint and writes
 * the answer, or the error as {@code {"error":{"code","message"}}} with a fitting status.
 *
 * <p>Endpoints answer through a future, so a request that waits (a completion with a timeout, an event
 * stream) holds no server thread while it waits.
 */
final class ApiHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    private static final String JSON = "application/json";

    private final List<Route> routes;
    private final Json json;
    private final byte[] token;
    private final long maxBodyBytes;

    ApiHandler(List<Route> routes, Json json, String token, long maxBodyBytes) {
        this.routes = List.copyOf(routes);
        this.json = json;
        this.token = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        try {
            if (!authorized(request)) {
                response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
                throw new ApiException(401, "unauthorized", "missing or wrong bearer token");
            }
            String path = Request.getPathInContext(request);
            boolean pathKnown = false;
            for (Route route : routes) {
                List<String> parameters = route.match(path);
                if (parameters == null) {
                    continue;
                }
                pathKnown = true;
                if (!route.method().equals(request.getMethod())) {
                    continue;
                }
                Exchange exchange = new Exchange(request, parameters, json, maxBodyBytes);
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
            throw pathKnown
                    ? new ApiException(405, "method_not_allowed", request.getMethod() + " is not allowed on " + path)
                    : ApiException.notFound("not_found", "no such endpoint: " + request.getMethod() + " " + path);
        } catch (RuntimeException e) {
            writeError(response, callback, e);
            return true;
        }
    }

    private boolean authorized(Request request) {
        if (token == null) {
            return true;
        }
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        // Constant-time comparison: the time taken tells nothing about how much of the token matched.
        return header != null && MessageDigest.isEqual(token, header.getBytes(StandardCharsets.UTF_8));
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
                case "runtime_closed" -> 503;
                default -> 500;
            };
            return new ApiException(status, meerkat.code(), meerkat.getMessage());
        }
        LOG.error("internal error answering a request", cause);
        return new ApiException(500, "internal", "internal error: " + cause);
    }
}
