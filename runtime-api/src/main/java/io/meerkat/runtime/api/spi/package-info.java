/**
 * The extension points: {@link io.meerkat.runtime.api.spi.ExecutorFactory} and
 * {@link io.meerkat.runtime.api.spi.CoreExecutor} for executor authors (PF4J plugins or embedders),
 * {@link io.meerkat.runtime.api.spi.ExecutorCatalog} for whatever supplies factories while the runtime
 * runs (the plugin host), and {@link io.meerkat.runtime.api.spi.CompletionRegistry} for whoever holds
 * submitters' waiters (the completion-registry bundles, the distribution's swappable front), and
 * {@link io.meerkat.runtime.api.spi.RunObserver} for whoever times runs (the launcher's metrics).
 *
 * <p>Owned by runtime-api; implemented by the executor plugins, the plugin host and the registries,
 * called mainly by runtime-core (the plugin host also closes factories, the launcher reads its
 * registry). The threading rules are in each contract and bind both sides: an executor is called by one session's loop, one call at a time, and must not
 * block; a factory, a catalog and a registry are called from many threads. Lock order: the runtime
 * calls a registry holding none of its own locks, and a registry calls a {@code stillPending}
 * predicate (which takes a session's lock) holding none of its own.
 */
package io.meerkat.runtime.api.spi;
