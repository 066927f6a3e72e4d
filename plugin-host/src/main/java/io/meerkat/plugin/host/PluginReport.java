package io.meerkat.plugin.host;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;

/**
 * What the host knows about one plugin: a snapshot, safe to keep and to show.
 *
 * @param pluginId      the plugin's id, or the archive's file name when its descriptor could not be read
 * @param version       the plugin's version, or {@code ""} if unknown
 * @param path          the plugin archive
 * @param status        where it stands
 * @param executorKinds the kinds it serves now (empty unless {@link PluginStatus#STARTED})
 * @param reason        why it is not started, or {@code ""}
 */
public record PluginReport(String pluginId, String version, Path path, PluginStatus status,
                           Set<String> executorKinds, String reason) {

    public PluginReport {
        Objects.requireNonNull(pluginId, "pluginId");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(status, "status");
        executorKinds = Set.copyOf(executorKinds);
        Objects.requireNonNull(reason, "reason");
    }

    PluginReport with(PluginStatus newStatus, Set<String> kinds, String newReason) {
        return new PluginReport(pluginId, version, path, newStatus, kinds, newReason);
    }
}
