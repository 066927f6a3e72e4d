/**
 * The Meerkat runtime: control machine, ingress, session driver and runtime loop. Embedders use
 * {@link io.meerkat.runtime.core.MeerkatRuntimeBuilder} and the interfaces of
 * {@code io.meerkat.runtime.api}; nothing else is exported.
 */
module io.meerkat.runtime.core {
    requires transitive io.meerkat.runtime.api;
    requires org.slf4j;

    exports io.meerkat.runtime.core;
    exports io.meerkat.runtime.core.policy;

    uses io.meerkat.runtime.api.spi.CompletionRegistry;
}
