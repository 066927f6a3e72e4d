/**
 * The completion registries: {@link io.meerkat.completion.InMemoryCompletionRegistry} (the default,
 * found by {@link java.util.ServiceLoader}) and
 * {@link io.meerkat.completion.OutcomeHistoryCompletionRegistry}; in an OSGi framework the jar is also a
 * bundle that offers the in-memory registry as a service ({@link io.meerkat.completion.osgi}).
 */
module io.meerkat.completion {
    requires transitive io.meerkat.runtime.api;
    // Only the bundle activators use OSGi, and only inside an OSGi framework.
    requires static osgi.core;

    exports io.meerkat.completion;
    exports io.meerkat.completion.osgi;

    provides io.meerkat.runtime.api.spi.CompletionRegistry with io.meerkat.completion.InMemoryCompletionRegistry;
}
