package io.meerkat.distribution.http;

import io.meerkat.distribution.LauncherVersion;
import io.meerkat.distribution.WireNames;
import io.meerkat.distribution.registry.ActiveRegistry;
import io.meerkat.plugin.host.PluginReport;
import io.meerkat.plugin.host.PluginStatus;
import io.meerkat.runtime.api.spi.ConfigKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Health, executors, plugins, the completion registry in use and the Prometheus metrics. */
final class SystemEndpoints {

    private final ApiContext context;

    SystemEndpoints(ApiContext context) {
        this.context = context;
    }

    List<Route> routes() {
        return List.of(
                Route.of("GET", "/v1/health", Endpoint.now(exchange -> Reply.ok(health()))),
                Route.of("GET", "/v1/executors", Endpoint.now(exchange -> Reply.ok(executors()))),
                Route.of("GET", "/v1/plugins", Endpoint.now(exchange -> Reply.ok(plugins()))),
                Route.of("GET", "/v1/completion-registry", Endpoint.now(exchange -> Reply.ok(registry()))),
                Route.of("GET", "/metrics", Endpoint.now(exchange ->
                        Reply.text("text/plain; version=0.0.4; charset=utf-8", context.metrics().scrape()))));
    }

    private Map<String, Object> health() {
        Map<String, Object> health = new LinkedHashMap<>();
        health.put("status", "ok");
        health.put("version", LauncherVersion.version());
        context.runtime().cluster().ifPresent(cluster -> health.put("node", cluster.nodeId()));
        health.put("sessions", context.runtime().sessions().size());
        health.put("executors", new ArrayList<>(new TreeMap<>(kindsToPlugins()).keySet()));
        health.put("completionRegistry", context.registry().active().name());
        return health;
    }

    private Map<String, Object> executors() {
        List<Map<String, Object>> executors = new ArrayList<>();
        kindsToPlugins().forEach((kind, plugin) -> {
            Map<String, Object> executor = new LinkedHashMap<>();
            executor.put("kind", kind);
            executor.put("plugin", plugin);
            context.plugins().factory(kind).ifPresent(factory -> {
                List<Map<String, String>> keys = new ArrayList<>();
                for (ConfigKey key : factory.configKeys()) {
                    keys.add(Map.of("name", key.name(), "owner", key.owner().name().toLowerCase(Locale.ROOT),
                            "description", key.description()));
                }
                executor.put("configKeys", keys);
            });
            executor.put("profiles", context.sessionConfigs().profiles().names(kind));
            executors.add(executor);
        });
        return Map.of("executors", executors);
    }

    private Map<String, String> kindsToPlugins() {
        Map<String, String> kinds = new TreeMap<>();
        for (String kind : context.runtime().executorKinds()) {
            kinds.put(kind, "");
        }
        for (PluginReport plugin : context.plugins().plugins()) {
            if (plugin.status() == PluginStatus.STARTED) {
                for (String kind : plugin.executorKinds()) {
                    kinds.replace(kind, plugin.pluginId());
                }
            }
        }
        return kinds;
    }

    private Map<String, Object> plugins() {
        List<Map<String, Object>> plugins = new ArrayList<>();
        for (PluginReport report : context.plugins().plugins()) {
            Map<String, Object> plugin = new LinkedHashMap<>();
            plugin.put("id", report.pluginId());
            plugin.put("version", report.version());
            plugin.put("state", WireNames.state(report.status()));
            plugin.put("executors", report.executorKinds());
            plugin.put("reason", report.reason());
            plugin.put("path", report.path() == null ? null : report.path().toString());
            plugins.add(plugin);
        }
        return Map.of("plugins", plugins);
    }

    private Map<String, Object> registry() {
        ActiveRegistry active = context.registry().active();
        Map<String, Object> registry = new LinkedHashMap<>();
        registry.put("name", active.name());
        registry.put("implementation", active.implementation());
        registry.put("ranking", active.ranking());
        registry.put("bundle", active.bundle());
        registry.put("bundleId", active.bundleId());
        registry.put("pendingWaiters", context.registry().pendingCount());
        registry.put("bundles", context.felix().bundles());
        return registry;
    }
}
