package io.meerkat.distribution.http;

import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Answers one route with a long-lived stream (Server-Sent Events). It writes to the response
 * asynchronously and completes {@code callback} when the stream ends; no thread waits meanwhile.
 */
interface StreamEndpoint {

    void open(Exchange exchange, Response response, Callback callback);

    /** Answers {@code HEAD}: the status and headers {@link #open} would send, and no stream. */
    void head(Exchange exchange, Response response, Callback callback);
}
