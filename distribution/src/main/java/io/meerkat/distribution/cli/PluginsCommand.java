package io.meerkat.distribution.cli;

import io.meerkat.distribution.config.LauncherConfig;
import io.meerkat.plugin.host.ExecutorPluginHost;
import io.meerkat.plugin.host.PluginReport;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code meerkat plugins}: loads the plugins folder and lists each plugin with its state and reason;
 * exits 1 (after the list) when any plugin failed, so a script or an install check can tell.
 */
@Command(name = "plugins", mixinStandardHelpOptions = true, description = "List the executor plugins and their state.")
final class PluginsCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    LauncherOptions options = new LauncherOptions();

    @Override
    public Integer call() {
        LauncherConfig config = options.load(Map.of());
        PrintWriter out = spec.commandLine().getOut();
        try (ExecutorPluginHost host = ExecutorPluginHost.start(config.pluginsDir())) {
            out.printf("plugins in %s%n", config.pluginsDir());
            out.printf("%-22s %-16s %-10s %-22s %s%n", "ID", "VERSION", "STATE", "EXECUTORS", "REASON");
            for (PluginReport plugin : host.plugins()) {
                out.printf("%-22s %-16s %-10s %-22s %s%n", plugin.pluginId(), plugin.version(),
                        plugin.status().name().toLowerCase(Locale.ROOT), String.join(",", plugin.executorKinds()),
                        plugin.reason() == null ? "" : plugin.reason());
            }
            out.flush();
            return CheckOutcome.report(host.plugins(), List.of(), spec.commandLine().getErr());
        }
    }
}
