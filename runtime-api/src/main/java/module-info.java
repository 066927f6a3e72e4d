/**
 * The public face of Meerkat Runtime: identifiers, states, commands, inputs, outcomes, events and
 * errors ({@code io.meerkat.runtime.api}), and the small SPIs that executor and completion-registry
 * authors implement ({@code io.meerkat.runtime.api.spi}). Implementations live elsewhere.
 */
module io.meerkat.runtime.api {
    requires transitive pf4j;

    exports io.meerkat.runtime.api;
    exports io.meerkat.runtime.api.cluster;
    exports io.meerkat.runtime.api.spi;
}
