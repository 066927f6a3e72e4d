/**
 * The completion registries that ship with Meerkat:
 * {@link io.meerkat.completion.InMemoryCompletionRegistry}, the default (found through
 * {@link java.util.ServiceLoader}), and {@link io.meerkat.completion.OutcomeHistoryCompletionRegistry},
 * which also remembers recent outcomes ({@link io.meerkat.completion.RecentOutcomes}) for callers who
 * ask after an input finished.
 *
 * <p>Owned by completion-registry; used by runtime-core (through the SPI), by embedders, and, as OSGi
 * services, by the launcher. Everything here is thread safe. Lock rule: a registry's locks (one monitor
 * per session's waiter table, one for the outcome history) are held for map work only; waiters are
 * completed and {@code stillPending} predicates are called outside them, so either may take a
 * session's lock.
 */
package io.meerkat.completion;
