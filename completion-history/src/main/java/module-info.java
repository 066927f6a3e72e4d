/**
 * An OSGi bundle that offers {@link io.meerkat.completion.OutcomeHistoryCompletionRegistry} as a
 * completion-registry service. Embedders without OSGi use that class directly; this module exports nothing.
 */
module io.meerkat.completion.history {
    requires io.meerkat.completion;
    requires static osgi.core;
}
