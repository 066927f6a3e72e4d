package io.meerkat.distribution.cli;

import io.meerkat.distribution.osgi.BundleReport;
import io.meerkat.plugin.host.PluginReport;
import io.meerkat.plugin.host.PluginStatus;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** The exit code of a command that loads plugins and bundles: 1, with one line naming them, when any failed. */
final class CheckOutcome {

    private CheckOutcome() {
    }

    static int report(List<PluginReport> plugins, List<BundleReport> bundles, PrintWriter err) {
        List<String> failed = new ArrayList<>();
        plugins.stream().filter(plugin -> plugin.status() == PluginStatus.FAILED)
                .forEach(plugin -> failed.add("plugin " + plugin.pluginId()));
        bundles.stream().filter(bundle -> "FAILED".equals(bundle.state()))
                .forEach(bundle -> failed.add("bundle " + bundle.symbolicName()));
        if (failed.isEmpty()) {
            return 0;
        }
        err.println("meerkat: " + failed.size() + " failed: " + String.join(", ", failed)
                + " (reasons above; MEERKAT_LOG_LEVEL=debug shows stack traces)");
        err.flush();
        return 1;
    }
}
