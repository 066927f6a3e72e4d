/**
 * The launcher itself: {@link io.meerkat.distribution.Launcher} wires the embedded OSGi framework, the
 * completion-registry front, the executor plugins, the runtime and the HTTP API, starting them in that
 * order and closing them in reverse; {@link io.meerkat.distribution.Main} is {@code bin/meerkat}.
 * {@link io.meerkat.distribution.WireNames} is the one place runtime values get their wire names.
 *
 * <p>Owned by distribution; used by the CLI and by embedders who want the same wiring. Thread rule: a
 * launcher is started on one thread; {@code close()} is synchronized and idempotent, so a shutdown
 * hook and the main thread may both call it. Closing stops every session (resolving each waiter)
 * before anything it depends on goes.
 */
package io.meerkat.distribution;
