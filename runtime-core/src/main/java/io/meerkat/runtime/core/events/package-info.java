/**
 * Per-session event publishing: {@link io.meerkat.runtime.core.events.SessionEvents} numbers a
 * session's {@code RuntimeEvent}s and hands them to the subscribers of {@code SessionHandle.events()}.
 *
 * <p>Owned by runtime-core; created by {@code core.session}, written by the session driver. It is a
 * package of its own so that the driver and the session both depend on it and not on each other.
 * Thread rule: {@code publish} is called under the driver lock (which is what makes sequence numbers
 * follow the session's history) and never blocks: a slow subscriber loses events instead.
 */
package io.meerkat.runtime.core.events;
