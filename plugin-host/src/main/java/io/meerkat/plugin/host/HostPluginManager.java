package io.meerkat.plugin.host;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.pf4j.DefaultPluginFactory;
import org.pf4j.DefaultPluginManager;
import org.pf4j.Plugin;
import org.pf4j.PluginDependency;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginFactory;
import org.pf4j.PluginRuntimeException;
import org.pf4j.PluginWrapper;

/**
 * PF4J's default manager, made to explain itself: it remembers why an archive could not be loaded,
 * which plugins do not fit this runtime's version, and which were dropped for a missing dependency,
 * where PF4J only logs. Confined to the host's owner thread, like every PF4J object.
 */
final class HostPluginManager extends DefaultPluginManager {

    /** An archive PF4J refused to load, and why. */
    record LoadFailure(Path path, String pluginId, String reason) {
    }

    private final Map<Path, LoadFailure> loadFailures = new LinkedHashMap<>();
    private final Map<String, PluginDescriptor> loadedDescriptors = new LinkedHashMap<>();
    private final Map<String, Path> loadedPaths = new LinkedHashMap<>();
    private final Map<String, String> incompatible = new LinkedHashMap<>();

    HostPluginManager(Path pluginsRoot, String systemVersion) {
        super(pluginsRoot);
        setSystemVersion(systemVersion);
        // A plugin with a missing dependency is dropped; the others still load (PF4J's default throws).
        setResolveRecoveryStrategy(ResolveRecoveryStrategy.IGNORE_PLUGIN_AND_CONTINUE);
    }

    @Override
    protected PluginWrapper loadPluginFromPath(Path pluginPath) {
        try {
            PluginWrapper wrapper = super.loadPluginFromPath(pluginPath);
            loadedDescriptors.put(wrapper.getPluginId(), wrapper.getDescriptor());
            loadedPaths.put(wrapper.getPluginId(), pluginPath);
            return wrapper;
        } catch (PluginRuntimeException e) {
            loadFailures.put(pluginPath, new LoadFailure(pluginPath, idOrFileName(pluginPath),
                    "cannot be loaded: " + Reasons.describe(e)));
            throw e;
        }
    }

    @Override
    protected boolean isPluginValid(PluginWrapper pluginWrapper) {
        boolean valid = super.isPluginValid(pluginWrapper);
        if (!valid) {
            incompatible.put(pluginWrapper.getPluginId(), "requires runtime version "
                    + pluginWrapper.getDescriptor().getRequires() + ", this runtime is " + getSystemVersion());
        }
        return valid;
    }

    @Override
    protected PluginFactory createPluginFactory() {
        PluginFactory pf4jDefault = new DefaultPluginFactory();
        return wrapper -> {
            Plugin plugin = pf4jDefault.create(wrapper);
            if (plugin == null) {
                // PF4J returns null (and logs) for a missing or unusable class; this makes the start fail with a reason.
                throw new PluginRuntimeException("plugin class '{}' cannot be loaded or instantiated",
                        wrapper.getDescriptor().getPluginClass());
            }
            return plugin;
        };
    }

    List<LoadFailure> loadFailures() {
        return List.copyOf(loadFailures.values());
    }

    /** The reason a plugin's {@code Plugin-Requires} refuses this runtime, or {@code null}. */
    String incompatibility(String pluginId) {
        return incompatible.get(pluginId);
    }

    /**
     * Plugins that loaded but were then dropped while resolving dependencies, with the reason: the
     * required plugins that are absent or were dropped themselves.
     */
    Map<String, LoadFailure> droppedForDependencies() {
        Map<String, LoadFailure> dropped = new LinkedHashMap<>();
        for (Map.Entry<String, PluginDescriptor> loaded : loadedDescriptors.entrySet()) {
            String pluginId = loaded.getKey();
            if (getPlugin(pluginId) != null) {
                continue;
            }
            String missing = loaded.getValue().getDependencies().stream()
                    .filter(dependency -> !dependency.isOptional() && getPlugin(dependency.getPluginId()) == null)
                    .map(HostPluginManager::describe)
                    .collect(Collectors.joining(", "));
            String reason = missing.isEmpty()
                    ? "dropped while resolving plugin dependencies (a dependency's version does not match)"
                    : "requires plugin " + missing + ", which is not installed or could not be loaded";
            dropped.put(pluginId, new LoadFailure(loadedPaths.get(pluginId), pluginId, reason));
        }
        return dropped;
    }

    /** The plugins that depend on {@code pluginId}, directly or not, dependents first. */
    List<String> dependentsOf(String pluginId) {
        List<String> all = new java.util.ArrayList<>();
        List<String> pending = new java.util.ArrayList<>(dependencyResolver.getDependents(pluginId));
        while (!pending.isEmpty()) {
            String dependent = pending.remove(0);
            if (!all.contains(dependent)) {
                all.add(0, dependent);
                pending.addAll(dependencyResolver.getDependents(dependent));
            }
        }
        return all;
    }

    private static String describe(PluginDependency dependency) {
        String version = dependency.getPluginVersionSupport();
        return "'" + dependency.getPluginId() + "'" + ("*".equals(version) ? "" : " " + version);
    }

    private static String idOrFileName(Path path) {
        Path name = path.getFileName();
        return name == null ? path.toString() : name.toString();
    }
}
