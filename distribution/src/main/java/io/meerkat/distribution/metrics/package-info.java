/**
 * The launcher's Prometheus metrics ({@code GET /metrics}): sessions by state, inputs by outcome, run
 * durations, control latency and retained outcome bytes
 * ({@link io.meerkat.distribution.metrics.RuntimeMetrics}).
 *
 * <p>Owned by distribution; fed by the HTTP API and by the events of every session it watches. Thread
 * safe: events arrive on the runtime's delivery threads, so meters live in concurrent maps and each
 * session's run clock ({@code RunClock}) takes its own monitor, held for a few field writes only.
 */
package io.meerkat.distribution.metrics;
