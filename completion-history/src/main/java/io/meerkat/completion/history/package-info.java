/**
 * The activator of the completion-history bundle, which offers an
 * {@link io.meerkat.completion.OutcomeHistoryCompletionRegistry} as an OSGi service ranked above the
 * in-memory one, configured from framework properties ({@code meerkat.registry.history.*}).
 *
 * <p>Owned by completion-history; only the launcher's embedded Felix loads it (the module exports
 * nothing). No state of its own: the hand-over order and thread rules are those of
 * {@link io.meerkat.completion.osgi.RegistryBundleActivator}.
 */
package io.meerkat.completion.history;
