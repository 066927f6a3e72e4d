package io.meerkat.distribution.http;

/**
 * An HTTP error answer: its status and a stable snake_case code, sent as
 * {@code {"error":{"code":...,"message":...}}}.
 */
public final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;

    public ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    static ApiException badRequest(String code, String message) {
        return new ApiException(400, code, message);
    }

    static ApiException notFound(String code, String message) {
        return new ApiException(404, code, message);
    }

    /** 503 {@code server_busy}: a launcher-wide limit is reached; the client may retry (with {@code Retry-After}). */
    static ApiException serverBusy(String message) {
        return new ApiException(503, "server_busy", message);
    }

    /**
     * Whether the client is told when to retry: the server is full for now, not failing, or the session is
     * changing nodes.
     */
    boolean retryLater() {
        return status == 429 || code.equals("server_busy") || code.equals("store_unavailable")
                || code.equals("session_moved") || code.equals("ownership_lost");
    }
}
