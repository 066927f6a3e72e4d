package io.meerkat.runtime.store;

import static io.meerkat.runtime.testkit.RuntimeStoreConformanceTest.loadAll;

import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.SessionId;
import io.meerkat.runtime.api.spi.RuntimeStore;
import io.meerkat.runtime.api.spi.StoredInput;
import io.meerkat.runtime.api.spi.StoredSession;

/** What a store holds of one session or input, read the way a recovering runtime reads it ({@code load}). */
final class StoredRows {

    private StoredRows() {
    }

    /** The stored input, or {@code null} when the store does not hold it. */
    static StoredInput storedInput(RuntimeStore store, SessionId sessionId, InputId inputId) {
        return loadAll(store).entrySet().stream().filter(held -> held.getKey().id().equals(sessionId))
                .flatMap(held -> held.getValue().stream()).filter(input -> input.inputId().equals(inputId))
                .findFirst().orElse(null);
    }

    /** The stored session; fails the test when the store does not hold it. */
    static StoredSession storedSession(RuntimeStore store, SessionId sessionId) {
        return loadAll(store).keySet().stream().filter(session -> session.id().equals(sessionId)).findFirst()
                .orElseThrow(() -> new AssertionError("session " + sessionId + " is not stored"));
    }
}
