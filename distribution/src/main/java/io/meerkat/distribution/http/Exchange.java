package io.meerkat.distribution.http;

import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.distribution.config.HttpLimits;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;

/** One API request as the endpoints see it: path parameters, query, a size-limited JSON body. */
final class Exchange {

    /** The most an over-limit body is read (and dropped) to answer 413 cleanly. */
    private static final long DRAIN_LIMIT = 16L << 20;

    private final Request request;
    private final List<String> pathParameters;
    private final Json json;
    private final long maxBodyBytes;
    private final HttpLimits limits;
    private Fields query;
    private CompletableFuture<Void> bodyReading;
    /** Set by the body reader's thread, read by whichever thread answers (the error path may not wait on it). */
    private volatile byte[] body;

    Exchange(Request request, List<String> pathParameters, Json json, long maxBodyBytes, HttpLimits limits) {
        this.request = request;
        this.pathParameters = pathParameters;
        this.json = json;
        this.maxBodyBytes = maxBodyBytes;
        this.limits = limits;
    }

    /** The session named by the first path parameter; an id that cannot exist is a 404. */
    SessionId sessionId() {
        try {
            return SessionId.parse(pathParameters.get(0));
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound("session_not_found", "no session " + pathParameters.get(0));
        }
    }

    /** The input named by the second path parameter; an id that cannot exist is a 404. */
    InputId inputId() {
        try {
            return InputId.parse(pathParameters.get(1));
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound("input_not_found", "no input " + pathParameters.get(1));
        }
    }

    /** A query parameter as a long within [min, max], or the default when absent. */
    long queryLong(String name, long defaultValue, long min, long max) {
        String value = query(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            long parsed = Long.parseLong(value.trim());
            if (parsed < min || parsed > max) {
                throw ApiException.badRequest("invalid_parameter",
                        name + " must be between " + min + " and " + max + ", was " + parsed);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid_parameter", name + " must be an integer, was '" + value + "'");
        }
    }

    /** A query parameter, or {@code null} when absent or blank. */
    String query(String name) {
        if (query == null) {
            try {
                query = Request.extractQueryParameters(request);
            } catch (RuntimeException e) {
                throw ApiException.badRequest("invalid_parameter", "the query string is malformed: " + e.getMessage());
            }
        }
        String value = query.getValue(name);
        return value == null || value.isBlank() ? null : value;
    }

    /**
     * Reads the whole body (bounded) before any answer, without holding a thread while it arrives: an
     * answer written while body bytes are still unread makes Jetty close the connection after it,
     * without telling the client, whose next request on that kept-alive connection then fails. A body
     * over the limit is drained (up to 16 MiB) and refused.
     *
     * @return completes when the body is read whole; fails with an {@link ApiException}: 413 when the
     *         body exceeds the limit, 408 when it arrives slower than the minimum data rate or stops
     *         arriving (idle timeout), 400 when reading it fails otherwise (the client went away)
     */
    CompletableFuture<Void> readBody() {
        if (bodyReading == null) {
            bodyReading = new CompletableFuture<>();
            new BodyReader().run();
        }
        return bodyReading;
    }

    /**
     * Reads what has arrived, then asks Jetty to call it again when more arrives. Jetty never runs it
     * twice at once (one demand at a time), so its fields need no lock.
     */
    private final class BodyReader implements Runnable {

        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final long started = System.nanoTime();
        private long received;

        @Override
        public void run() {
            try {
                while (true) {
                    Content.Chunk chunk = request.read();
                    if (chunk == null) {
                        if (tooSlow()) {
                            bodyReading.completeExceptionally(timeout("the request body arrives slower than "
                                    + limits.minRequestDataRate() + " bytes/s"));
                            return;
                        }
                        request.demand(this);
                        return;
                    }
                    if (Content.Chunk.isFailure(chunk)) {
                        // Transient (idle timeout) or final failures alike end the read: nothing more will come.
                        bodyReading.completeExceptionally(readFailure(chunk.getFailure()));
                        return;
                    }
                    boolean last = chunk.isLast();
                    take(chunk);
                    chunk.release();
                    if (last) {
                        finish();
                        return;
                    }
                    if (received > DRAIN_LIMIT) {
                        bodyReading.completeExceptionally(tooLarge());
                        return;
                    }
                }
            } catch (RuntimeException e) {
                bodyReading.completeExceptionally(e);
            }
        }

        private void take(Content.Chunk chunk) {
            ByteBuffer buffer = chunk.getByteBuffer();
            int length = buffer.remaining();
            // Keeps one byte past the limit so that a body without a Content-Length is caught too.
            if (received <= maxBodyBytes) {
                int keep = (int) Math.min(length, maxBodyBytes + 1 - received);
                byte[] copy = new byte[keep];
                buffer.get(copy);
                bytes.write(copy, 0, keep);
            }
            received += length;
        }

        private void finish() {
            if (received > maxBodyBytes) {
                bodyReading.completeExceptionally(tooLarge());
                return;
            }
            body = bytes.toByteArray();
            bodyReading.complete(null);
        }

        /** Whether, a second or more into the read, the body has arrived slower than the minimum rate. */
        private boolean tooSlow() {
            long elapsed = System.nanoTime() - started;
            return limits.minRequestDataRate() > 0 && elapsed >= TimeUnit.SECONDS.toNanos(1)
                    && received * TimeUnit.SECONDS.toNanos(1) / elapsed < limits.minRequestDataRate();
        }
    }

    private static ApiException readFailure(Throwable failure) {
        if (failure instanceof TimeoutException) {
            return timeout("the request body stopped arriving: " + failure.getMessage());
        }
        return ApiException.badRequest("bad_request", "reading the request body failed: " + failure);
    }

    private static ApiException timeout(String message) {
        return new ApiException(408, "request_timeout", message);
    }

    /** Whether the body has been read whole. */
    boolean bodyRead() {
        return body != null;
    }

    /**
     * The body as a {@code type}; an empty body reads as {@code {}}.
     *
     * @throws ApiException 400 when it is not valid JSON for the type
     */
    <T> T body(Class<T> type) {
        if (body == null) {
            throw new IllegalStateException("the body is read before the endpoint runs (ApiHandler)");
        }
        return json.read(body.length == 0 ? new byte[] {'{', '}'} : body, type);
    }

    private ApiException tooLarge() {
        return new ApiException(413, "payload_too_large", "the request body exceeds " + maxBodyBytes + " bytes");
    }
}
