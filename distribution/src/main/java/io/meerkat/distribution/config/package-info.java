/**
 * The launcher's configuration: {@link io.meerkat.distribution.config.ConfigLoader} reads built-in
 * defaults, {@code conf/meerkat.properties} and command-line overrides into an immutable
 * {@link io.meerkat.distribution.config.LauncherConfig}, with its limits
 * ({@link io.meerkat.distribution.config.HttpLimits}, {@link io.meerkat.distribution.config.MemoryLimits}),
 * the operator's executor profiles and {@link io.meerkat.distribution.config.SessionConfigPolicy},
 * which keeps clients off the keys that decide what runs on the host.
 *
 * <p>Owned by distribution; read by the launcher, the CLI and the HTTP API. Everything built here is
 * immutable once loaded, so it is shared between threads without locks. A bad setting fails the start
 * with a one-line {@link io.meerkat.distribution.config.ConfigException}; a new key is documented in
 * {@code conf/meerkat.properties} and the distribution README.
 */
package io.meerkat.distribution.config;
