/**
 * Conformance tests for executor authors: {@link io.meerkat.runtime.testkit.ExecutorConformanceTest}.
 */
module io.meerkat.runtime.testkit {
    requires transitive io.meerkat.runtime.api;
    requires transitive org.junit.jupiter.api;
    requires io.meerkat.runtime.core;
    requires io.meerkat.completion;

    exports io.meerkat.runtime.testkit;
    opens io.meerkat.runtime.testkit to org.junit.platform.commons;
}
