/**
 * The executor plugin host: {@link io.meerkat.plugin.host.ExecutorPluginHost} loads the PF4J plugins
 * of one folder and serves their executor factories to the runtime as an {@code ExecutorCatalog};
 * {@link io.meerkat.plugin.host.PluginReport} says how each plugin stands.
 *
 * <p>Owned by plugin-host; used by the launcher's {@code plugins} commands and runtime, and by
 * embedders who want plugins without the launcher. Thread rule: PF4J is not thread safe, so every PF4J
 * call, and the host's own bookkeeping, is confined to one owner thread, {@code meerkat-plugin-host};
 * lookups read volatile snapshots it publishes and never wait for it. Withdrawing a plugin's kinds
 * (which stops their sessions) comes before its factories are closed and its class loader let go.
 */
package io.meerkat.plugin.host;
