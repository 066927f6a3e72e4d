/**
 * The completion registry the launcher's runtime uses:
 * {@link io.meerkat.distribution.registry.SwappableCompletionRegistry}, a stable front over whichever
 * registry is active, kept on the highest-ranked OSGi registry service by
 * {@link io.meerkat.distribution.registry.RegistryServiceTracker} (or on the built-in floor).
 *
 * <p>Owned by distribution; used by the runtime (through the SPI) and the HTTP API. Lock order: the
 * tracker's monitor, then the front's read/write lock (a swap holds the write lock while it moves every
 * pending waiter), then the active registry's locks, then a session's lock. {@code stillPending}
 * predicates run outside the front's lock, and a swap never loses or doubles a waiter.
 */
package io.meerkat.distribution.registry;
