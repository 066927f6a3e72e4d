/**
 * Conformance tests for executor authors: {@link io.meerkat.runtime.testkit.ExecutorConformanceTest} for the
 * executor, {@link io.meerkat.runtime.testkit.PluginArchiveTest} for the packaged plugin,
 * {@link io.meerkat.runtime.testkit.RuntimeStoreConformanceTest} for a runtime store.
 */
module io.meerkat.runtime.testkit {
    requires transitive io.meerkat.runtime.api;
    requires transitive org.junit.jupiter.api;
    requires io.meerkat.runtime.core;
    requires io.meerkat.completion;
    requires io.meerkat.plugin.host;

    exports io.meerkat.runtime.testkit;
    opens io.meerkat.runtime.testkit to org.junit.platform.commons;
}
