package io.meerkat.runtime.api.spi;

import io.meerkat.runtime.api.InputLifecycleState;
import java.util.Map;
import java.util.Objects;

/**
 * What a store holds, for operators.
 *
 * @param provider      the provider's name ({@code sqlite}, {@code memory}, ...)
 * @param location      where it is (a file, a database URL without credentials)
 * @param schemaVersion the version of its schema, 0 for a store without one
 * @param sessions      sessions stored
 * @param inputsByState inputs stored, by lifecycle state
 * @param sizeBytes     the size on disk, -1 if unknown
 */
public record StoreInfo(String provider, String location, int schemaVersion, long sessions,
                        Map<InputLifecycleState, Long> inputsByState, long sizeBytes) {

    public StoreInfo {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(location, "location");
        inputsByState = Map.copyOf(inputsByState);
    }
}
