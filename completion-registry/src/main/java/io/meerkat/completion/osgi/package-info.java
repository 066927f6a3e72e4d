/**
 * OSGi bundle activators that offer the completion registries as services with a
 * {@code service.ranking}; used by the Meerkat launcher, which embeds Apache Felix. Nothing here is
 * needed by embedders who pass a registry to the runtime builder.
 *
 * <p>Owned by completion-registry; completion-history extends
 * {@link io.meerkat.completion.osgi.RegistryBundleActivator} for its own bundle. The framework calls
 * {@code start} and {@code stop}, one at a time per bundle. The rule that matters is the order in
 * {@code stop}: the service is unregistered before the registry is closed, so the launcher's tracker
 * moves every pending waiter away while the registry is still open.
 */
package io.meerkat.completion.osgi;
