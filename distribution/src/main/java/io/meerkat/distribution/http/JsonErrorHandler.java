package io.meerkat.distribution.http;

import java.nio.ByteBuffer;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty answers itself for a request it parsed (an ambiguous path, say) in the API's shape,
 * {@code {"error":{"code","message"}}}, instead of an HTML page. (Requests too malformed to parse get
 * Jetty's plain answer; its hook for those is deprecated for removal.)
 */
final class JsonErrorHandler extends ErrorHandler {

    private final Json json;

    JsonErrorHandler(Json json) {
        this.json = json;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = response.getStatus() < 400 ? 500 : response.getStatus();
        Object message = request.getAttribute(ERROR_MESSAGE);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(body(status, message == null ? null : message.toString())), callback);
        return true;
    }

    private byte[] body(int status, String message) {
        String code = switch (status) {
            case 400 -> "bad_request";
            case 404 -> "not_found";
            case 414 -> "uri_too_long";
            case 431 -> "headers_too_large";
            // Jetty's own 503: the server is stopping (GracefulHandler), the API's runtime_closed.
            case 503 -> "runtime_closed";
            default -> status >= 500 ? "internal" : "http_" + status;
        };
        String text = message == null || message.isBlank() ? HttpStatus.getMessage(status) : message;
        return json.write(Map.of("error", Map.of("code", code, "message", text)));
    }
}
