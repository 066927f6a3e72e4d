package io.meerkat.distribution.http;

import io.meerkat.distribution.config.LauncherConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.IntSupplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * Decides whether a request may reach the API, before anything else looks at it:
 * <ul>
 *   <li><b>Token</b>: when one is configured, {@code Authorization: Bearer <token>} (scheme in any case),
 *       compared in constant time.</li>
 *   <li><b>Host</b>: bound to loopback, only {@code 127.0.0.1}, {@code localhost} or {@code [::1]} on the
 *       API's port. A web page whose domain was re-bound to 127.0.0.1 (DNS rebinding) sends its own
 *       host name, and is refused.</li>
 *   <li><b>Origin</b>: a browser marks cross-site requests with {@code Origin}; only the API's own origins
 *       and those configured ({@code meerkat.http.allowed-origins}) are served. Without this, any web page
 *       open in a browser on this machine could drive the loopback API (create a {@code process} session:
 *       run a command).</li>
 * </ul>
 */
final class AccessGuard {

    /** Why a request was refused: its status, code and message. */
    record Refusal(int status, String code, String message) {
    }

    private static final Set<String> LOOPBACK_NAMES = Set.of("127.0.0.1", "localhost", "[::1]", "::1");

    private final byte[] token;
    private final boolean loopbackOnly;
    private final String bind;
    private final Set<String> configuredOrigins;
    private final IntSupplier port;

    /**
     * @param port the port listened on, known once the server started (the configuration may say 0)
     */
    AccessGuard(LauncherConfig config, IntSupplier port) {
        this.token = config.token() == null ? null : config.token().getBytes(StandardCharsets.UTF_8);
        this.loopbackOnly = config.loopbackOnly();
        this.bind = config.bind();
        this.configuredOrigins = Set.copyOf(config.allowedOrigins());
        this.port = port;
    }

    /** The refusal for this request, or {@code null} to let it in. */
    Refusal check(Request request) {
        if (loopbackOnly && !loopbackHost(request)) {
            return new Refusal(403, "forbidden_host", "this API answers only to 127.0.0.1, localhost or [::1] on port "
                    + port.getAsInt() + ", not to Host '" + request.getHeaders().get(HttpHeader.HOST) + "'");
        }
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin != null && !allowedOrigins().contains(origin)) {
            return new Refusal(403, "forbidden_origin", "requests from origin '" + origin
                    + "' are not served; allow it with meerkat.http.allowed-origins");
        }
        if (token != null && !tokenMatches(request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
            return new Refusal(401, "unauthorized", "missing or wrong bearer token");
        }
        return null;
    }

    private boolean loopbackHost(Request request) {
        String host = Request.getServerName(request).toLowerCase(Locale.ROOT);
        return LOOPBACK_NAMES.contains(host) && Request.getServerPort(request) == port.getAsInt();
    }

    private Set<String> allowedOrigins() {
        Set<String> origins = new HashSet<>(configuredOrigins);
        int listening = port.getAsInt();
        if (loopbackOnly) {
            for (String name : Set.of("127.0.0.1", "localhost", "[::1]")) {
                origins.add("http://" + name + ":" + listening);
            }
        } else {
            origins.add("http://" + (bind.contains(":") ? "[" + bind + "]" : bind) + ":" + listening);
        }
        return origins;
    }

    private boolean tokenMatches(String authorization) {
        if (authorization == null) {
            return false;
        }
        int space = authorization.indexOf(' ');
        if (space < 0 || !authorization.substring(0, space).equalsIgnoreCase("Bearer")) {
            return false;
        }
        byte[] offered = authorization.substring(space + 1).trim().getBytes(StandardCharsets.UTF_8);
        // Constant-time comparison: the time taken tells nothing about how much of the token matched.
        return MessageDigest.isEqual(token, offered);
    }
}
