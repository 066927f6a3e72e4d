/**
 * OSGi bundle activators that offer the completion registries as services with a
 * {@code service.ranking}; used by the Meerkat launcher, which embeds Apache Felix. Nothing here is
 * needed by embedders who pass a registry to the runtime builder.
 */
package io.meerkat.completion.osgi;
