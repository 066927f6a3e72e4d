package io.meerkat.distribution.http;

import io.meerkat.distribution.config.MemoryLimits;
import io.meerkat.distribution.config.RunLimits;
import io.meerkat.distribution.config.SessionConfigPolicy;
import io.meerkat.distribution.metrics.RuntimeMetrics;
import io.meerkat.distribution.osgi.EmbeddedFelix;
import io.meerkat.distribution.registry.SwappableCompletionRegistry;
import io.meerkat.plugin.host.ExecutorPluginHost;
import io.meerkat.runtime.api.MeerkatRuntime;
import io.meerkat.runtime.api.spi.RuntimeStore;

/**
 * What the HTTP API serves: the runtime, the completion registry in use, the plugins, the framework
 * (for bundle reports), the metrics, the rules for the executor configuration a client may ask for, and
 * what the launcher may hold for clients; the runtime's store, {@code null} when sessions live in memory only.
 */
public record ApiContext(MeerkatRuntime runtime, SwappableCompletionRegistry registry, ExecutorPluginHost plugins,
                         EmbeddedFelix felix, RuntimeMetrics metrics, SessionConfigPolicy sessionConfigs,
                         MemoryLimits memory, RunLimits runs, RuntimeStore store) {
}
