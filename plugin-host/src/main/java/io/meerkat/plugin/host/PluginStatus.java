package io.meerkat.plugin.host;

/** Where a plugin stands in the host. */
public enum PluginStatus {
    /** Started; its executor kinds are served. */
    STARTED,
    /** Stopped by an operator; may be started again. */
    STOPPED,
    /** Disabled by the operator ({@code disabled.txt} / {@code enabled.txt} in the plugins folder). */
    DISABLED,
    /** Could not be loaded, resolved or started, or clashes with another plugin; the reason says why. */
    FAILED,
    /** Unloaded: its classes are released. */
    UNLOADED
}
