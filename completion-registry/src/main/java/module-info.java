/** The default in-memory {@link io.meerkat.runtime.api.spi.CompletionRegistry}. */
module io.meerkat.completion {
    requires transitive io.meerkat.runtime.api;

    exports io.meerkat.completion;

    provides io.meerkat.runtime.api.spi.CompletionRegistry with io.meerkat.completion.InMemoryCompletionRegistry;
}
