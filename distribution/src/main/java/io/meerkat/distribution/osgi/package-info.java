/**
 * The embedded Apache Felix framework ({@link io.meerkat.distribution.osgi.EmbeddedFelix}): the system
 * bundle exports the runtime's API packages so that bundles can offer runtime services (the completion
 * registries); {@link io.meerkat.distribution.osgi.BundleReport} says how each bundle stands.
 *
 * <p>Owned by distribution; started and stopped by the launcher. Thread rule: Felix calls bundle
 * activators and service listeners on the thread that starts or stops a bundle; the list of bundles that
 * failed is guarded by its own monitor. A bundle that fails is reported, never fatal to the others.
 */
package io.meerkat.distribution.osgi;
