package io.meerkat.distribution.http;

import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
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
    private Fields query;
    private byte[] body;

    Exchange(Request request, List<String> pathParameters, Json json, long maxBodyBytes) {
        this.request = request;
        this.pathParameters = pathParameters;
        this.json = json;
        this.maxBodyBytes = maxBodyBytes;
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
        if (query == null) {
            try {
                query = Request.extractQueryParameters(request);
            } catch (RuntimeException e) {
                throw ApiException.badRequest("invalid_parameter", "the query string is malformed: " + e.getMessage());
            }
        }
        String value = query.getValue(name);
        if (value == null || value.isBlank()) {
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

    /**
     * Reads the whole body now (bounded), before any answer: an answer written while body bytes are
     * still unread makes Jetty close the connection after it, without telling the client, whose next
     * request on that kept-alive connection then fails. A body over the limit is drained (up to 16 MiB)
     * and refused.
     *
     * @throws ApiException 413 when the body exceeds the limit
     */
    void readBody() {
        if (body != null) {
            return;
        }
        try (InputStream in = Request.asInputStream(request)) {
            // Read one byte past the limit so that a body without a Content-Length is caught too.
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8L, maxBodyBytes + 1));
            if (bytes.length > maxBodyBytes) {
                long rest = Math.min(request.getLength(), DRAIN_LIMIT) - bytes.length;
                while (rest > 0) {
                    long skipped = in.skip(rest);
                    if (skipped <= 0) {
                        break;
                    }
                    rest -= skipped;
                }
                throw tooLarge();
            }
            body = bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("reading the request body failed: " + e.getMessage(), e);
        }
    }

    /** Whether the body has been read whole. */
    boolean bodyRead() {
        return body != null;
    }

    /**
     * The body as a {@code type}; an empty body reads as {@code {}}.
     *
     * @throws ApiException 413 when the body exceeds the limit, 400 when it is not valid JSON for the type
     */
    <T> T body(Class<T> type) {
        readBody();
        return json.read(body.length == 0 ? new byte[] {'{', '}'} : body, type);
    }

    private ApiException tooLarge() {
        return new ApiException(413, "payload_too_large", "the request body exceeds " + maxBodyBytes + " bytes");
    }
}
