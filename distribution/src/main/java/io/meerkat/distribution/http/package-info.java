/**
 * The HTTP API on embedded Jetty: {@link io.meerkat.distribution.http.HttpApi} and its one handler,
 * the access guard (token, host, origin), the routes and their endpoints, event streams (SSE) and the
 * completions clients wait on. Every error leaves as {@code {"error":{"code","message"}}}.
 *
 * <p>Owned by distribution; started by the launcher for {@code serve}. Thread rules: requests run on
 * Jetty's threads and must never block one: an endpoint that waits (a completion poll, an event stream)
 * answers through a future or asynchronous writes. Shared state is kept in concurrent maps and atomic
 * counters and budgets; open event streams, waiting completion polls and buffered request bodies each
 * have a cap past which the answer is 503 {@code server_busy}.
 */
package io.meerkat.distribution.http;
