package io.meerkat.runtime.api.spi;

import java.util.List;

/**
 * Changes that belong together, written all or nothing: an admitted input; a run boundary (its receipt,
 * the consumed inputs, their outcomes, the session's state); a lifecycle command and the inputs it
 * abandoned.
 */
public record StoreBatch(List<StoreChange> changes) {

    public StoreBatch {
        changes = List.copyOf(changes);
    }

    public static StoreBatch of(StoreChange... changes) {
        return new StoreBatch(List.of(changes));
    }
}
