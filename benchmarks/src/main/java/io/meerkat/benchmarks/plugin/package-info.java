/**
 * The PF4J plugins the plugin benchmarks load: {@link io.meerkat.benchmarks.plugin.BenchPlugins} writes
 * jars whose {@link io.meerkat.benchmarks.plugin.BenchExecutorFactory} serves one kind each and does
 * nothing, so a measurement is the plugin host's cost alone.
 *
 * <p>Owned by benchmarks; used by {@code PluginLoadBenchmark} and {@code SessionCreationBenchmark}.
 * The factory is stateless and thread safe; the jars are written once per trial, before timing starts.
 */
package io.meerkat.benchmarks.plugin;
