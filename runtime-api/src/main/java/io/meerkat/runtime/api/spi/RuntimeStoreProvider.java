package io.meerkat.runtime.api.spi;

import java.util.Map;

/**
 * Opens {@link RuntimeStore}s of one kind ({@code memory}, {@code sqlite}, {@code postgres}); found by
 * {@link java.util.ServiceLoader} and picked by {@link #name()}.
 */
public interface RuntimeStoreProvider {

    /** The name operators pick the store by, e.g. {@code sqlite}. */
    String name();

    /**
     * Opens (creating or migrating it if needed) the store these settings describe, e.g. {@code path} for a
     * file, {@code url}, {@code user} and {@code password} for a server.
     *
     * @throws io.meerkat.runtime.api.StoreUnavailableException if it cannot be opened
     * @throws IllegalArgumentException if a setting is missing or wrong
     */
    RuntimeStore open(Map<String, String> settings);
}
